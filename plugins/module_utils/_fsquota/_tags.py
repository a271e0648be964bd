# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Project ids on files, through FS_IOC_FSGETXATTR / FS_IOC_FSSETXATTR: read, tag a tree, tag a new directory.

Private to vzkit.vz; may change in any release.

- A project id is inherited only by inodes created under a directory that carries it with
  PROJINHERIT, so a new container's empty private directory is tagged before its template is
  unpacked; an existing tree is walked once. Symlinks and device nodes cannot be opened to be
  tagged: they keep their old id (they hold no data blocks), and are counted as skipped.
- Containers cannot change project ids: the kernel refuses it from any user namespace but the
  host's, and every vzkit container has its own.
"""
from __future__ import annotations

import errno
import fcntl
import os
import stat
import struct
from dataclasses import dataclass

from .._errors import VzStateError

# FS_IOC_FSGETXATTR / FS_IOC_FSSETXATTR (linux/fs.h): struct fsxattr, the project id at offset 12.
FS_IOC_FSGETXATTR, FS_IOC_FSSETXATTR = 0x801C581F, 0x401C5820
FSXATTR = struct.Struct("=5I8x")
FS_XFLAG_PROJINHERIT = 0x200


def _getxattr(fd: int) -> list:
    buf = bytearray(FSXATTR.size)
    fcntl.ioctl(fd, FS_IOC_FSGETXATTR, buf)
    return list(FSXATTR.unpack(buf))


def projid_of(path: str) -> tuple:
    """(project id, PROJINHERIT set) of a file or directory."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        x = _getxattr(fd)
    finally:
        os.close(fd)
    return x[3], bool(x[0] & FS_XFLAG_PROJINHERIT)


def _tag_fd(fd: int, projid: int, directory: bool) -> bool:
    """Give an open file the project id (and directories PROJINHERIT); True when it changed."""
    x = _getxattr(fd)
    flags = x[0] | FS_XFLAG_PROJINHERIT if directory else x[0]
    if x[3] == projid and flags == x[0]:
        return False
    x[0], x[3] = flags, projid
    fcntl.ioctl(fd, FS_IOC_FSSETXATTR, FSXATTR.pack(*x))
    return True


@dataclass
class TagCount:
    tagged: int = 0      # files and directories given the id
    unchanged: int = 0   # already had it
    skipped: int = 0     # symlinks, device nodes, fifos, sockets, other filesystems


def tag_tree(root: str, projid: int) -> TagCount:
    """Give every directory and regular file under root (root too) the project id, directories with
    PROJINHERIT. Never follows a symlink and never leaves root's filesystem: the tree may belong to a
    running container, so every file is opened relative to its directory's fd with O_NOFOLLOW and checked
    to be the inode that was listed."""
    count = TagCount()
    top = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    dev = os.fstat(top).st_dev
    _count(count, _tag_fd(top, projid, True))
    stack = [(top, os.scandir(top))]
    try:
        while stack:
            dir_fd, entries = stack[-1]
            entry = next(entries, None)
            if entry is None:
                entries.close()
                os.close(dir_fd)
                stack.pop()
                continue
            child = _open_entry(dir_fd, entry.name, dev)
            if child is None:
                count.skipped += 1
                continue
            fd, is_dir = child
            _count(count, _tag_fd(fd, projid, is_dir))
            if is_dir:
                stack.append((fd, os.scandir(fd)))
            else:
                os.close(fd)
    finally:
        for dir_fd, entries in stack:
            entries.close()
            os.close(dir_fd)
    return count


def _count(count: TagCount, changed: bool) -> None:
    if changed:
        count.tagged += 1
    else:
        count.unchanged += 1


def _open_entry(dir_fd: int, name: str, dev: int):
    """(fd, is_dir) of a directory or regular file entry, or None for anything else."""
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if st.st_dev != dev or not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
        return None
    is_dir = stat.S_ISDIR(st.st_mode)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_DIRECTORY if is_dir else os.O_NONBLOCK | os.O_NOCTTY)
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR):  # replaced since it was listed
            return None
        raise
    now = os.fstat(fd)
    if (now.st_ino, now.st_dev, stat.S_IFMT(now.st_mode)) != (st.st_ino, st.st_dev, stat.S_IFMT(st.st_mode)):
        os.close(fd)
        return None
    return fd, is_dir


def tag_dir(path: str, projid: int) -> None:
    """Tag one (new, empty) directory so that everything made under it inherits the id."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        _tag_fd(fd, projid, True)
    finally:
        os.close(fd)


def check_parent(path: str) -> None:
    """A private area is renamed into and out of its parent: the kernel refuses (EXDEV) a rename into a
    PROJINHERIT directory of another project, so such a parent is refused up front."""
    parent = os.path.dirname(os.path.normpath(path))
    try:
        projid, inherit = projid_of(parent)
    except OSError:
        return
    if inherit and projid:
        raise VzStateError("%s carries project id %d with inheritance, so the containers' private areas under it "
                           "cannot have their own" % (parent, projid), param="vz_conf",
                           hint="clear it (chattr -P -p 0 %s) or put VE_PRIVATE elsewhere" % parent)


__all__ = ["TagCount", "projid_of", "tag_tree", "tag_dir", "check_parent", "FS_XFLAG_PROJINHERIT"]
