# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux disk quota through quotactl_fd(2): limits, usage, grace times, what a filesystem keeps.

Private to vzkit.vz; may change in any release.

This is the first-level quota of simfs containers (a project id per private area, on ext4 or xfs) and
the second-level quota of zvol containers (user and group quota on the container's own ext4). No
quota tools are needed: the structs are packed here, and the calls go to the kernel. The project ids
on files are ``_tags``' business.

- ``quotactl_fd`` (Linux 5.14) takes an fd of any file on the filesystem, so no block device path is
  needed, and the generic commands (Q_GETQUOTA, Q_SETQUOTA, Q_GETINFO, Q_SETINFO) work on ext4 and
  xfs alike. Block limits travel in 1 KiB blocks, usage in bytes.
- Grace times (QUOTATIME) belong to the filesystem and quota type, not to one project.
"""
from __future__ import annotations

import ctypes
import errno
import os
import struct
from dataclasses import dataclass

from .. import _libc as libc
from .. import _mounts as mounts
from .._errors import VzUnsupported

USRQUOTA, GRPQUOTA, PRJQUOTA = 0, 1, 2
KINDS = {"user": USRQUOTA, "group": GRPQUOTA, "project": PRJQUOTA}

# quotactl commands (linux/quota.h, linux/dqblk_xfs.h); QCMD(cmd, type) = cmd << 8 | type.
Q_GETINFO, Q_SETINFO, Q_GETQUOTA, Q_SETQUOTA, Q_GETNEXTQUOTA = 0x800005, 0x800006, 0x800007, 0x800008, 0x800009
Q_XGETQSTAT = 0x5805
QIF_BLIMITS, QIF_SPACE, QIF_ILIMITS, QIF_INODES = 1, 2, 4, 8
QIF_LIMITS = QIF_BLIMITS | QIF_ILIMITS
IIF_BGRACE, IIF_IGRACE = 1, 2
# fs_quota_stat.qs_flags: accounting / enforcement per type.
FS_QUOTA_ACCT = {USRQUOTA: 0x1, GRPQUOTA: 0x4, PRJQUOTA: 0x10}
FS_QUOTA_ENFD = {USRQUOTA: 0x2, GRPQUOTA: 0x8, PRJQUOTA: 0x20}
QUOTA_BLOCK = 1024  # QIF_DQBLKSIZE: the unit of dqb_bhardlimit and dqb_bsoftlimit
MAX_ID = 0xFFFFFFFE  # the largest quota id (0xFFFFFFFF is INVALID_PROJID / -1)

# struct if_dqblk: 8 u64 and a u32, padded to 72 bytes (the kernel copies all 72); if_nextdqblk
# puts the id in that padding. struct if_dqinfo: two u64 grace times, flags, valid.
DQBLK = struct.Struct("=8QI4x")
NEXTDQBLK = struct.Struct("=8QII")
DQINFO = struct.Struct("=QQII")
QSTAT_SIZE = 80  # struct fs_quota_stat; qs_flags is the u16 at offset 2


def qcmd(cmd: int, kind: int) -> int:
    return (cmd << 8) | (kind & 0xFF)


def to_blocks(size) -> int:
    """Bytes -> 1 KiB quota blocks, rounded up (0 or None: no limit)."""
    return -(-int(size) // QUOTA_BLOCK) if size else 0


# ---- pure: structs ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Dquot:
    """One id's limits and usage; sizes in bytes, None for no limit, times as epoch seconds (0: none)."""

    block_soft: int | None = None
    block_hard: int | None = None
    space: int = 0
    inode_soft: int | None = None
    inode_hard: int | None = None
    inodes: int = 0
    block_grace_ends: int = 0
    inode_grace_ends: int = 0

    def limits(self) -> tuple:
        return self.block_soft, self.block_hard, self.inode_soft, self.inode_hard


def pack_limits(block_soft=None, block_hard=None, inode_soft=None, inode_hard=None) -> bytes:
    """if_dqblk for Q_SETQUOTA that sets the four limits and nothing else (0 is no limit)."""
    return DQBLK.pack(to_blocks(block_hard), to_blocks(block_soft), 0, int(inode_hard or 0), int(inode_soft or 0),
                      0, 0, 0, QIF_LIMITS)


def unpack_dqblk(buf: bytes) -> Dquot:
    bhard, bsoft, space, ihard, isoft, inodes, btime, itime, _valid = DQBLK.unpack_from(buf)
    return Dquot(bsoft * QUOTA_BLOCK or None, bhard * QUOTA_BLOCK or None, space, isoft or None, ihard or None, inodes,
                 btime, itime)


def pack_grace(block_grace: int, inode_grace: int) -> bytes:
    return DQINFO.pack(int(block_grace), int(inode_grace), 0, IIF_BGRACE | IIF_IGRACE)


def unpack_grace(buf: bytes) -> tuple:
    bgrace, igrace, _flags, _valid = DQINFO.unpack_from(buf)
    return bgrace, igrace


def qstat_flags(buf: bytes) -> int:
    return struct.unpack_from("=bxH", buf)[1]


# ---- pure: what a filesystem offers, and what is missing -----------------------------------------

@dataclass(frozen=True)
class FsState:
    """Quota support of the filesystem that holds a path (from mountinfo and Q_XGETQSTAT)."""

    path: str
    fstype: str
    mount_point: str
    source: str
    quota: bool        # the filesystem takes quotactl at all (ENOSYS otherwise)
    flags: int         # fs_quota_stat.qs_flags

    def accounting(self, kind: int = PRJQUOTA) -> bool:
        return bool(self.flags & FS_QUOTA_ACCT[kind])

    def enforced(self, kind: int = PRJQUOTA) -> bool:
        return self.accounting(kind) and bool(self.flags & FS_QUOTA_ENFD[kind])


_EXT4_OPTION = {USRQUOTA: "usrquota", GRPQUOTA: "grpquota", PRJQUOTA: "prjquota"}
_XFS_OPTION = {USRQUOTA: "uquota", GRPQUOTA: "gquota", PRJQUOTA: "pquota"}


def missing(state: FsState, kind: int = PRJQUOTA) -> str | None:
    """What the filesystem lacks for enforced quota of this kind, naming the mkfs feature or mount
    option to add; None when nothing is missing."""
    if state.enforced(kind):
        return None
    where = "%s at %s (%s)" % (state.fstype, state.mount_point, state.source)
    name = {USRQUOTA: "user", GRPQUOTA: "group", PRJQUOTA: "project"}[kind]
    if state.fstype == "ext4":
        option = _EXT4_OPTION[kind]
        if not state.quota or not state.accounting(kind):
            feature = "quota,project" if kind == PRJQUOTA else "quota"
            return ("%s has no %s quota: it needs the ext4 feature%s %s (mkfs.ext4 -O %s; or, unmounted, "
                    "tune2fs -O %s%s %s; 256-byte inodes) and the mount option %s; the kernel needs CONFIG_QUOTA "
                    "and CONFIG_QFMT_V2" % (where, name, "s" if kind == PRJQUOTA else "", feature, feature, feature,
                                            " -Q prjquota" if kind == PRJQUOTA else "", state.source, option))
        return ("%s counts %s quota but does not enforce it: add the mount option %s (in /etc/fstab) and mount it again"
                % (where, name, option))
    if state.fstype == "xfs":
        option = _XFS_OPTION[kind]
        if not state.accounting(kind):
            return ("%s is mounted without %s quota: add the mount option %s (in /etc/fstab; for / give rootflags=%s on "
                    "the kernel command line) and mount it again (xfs turns quota on only at mount); the kernel needs "
                    "CONFIG_XFS_QUOTA" % (where, name, option, option))
        return ("%s counts %s quota but does not enforce it (mounted with %snoenforce): mount it with %s"
                % (where, name, option[0] + "q", option))
    return ("%s cannot keep %s quota: put the containers' private areas (VE_PRIVATE) on ext4 (mkfs.ext4 -O quota,project, "
            "mounted with prjquota) or xfs (mounted with pquota), or use layout zfs" % (where, name))


def mount_of(entries, path: str, dev: int):
    """The mountinfo entry the path lives on: the innermost mount point above it with its device."""
    want = "%d:%d" % (os.major(dev), os.minor(dev))
    best = None
    for e in entries:
        inside = path == e.mount_point or path.startswith(e.mount_point.rstrip("/") + "/")
        if e.dev == want and inside and (best is None or len(e.mount_point) >= len(best.mount_point)):
            best = e
    return best


# ---- the kernel ----------------------------------------------------------------------------------

def _quotactl(path: str, cmd: int, qid: int, buf) -> None:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        libc.quotactl_fd(fd, cmd, qid, buf)
    finally:
        os.close(fd)


def probe(path: str, entries=None) -> FsState:
    """The quota support of the filesystem holding path (the nearest existing directory above it)."""
    path = os.path.abspath(path)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    entries = mounts.read_mountinfo() if entries is None else entries
    entry = mount_of(entries, os.path.realpath(path), os.stat(path).st_dev)
    buf = ctypes.create_string_buffer(QSTAT_SIZE)
    try:
        _quotactl(path, qcmd(Q_XGETQSTAT, PRJQUOTA), 0, buf)
        quota, flags = True, qstat_flags(buf.raw)
    except OSError as e:
        if e.errno not in (errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTTY, errno.EINVAL):
            raise
        quota, flags = False, 0
    return FsState(path, entry.fstype if entry else "unknown", entry.mount_point if entry else "?",
                   entry.source if entry else "?", quota, flags)


def require(state: FsState, kind: int, *, feature: str, param: str):
    why = missing(state, kind)
    if why:
        raise VzUnsupported(feature, why, param=param, hint="vzkit never skips a quota it was asked for")


def get(path: str, kind: int, qid: int) -> Dquot:
    buf = ctypes.create_string_buffer(DQBLK.size)
    try:
        _quotactl(path, qcmd(Q_GETQUOTA, kind), qid, buf)
    except OSError as e:
        if e.errno == errno.ENOENT:  # no dquot yet: nothing used, no limits
            return Dquot()
        raise
    return unpack_dqblk(buf.raw)


def set_limits(path: str, kind: int, qid: int, limits: tuple) -> None:
    """limits: (block_soft, block_hard, inode_soft, inode_hard), bytes and counts; None or 0 is no limit."""
    buf = ctypes.create_string_buffer(pack_limits(*limits), DQBLK.size)
    _quotactl(path, qcmd(Q_SETQUOTA, kind), qid, buf)


def get_grace(path: str, kind: int) -> tuple:
    buf = ctypes.create_string_buffer(DQINFO.size)
    _quotactl(path, qcmd(Q_GETINFO, kind), 0, buf)
    return unpack_grace(buf.raw)


def set_grace(path: str, kind: int, block_grace: int, inode_grace: int) -> None:
    buf = ctypes.create_string_buffer(pack_grace(block_grace, inode_grace), DQINFO.size)
    _quotactl(path, qcmd(Q_SETINFO, kind), 0, buf)


def ids_in_use(path: str, kind: int = PRJQUOTA) -> set:
    """Every id the filesystem keeps a quota record for (usage or limits), through Q_GETNEXTQUOTA."""
    out, qid = set(), 0
    buf = ctypes.create_string_buffer(NEXTDQBLK.size)
    while qid <= MAX_ID:
        try:
            _quotactl(path, qcmd(Q_GETNEXTQUOTA, kind), qid, buf)
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.ESRCH, errno.ENOSYS):
                break
            raise
        found = NEXTDQBLK.unpack_from(buf.raw)[9]
        out.add(found)
        qid = found + 1
    return out


__all__ = ["USRQUOTA", "GRPQUOTA", "PRJQUOTA", "KINDS", "Dquot", "FsState", "qcmd", "to_blocks",
           "pack_limits", "unpack_dqblk", "pack_grace", "unpack_grace", "qstat_flags", "missing", "mount_of",
           "probe", "require", "get", "set_limits", "get_grace", "set_grace", "ids_in_use", "MAX_ID"]
