# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mounts: the mountinfo parser, bind/unbind, and the one safe way to write inside a container tree.

Private to vzkit.vz; may change in any release.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from dataclasses import dataclass

from . import _libc as libc
from ._errors import VzStateError

_OCTAL = re.compile(r"\\([0-7]{3})")


def unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as \\ooo octal."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


@dataclass(frozen=True)
class MountEntry:
    mount_id: int
    parent_id: int
    dev: str
    root: str
    mount_point: str
    options: str
    optional: tuple
    fstype: str
    source: str
    super_options: str


def parse_mountinfo(text: str) -> list:
    """Parse /proc/PID/mountinfo text (see proc(5)) into MountEntry records."""
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        left, _sep, right = line.partition(" - ")
        f = left.split(" ")
        r = right.split(" ")
        entries.append(MountEntry(int(f[0]), int(f[1]), f[2], unescape(f[3]), unescape(f[4]), f[5],
                                  tuple(f[6:]), r[0], unescape(r[1]) if len(r) > 1 else "",
                                  r[2] if len(r) > 2 else ""))
    return entries


def read_mountinfo(path: str = "/proc/self/mountinfo") -> list:
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        return parse_mountinfo(fh.read())


def mounts_at(entries, mount_point: str) -> list:
    mount_point = os.path.normpath(mount_point)
    return [e for e in entries if e.mount_point == mount_point]


def mounts_under(entries, path: str) -> list:
    path = os.path.normpath(path)
    prefix = path.rstrip("/") + "/"
    return [e for e in entries if e.mount_point == path or e.mount_point.startswith(prefix)]


def bind(source: str, target: str) -> None:
    libc.mount(source, target, None, libc.MS_BIND)


def unmount(target: str) -> None:
    """Unmount everything at and under target, deepest first; busy mounts are a clear error."""
    for entry in sorted(mounts_under(read_mountinfo(), target), key=lambda e: -len(e.mount_point)):
        try:
            libc.umount(entry.mount_point)
        except OSError as exc:
            if exc.errno == errno.EINVAL:  # already gone
                continue
            raise VzStateError("cannot unmount %s: %s" % (entry.mount_point, exc.strerror),
                               hint="a process on the host may still use it (see fuser -vm %s)" % entry.mount_point)


# ---- writing inside a container tree without following links out of it ----------------------


def remove_mount_point(path: str) -> None:
    """Remove an empty, unmounted mount point (a root area); refuse one something was written into."""
    if os.path.isdir(path) and not os.path.islink(path):
        try:
            os.rmdir(path)
        except OSError as exc:
            raise VzStateError("root area %s is not empty after unmount: %s" % (path, exc.strerror),
                               hint="something was written into the unmounted mount point; inspect it")


def _open_dir_in_root(root_fd: int, rel_dir: str) -> int:
    """Open a directory of the tree, resolving every link as if root_fd were "/"."""
    if not rel_dir:
        return os.dup(root_fd)
    try:
        return libc.openat2(root_fd, rel_dir, os.O_DIRECTORY | os.O_RDONLY, 0,
                            libc.RESOLVE_IN_ROOT | libc.RESOLVE_NO_MAGICLINKS)
    except OSError as exc:
        if exc.errno not in (errno.ENOSYS, errno.EPERM):  # ENOSYS: kernel < 5.6; EPERM: seccomp
            raise
    # Fallback for old kernels: walk, and refuse any link on the way (safe, less permissive).
    fd = os.dup(root_fd)
    for part in rel_dir.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            os.close(fd)
            raise VzStateError("path %s climbs out of the container tree" % rel_dir)
        try:
            nfd = os.open(part, os.O_DIRECTORY | os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
        finally:
            os.close(fd)
        fd = nfd
    return fd


@contextlib.contextmanager
def dir_in_root(root: str, rel_dir: str, *, missing_ok: bool = True):
    """A descriptor of directory rel_dir of the tree, every link resolved inside the tree.

    Yields None when the directory cannot be reached and missing_ok; the one way every in-tree
    helper below finds its directory.
    """
    root_fd = os.open(root, os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    try:
        dir_fd = _open_dir_in_root(root_fd, rel_dir.strip("/"))
    except OSError:
        if not missing_ok:
            raise
        dir_fd = None
    finally:
        os.close(root_fd)
    try:
        yield dir_fd
    finally:
        if dir_fd is not None:
            os.close(dir_fd)


def write_in_root(root: str, relpath: str, data: str, mode: int = 0o644) -> bool:
    """Write ``root/relpath`` so that no link inside the tree can redirect the write.

    Directories are resolved with links taken relative to ``root`` (openat2 RESOLVE_IN_ROOT); the
    file itself is replaced by rename, so a symlink or hard link planted at its name is replaced,
    never written through. Returns False when the content was already the same.
    """
    rel_dir, name = os.path.split(relpath.lstrip("/"))
    payload = data.encode("utf-8")
    with dir_in_root(root, rel_dir, missing_ok=False) as dir_fd:
        if _same_content(dir_fd, name, payload):
            return False
        tmp = ".%s.vzkit-tmp" % name
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except FileNotFoundError:
            pass
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dir_fd)
        try:
            os.write(fd, payload)
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        return True


def _same_content(dir_fd: int, name: str, payload: bytes) -> bool:
    try:
        # O_NONBLOCK: a FIFO planted at the name must not hang us; only a plain file is compared.
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return False  # missing, a link (ELOOP) or unreadable: replace it
    try:
        st = os.fstat(fd)
        return stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and os.read(fd, len(payload) + 1) == payload
    finally:
        os.close(fd)


def read_in_root(root: str, relpath: str):
    """Read a small regular file of the tree the same safe way; None when it is missing or not a file."""
    rel_dir, name = os.path.split(relpath.lstrip("/"))
    with dir_in_root(root, rel_dir) as dir_fd:
        if dir_fd is None:
            return None
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
        except OSError:
            return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # a directory, FIFO or device is not a config file
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as fh:
        return fh.read(1 << 20).decode("utf-8", "replace")


def unlink_in_root(root: str, relpath: str) -> bool:
    """Remove a regular file of the tree, its directories resolved inside the tree.

    Links and directories at the name are left alone: a link may be the distribution's own (Debian
    links /var/lib/dbus/machine-id to /etc/machine-id), and nothing it points to is ever touched.
    """
    rel_dir, name = os.path.split(relpath.lstrip("/"))
    with dir_in_root(root, rel_dir) as dir_fd:
        if dir_fd is None:
            return False
        try:
            if not stat.S_ISREG(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
                return False
            os.unlink(name, dir_fd=dir_fd)
            return True
        except FileNotFoundError:
            return False


def listdir_in_root(root: str, reldir: str) -> list:
    """Names in a directory of the tree, resolved inside it; [] when it is missing."""
    with dir_in_root(root, reldir) as dir_fd:
        return os.listdir(dir_fd) if dir_fd is not None else []


def readlink_in_root(root: str, relpath: str):
    """The target of a link inside the tree (its directories resolved inside it), or None."""
    rel_dir, name = os.path.split(relpath.lstrip("/"))
    with dir_in_root(root, rel_dir) as dir_fd:
        if dir_fd is None:
            return None
        try:
            return os.readlink(name, dir_fd=dir_fd)
        except OSError:
            return None


__all__ = ["MountEntry", "parse_mountinfo", "read_mountinfo", "mounts_at", "mounts_under", "bind",
           "unmount", "dir_in_root", "write_in_root", "read_in_root", "readlink_in_root", "unlink_in_root", "listdir_in_root",
           "unescape"]
