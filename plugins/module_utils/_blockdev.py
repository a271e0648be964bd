# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A block device carrying one GPT partition and a filesystem: the zvol layout's disk.

Private to vzkit.vz; may change in any release.

Pure argv builders and parsers first (``sfdisk``, ``partx``, ``mkfs``, ``resize2fs``, ``xfs_growfs``,
``e2fsck``), then the few calls made directly: waiting for a device node, a device's size, and
FIFREEZE/FITHAW around a snapshot. Every tool used is in Debian's ``fdisk``, ``util-linux``,
``e2fsprogs`` and ``xfsprogs`` packages.

- The filesystem is made as ploop makes its ext4 (``-b 4096 -E lazy_itable_init,resize=4294967295 -J
  size=128``: block groups reserved so it can grow online to 16 TiB), with the ``quota`` feature for user
  and group quota inside (mounted with ``usrquota,grpquota``; no quota files, no quotacheck).
- Growing is done online: the volume, then the GPT's backup header moved to the new end, the partition
  grown (``sfdisk -N 1``), the kernel told (``partx -u``), then ``resize2fs`` or ``xfs_growfs`` on the
  mounted filesystem. Shrinking is ext4 only, offline: ``e2fsck -f``, ``resize2fs`` to the new size, then
  the partition and the volume. xfs cannot shrink.
"""
from __future__ import annotations

import errno
import fcntl
import os
import stat
import struct
import time

from . import _units as units
from ._errors import VzStateError

FILESYSTEMS = ("ext4", "xfs")
MIB = 1024 * 1024
# GPT needs 34 sectors at the start and 33 at the end; sfdisk aligns the partition to 1 MiB, and the
# end keeps 1 MiB too, so the filesystem is the volume less 2 MiB.
GPT_OVERHEAD = 2 * MIB
EXT4_RESIZE_LIMIT = 4294967295
FIFREEZE, FITHAW = 0xC0045877, 0xC0045878
BLKGETSIZE64 = 0x80081272
# e2fsck exit status bits (e2fsck(8)): below 4 the filesystem is usable.
E2FSCK_RC = {0: "clean", 1: "errors corrected", 2: "errors corrected, reboot advised", 4: "errors left uncorrected",
             8: "operational error", 16: "usage or syntax error", 32: "cancelled by the user",
             128: "shared library error"}


# ---- argv builders (pure) ------------------------------------------------------------------------

def partition_script() -> str:
    """sfdisk input: a GPT label and one Linux partition over the whole disk (aligned to 1 MiB)."""
    return "label: gpt\n,,L\n"


def partition_argv(sfdisk: str, device: str) -> list:
    return [sfdisk, "--quiet", "--wipe", "always", "--wipe-partitions", "always", device]


def relocate_gpt_argv(sfdisk: str, device: str) -> list:
    """Move the backup GPT header to the (new) end of a grown device."""
    return [sfdisk, "--quiet", "--relocate", "gpt-bak-std", device]


def resize_partition_argv(sfdisk: str, device: str) -> list:
    """Grow or shrink partition 1 to the size on stdin (",+" for all the space); the kernel is told
    with partx, since the disk is in use and cannot be re-read as a whole."""
    return [sfdisk, "--quiet", "--no-reread", "--no-tell-kernel", "--force", "-N", "1", device]


def rewrite_table_argv(sfdisk: str, device: str) -> list:
    """A new GPT over a disk whose old one no longer fits it; signatures inside the partition stay."""
    return [sfdisk, "--quiet", "--wipe", "never", "--wipe-partitions", "never", device]


def single_partition_script(size: int) -> str:
    """sfdisk input: GPT and partition 1 at 1 MiB, as partition_script() made it, of size bytes."""
    return "label: gpt\nstart=1MiB, size=%dKiB, type=L\n" % (size // 1024)


def partx_update_argv(partx: str, device: str) -> list:
    return [partx, "--update", "--nr", "1", device]


def mkfs_argv(mkfs: str, fs: str, partition: str) -> list:
    if fs == "ext4":
        return [mkfs, "-q", "-F", "-b", "4096", "-O", "quota", "-J", "size=128",
                "-E", "lazy_itable_init=1,resize=%d,quotatype=usrquota:grpquota" % EXT4_RESIZE_LIMIT, partition]
    return [mkfs, "-q", "-f", partition]


def mount_options(fs: str, *, clone: bool = False) -> str:
    """ext4: user and group quota enforced; xfs the same, and a clone of a volume mounts beside its origin
    although both carry the same filesystem UUID."""
    if fs == "ext4":
        return "usrquota,grpquota"
    return "uquota,gquota" + (",nouuid" if clone else "")


def grow_fs_argv(bins: dict, fs: str, partition: str, mount_point: str) -> list:
    if fs == "ext4":
        return [bins["resize2fs"], partition]
    return [bins["xfs_growfs"], "-d", mount_point]


def shrink_fs_argv(resize2fs: str, partition: str, size: int) -> list:
    return [resize2fs, partition, "%dK" % (size // 1024)]


def fsck_argv(bins: dict, fs: str, partition: str, *, force: bool = False) -> list:
    """Repair only what is safe to repair unattended: e2fsck -p, xfs_repair without -L (a dirty log is
    replayed by mounting, never thrown away here)."""
    if fs == "ext4":
        return [bins["e2fsck"], "-f", "-y", partition] if force else [bins["e2fsck"], "-p", partition]
    return [bins["xfs_repair"], partition]


def e2fsck_result(rc: int) -> tuple:
    """(usable, words) for an e2fsck exit status; below 4 the filesystem can be mounted."""
    words = [E2FSCK_RC[bit] for bit in sorted(E2FSCK_RC) if bit and rc & bit] or [E2FSCK_RC[0]]
    return rc < 4, ", ".join(words)


def partition_bytes(volsize: int) -> int:
    """The size a volume's filesystem gets."""
    return volsize - GPT_OVERHEAD


def _mib(size: int) -> str:
    """Bytes as whole MiB, rounded up, for messages (``602M``)."""
    return units.format_size(-(-size // MIB) * MIB)


def check_shrink(fs: str, new: int, used: int, *, running: bool) -> tuple[str, str] | None:
    """Why a volume cannot shrink to new bytes, and what to do instead (None: it can)."""
    if fs != "ext4":
        return ("%s cannot be shrunk, only grown" % fs,
                "keep the size, or copy the container to a new, smaller one")
    if running:
        return ("an ext4 filesystem shrinks only offline",
                "stop the container (state: stopped), then shrink it")
    margin = max(64 * MIB, used // 10)
    if partition_bytes(new) < used + margin:
        # (partition_bytes leaves 2M for the GPT)
        return ("%s are in use, and the filesystem needs %s more of room" % (_mib(used), _mib(margin)),
                "free space inside first, or give at least %s" % _mib(used + margin + 2 * MIB))
    return None


def parse_dumpe2fs_used(text: str) -> int | None:
    """Bytes in use from ``dumpe2fs -h`` output (block count less free blocks, times the block size)."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    try:
        return (int(fields["Block count"]) - int(fields["Free blocks"])) * int(fields["Block size"])
    except (KeyError, ValueError):
        return None


# ---- the kernel ----------------------------------------------------------------------------------

def wait_for(path: str, *, timeout: float = 30.0) -> str:
    """The block device at path once it exists: zvol nodes and their partitions are made asynchronously
    (a kernel task queue, then udev), after the command that asked for them has returned."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if stat.S_ISBLK(os.stat(path).st_mode):
                return path
        except FileNotFoundError:
            pass
        if time.monotonic() >= deadline:
            raise VzStateError("block device %s did not appear within %d s" % (path, timeout),
                               hint="check that udev runs and that the volume's volmode is full (zfs get volmode)")
        time.sleep(0.1)


def wait_gone(path: str, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while os.path.lexists(path) and time.monotonic() < deadline:
        time.sleep(0.1)


def size_of(device: str) -> int:
    fd = os.open(device, os.O_RDONLY | os.O_CLOEXEC)
    try:
        buf = bytearray(8)
        fcntl.ioctl(fd, BLKGETSIZE64, buf)
        return struct.unpack("=Q", buf)[0]
    finally:
        os.close(fd)


def freeze(mount_point: str) -> None:
    """FIFREEZE: writers block and every dirty block is on disk, so a snapshot of the device is clean."""
    _ioctl_on_dir(mount_point, FIFREEZE)


def thaw(mount_point: str) -> bool:
    """FITHAW; False when the filesystem was not frozen (a run killed while frozen is undone by the next)."""
    try:
        _ioctl_on_dir(mount_point, FITHAW)
    except OSError as e:
        if e.errno == errno.EINVAL:  # not frozen
            return False
        raise
    return True


def _ioctl_on_dir(path: str, request: int) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.ioctl(fd, request, 0)
    finally:
        os.close(fd)


__all__ = ["FILESYSTEMS", "GPT_OVERHEAD", "partition_script", "partition_argv", "relocate_gpt_argv",
           "rewrite_table_argv", "single_partition_script",
           "resize_partition_argv", "partx_update_argv", "mkfs_argv", "mount_options", "grow_fs_argv",
           "shrink_fs_argv", "fsck_argv", "e2fsck_result", "partition_bytes", "check_shrink", "parse_dumpe2fs_used",
           "wait_for", "wait_gone", "size_of", "freeze", "thaw"]
