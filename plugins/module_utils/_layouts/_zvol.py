# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The zvol layout: the private area is the filesystem on a ZFS volume ``PARENT/CTID``.

Private to vzkit.vz; may change in any release.

The classic OpenVZ-on-ZFS recipe, with what it lacked: the volume (``zfs create -V``, sparse or not,
its ``volblocksize`` and compression) gets a GPT label, one partition and ext4 made as ploop makes it
(or xfs), mounted as the private area; the root area is bound onto it as on the other layouts.

- Its size is the container's first-level quota (``DISKSPACE``'s limit): grown online, volume then
  partition then filesystem; shrunk only offline and only on ext4 (xfs cannot shrink), else refused
  with the reason. Second-level quota is the filesystem's own user and group quota.
- A mount that fails on a damaged filesystem runs its repair (``e2fsck -p``, ``xfs_repair``) once and
  reports the result; what needs a human is left to one, with the command to run.
- ``volblocksize``, sparseness and the filesystem are fixed at creation (``ZVOL_BLOCKSIZE``,
  ``ZVOL_SPARSE``, ``ZVOL_FS`` in CTID.conf); they are compared, never set again.
- As with the zfs layout, creation goes through ``PARENT/.CTID.vzkit-partial`` (its filesystem
  mounted at ``.CTID.vzkit-partial`` beside the private area), every volume carries ``vzkit:ctid``,
  and destroy removes only those, never recursively.
"""
from __future__ import annotations

import contextlib
import errno
import os
import time
from dataclasses import dataclass

from .. import _blockdev as blockdev
from .. import _libc as libc
from .. import _mounts as mounts
from .. import _units as units
from .._errors import VzConfigError, VzStateError
from .._zfs import OWNER_PROP, as_int
from ._base import Capabilities
from ._zfs import ZfsLayout, _rmdir

VOLBLOCKSIZES = tuple(2 ** n for n in range(12, 18))  # 4K .. 128K (OpenZFS takes 512 B .. 128K; below 4K is slow)
DEFAULT_VOLBLOCKSIZE = 16384
ZVOL_KEYS = ("ZVOL_BLOCKSIZE", "ZVOL_SPARSE", "ZVOL_FS", "ZVOL_COMPRESSION")
ZVOL_CREATE_ONLY = ("ZVOL_BLOCKSIZE", "ZVOL_SPARSE", "ZVOL_FS")  # fixed when the volume is made
ZVOL_DEFAULTS = {"ZVOL_BLOCKSIZE": "16K", "ZVOL_SPARSE": "yes", "ZVOL_FS": "ext4"}
VOLUME_PROPS = ["volsize", "volblocksize", "refreservation", "compression", "volmode", OWNER_PROP]
MIB = 1024 * 1024
MIN_SIZE = 512 * MIB


def round_size(size: int) -> int:
    """Volume sizes in whole MiB (a multiple of every volblocksize; OpenZFS rounds otherwise)."""
    return -(-int(size) // MIB) * MIB


@dataclass(frozen=True)
class VolumeSpec:
    """A zvol container's volume, from its config (``DISKSPACE`` and the ``ZVOL_*`` keys)."""

    size: int
    volblocksize: int = DEFAULT_VOLBLOCKSIZE
    sparse: bool = True
    fs: str = "ext4"
    compression: str | None = None

    @classmethod
    def from_items(cls, items: dict, *, param: str = "zvol") -> "VolumeSpec":
        if not items.get("DISKSPACE"):
            raise VzConfigError("layout zvol needs the volume's size", param="%s.size" % param,
                                hint="give zvol.size (or DISKSPACE in the config), e.g. 10G")
        _barrier, limit = units.parse_pair(items["DISKSPACE"], unit=units.UNIT_KBYTES, param="DISKSPACE")
        if limit is None or limit < MIN_SIZE:
            raise VzConfigError("a volume of %s is too small" % units.format_size(limit), param="%s.size" % param,
                                hint="give at least 512M (ext4's 128M journal and xfs's 300M minimum need it)")
        bs = units.parse_size(items.get("ZVOL_BLOCKSIZE") or str(DEFAULT_VOLBLOCKSIZE), unit=units.UNIT_BYTES,
                              param="%s.volblocksize" % param)
        if bs not in VOLBLOCKSIZES:
            raise VzConfigError("volblocksize %s is not one of 4K, 8K, 16K, 32K, 64K, 128K" % items.get("ZVOL_BLOCKSIZE"),
                                param="%s.volblocksize" % param, hint="16K suits most containers (OpenZFS 2.2's default)")
        fs = items.get("ZVOL_FS") or "ext4"
        if fs not in blockdev.FILESYSTEMS:
            raise VzConfigError("%r is not a filesystem vzkit makes on a volume" % fs, param="%s.fs" % param,
                                hint="use ext4 or xfs")
        return cls(size=round_size(limit), volblocksize=bs, sparse=items.get("ZVOL_SPARSE", "yes") != "no", fs=fs,
                   compression=items.get("ZVOL_COMPRESSION") or None)


class ZvolLayout(ZfsLayout):
    name = "zvol"
    capabilities = Capabilities(quota_keys=("DISKSPACE",), quota_backend="volume", snapshots=True, volume=True)

    def creation_keys(self, *, zvol: dict, disk_quota: bool) -> dict:
        """The dataset, and what the volume is made with, defaults written out (its size is DISKSPACE)."""
        return dict({"VE_ZFS_DATASET": self.parent},
                    **{k: v for k, v in dict(ZVOL_DEFAULTS, **zvol).items() if k != "DISKSPACE"})

    def check_new_config(self, items: dict) -> None:
        VolumeSpec.from_items(items)  # a volume without a size is refused in check mode too

    def diskspace_action(self, after: dict, keys: list, *, running: bool) -> str | None:
        return self.resize_plan(VolumeSpec.from_items(after, param="config").size, running=running, param="zvol.size")

    # ---- snapshots ---------------------------------------------------------------------
    def recover_quiesced(self) -> None:
        if os.path.ismount(self.private):
            blockdev.thaw(self.private)  # a run killed while it was frozen left it so

    @contextlib.contextmanager
    def quiesced(self):
        """The filesystem on the volume frozen (every dirty block written, writers blocked), so that a
        snapshot holds a clean filesystem, not one that needs its journal replayed."""
        frozen = os.path.ismount(self.private)
        if frozen:
            blockdev.freeze(self.private)
        try:
            yield
        finally:
            if frozen:
                blockdev.thaw(self.private)

    def snapshot_note(self) -> str:
        return ", its filesystem frozen"

    def rollback(self, snapshot: str, *, destroy_newer: bool) -> None:
        self.detach(self.dataset)  # the filesystem goes while its volume's blocks change under it
        self.zfs.rollback(snapshot, destroy_newer=destroy_newer)
        self.reread(self.dataset)

    # ---- devices -----------------------------------------------------------------------
    @staticmethod
    def device(dataset: str) -> str:
        return "/dev/zvol/%s" % dataset

    def partition(self, dataset: str) -> str:
        """The kernel's node of partition 1 (/dev/zdNp1), found through the disk's link: udev renames the
        disk's link when the volume is renamed, but not its partitions' (openzfs/zfs#4282)."""
        return os.path.realpath(self.device(dataset)) + "p1"

    def settle(self) -> None:
        """Wait for udev to finish the events a change to the volume or its partition table queued."""
        udevadm = self.host.which("udevadm")
        if udevadm:
            self.host.run([udevadm, "settle", "--timeout=30"], check=False)

    def volume(self, dataset=None) -> dict:
        name = dataset or self.dataset
        return self.zfs.get([name], VOLUME_PROPS).get(name) or {}

    def fs_type(self, dataset=None) -> str:
        """The filesystem on the volume, as blkid reads it (the config may be gone while the volume is not)."""
        res = self.host.run([self.host.bin("blkid"), "-p", "-o", "value", "-s", "TYPE",
                             self.partition(dataset or self.dataset)], check=False)
        return res.stdout.strip() or "ext4"

    # ---- changes -----------------------------------------------------------------------
    def create(self, template: str, unpack, finish, *, items=None) -> None:
        """Make the volume, its partition and filesystem, unpack into it, then rename it into place."""
        spec = VolumeSpec.from_items(items or {})
        if self.zfs.exists(self.dataset):
            raise VzStateError("dataset %s already exists" % self.dataset, param="ctid",
                               hint="it is not ours to overwrite: choose another ctid, or remove it by hand")
        self.clean_leftovers()
        props = {OWNER_PROP: self.ctid, "volmode": "full"}
        if spec.compression:
            props["compression"] = spec.compression
        self.zfs.create_volume(self.partial_dataset, spec.size, props, sparse=spec.sparse, volblocksize=spec.volblocksize)
        device = blockdev.wait_for(self.device(self.partial_dataset))
        self.settle()
        self.host.run(blockdev.partition_argv(self.host.bin("sfdisk"), device), data=blockdev.partition_script().encode())
        self.settle()
        part = blockdev.wait_for(self.partition(self.partial_dataset))
        mkfs = self.host.bin("mkfs.ext4" if spec.fs == "ext4" else "mkfs.xfs")
        self.host.run(blockdev.mkfs_argv(mkfs, spec.fs, part))
        self.attach(self.partial_dataset, self.partial)
        unpack(self.partial)
        finish(self.partial)
        self.rename_unmounted(self.partial_dataset, self.dataset, self.private)
        _rmdir(self.partial)

    def attach(self, dataset: str, mount_point: str, *, clone: bool = False) -> None:
        """Mount the volume's filesystem at mount_point (once), repairing it once if the mount fails."""
        blockdev.wait_for(self.device(dataset))
        self.settle()
        part = blockdev.wait_for(self.partition(dataset))
        rdev = os.stat(part).st_rdev
        here = [e for e in mounts.mounts_at(mounts.read_mountinfo(), mount_point)
                if e.dev == "%d:%d" % (os.major(rdev), os.minor(rdev))]
        if here:
            return
        os.makedirs(mount_point, mode=0o755, exist_ok=True)
        fs = self.fs_type(dataset)
        options = blockdev.mount_options(fs, clone=clone or self._is_clone(dataset))
        try:
            libc.mount(part, mount_point, fs, 0, options)
        except OSError as e:
            if e.errno not in (errno.EUCLEAN, errno.EIO):  # EUCLEAN is the kernel's EFSCORRUPTED
                raise
            self._repair(part, fs, e)
            libc.mount(part, mount_point, fs, 0, options)

    def _is_clone(self, dataset: str) -> bool:
        return bool((self.zfs.get([dataset], ["origin"]).get(dataset) or {}).get("origin"))

    def _repair(self, part: str, fs: str, error: OSError) -> None:
        bins = {"e2fsck": self.host.bin("e2fsck")} if fs == "ext4" else {"xfs_repair": self.host.bin("xfs_repair")}
        res = self.host.run(blockdev.fsck_argv(bins, fs, part), check=False)
        if fs == "ext4":
            usable, words = blockdev.e2fsck_result(res.rc)
        else:
            usable, words = res.rc == 0, "repaired" if res.rc == 0 else "xfs_repair exited %d" % res.rc
        if not usable:
            by_hand = ("e2fsck -f -y %s" % part if fs == "ext4" else
                       "xfs_repair %s (mount it first to replay its log)" % part)
            raise VzStateError("the filesystem on %s does not mount (%s), and its repair left it unusable: %s"
                               % (part, error.strerror, words), param="ctid", hint="repair it by hand: %s" % by_hand,
                               cmd=res.argv, rc=res.rc, stdout=res.stdout, stderr=res.stderr)
        self.host.warn("the filesystem on %s did not mount (%s); %s found: %s; it is mounted now"
                       % (part, error.strerror, " ".join(res.argv[:1]), words))

    def detach(self, dataset: str) -> None:
        """Unmount the volume's filesystem wherever it is mounted (binds of it too), deepest first."""
        if not os.path.exists(self.device(dataset)):
            return
        part = self.partition(dataset)
        if not os.path.exists(part):
            return
        rdev = os.stat(part).st_rdev
        dev = "%d:%d" % (os.major(rdev), os.minor(rdev))
        for entry in sorted((e for e in mounts.read_mountinfo() if e.dev == dev), key=lambda e: -len(e.mount_point)):
            mounts.unmount(entry.mount_point)

    def reread(self, dataset: str) -> None:
        """After a rollback: the partition table is the snapshot's, and the kernel is told so."""
        device = blockdev.wait_for(self.device(dataset))
        self.host.run(blockdev.partx_update_argv(self.host.bin("partx"), device), check=False)

    def rename_unmounted(self, old: str, new: str, mountpoint: str) -> None:
        self.detach(old)
        self.zfs.rename(old, new)
        self.settle()
        blockdev.wait_gone(self.device(old))
        self.attach(new, mountpoint)

    def set_mountpoint(self, name: str, mountpoint: str) -> None:
        self.attach(name, mountpoint)

    def mount(self) -> None:
        if not self.zfs.exists(self.dataset):
            raise VzStateError("volume %s is missing" % self.dataset, param="ctid",
                               hint="it holds the container's files; restore it from a snapshot or a backup")
        self.attach(self.dataset, self.private)
        os.makedirs(self.root, mode=0o755, exist_ok=True)
        mounts.bind(self.private, self.root)

    def destroy(self) -> None:
        """Unmount, then remove the container's volumes (snapshots first), and its empty mount points."""
        self.check_destroy()
        mounts.unmount(self.root)
        for name in self._family():
            self.detach(name)
        self._destroy_family(self._family())
        self.clean_leftovers()
        mounts.remove_mount_point(self.root)
        _rmdir(self.private)

    def clean_leftovers(self) -> None:
        for name in self.leftovers():
            self.detach(name)
            self._destroy_with_snapshots(name)
        _rmdir(self.partial)

    def clone_partial(self, snapshot: str) -> None:
        """A new container's volume from a snapshot, mounted at the partial directory (see _snapshots)."""
        self.zfs.clone(snapshot, self.partial_dataset, {OWNER_PROP: self.ctid, "volmode": "full"})
        self.attach(self.partial_dataset, self.partial, clone=True)

    # ---- size: the first-level quota ----------------------------------------------------
    @staticmethod
    def enforces_diskspace(items: dict) -> bool:
        return True  # the volume's size

    def apply_diskspace(self, items: dict, *, dataset=None) -> None:
        """DISKSPACE's limit as the volume's size (a clone keeps its origin's, which its config carries)."""
        if dataset is not None or not items.get("DISKSPACE"):
            return
        # Mounted (running, or state mounted): the root area is bound onto the filesystem, so only growing
        # is possible, and it is done online.
        self.resize(VolumeSpec.from_items(items, param="config").size, running=os.path.ismount(self.root),
                    param="zvol.size")

    def resize_plan(self, size: int, *, running: bool, param: str = "size") -> str | None:
        """The action that takes the volume to size (None: it has it); refused with the reason if impossible,
        naming param, the caller's option for the size (vz_zvol size, vz_quota diskspace, vz_container zvol.size)."""
        props = self.volume()
        current = as_int(props.get("volsize")) or 0
        size = round_size(size)
        if size == current:
            return None
        if size > current:
            return "grow volume %s from %s to %s, then its partition and filesystem%s" % (
                self.dataset, units.format_size(current), units.format_size(size), " (online)" if running else "")
        refusal = blockdev.check_shrink(self.fs_type(), size, self._used(param), running=running)
        if refusal:
            why, hint = refusal
            raise VzStateError("volume %s cannot shrink to %s: %s" % (self.dataset, units.format_size(size), why),
                               param=param, hint=hint)
        return "shrink the filesystem, partition and volume %s from %s to %s (offline)" % (
            self.dataset, units.format_size(current), units.format_size(size))

    def _used(self, param: str) -> int:
        """Bytes in use on the filesystem: statvfs when mounted, else ext4's superblock (dumpe2fs -h)."""
        if os.path.ismount(self.private):
            st = os.statvfs(self.private)
            return (st.f_blocks - st.f_bfree) * st.f_frsize
        res = self.host.run([self.host.bin("dumpe2fs"), "-h", self.partition(self.dataset)], check=False)
        used = blockdev.parse_dumpe2fs_used(res.stdout) if res.rc == 0 else None
        if used is None:
            why = (res.stderr or res.stdout).strip()[-200:]
            raise VzStateError("cannot read how much of %s is in use (%s)" % (self.partition(self.dataset), why),
                               param=param, hint="mount the container (state: mounted) and try again")
        return used

    def resize(self, size: int, *, running: bool, param: str = "size") -> None:
        if self.resize_plan(size, running=running, param=param) is None:
            return
        size = round_size(size)
        current = as_int(self.volume().get("volsize")) or 0
        if size > current:
            self._grow(size)
        else:
            self._shrink(size)

    def _grow(self, size: int) -> None:
        device = self.device(self.dataset)
        self.zfs.set(self.dataset, {"volsize": size})
        _wait_size(device, size)
        sfdisk = self.host.bin("sfdisk")
        self.host.run(blockdev.relocate_gpt_argv(sfdisk, device))
        self.host.run(blockdev.resize_partition_argv(sfdisk, device), data=b",+\n")
        self.host.run(blockdev.partx_update_argv(self.host.bin("partx"), device))
        self.settle()
        self.attach(self.dataset, self.private)
        fs = self.fs_type()
        bins = {"resize2fs": self.host.bin("resize2fs")} if fs == "ext4" else {"xfs_growfs": self.host.bin("xfs_growfs")}
        self.host.run(blockdev.grow_fs_argv(bins, fs, self.partition(self.dataset), self.private))

    def _shrink(self, size: int) -> None:
        """Offline, ext4: check and shrink the filesystem, shrink the volume, then write the partition table
        anew for the smaller disk (the old one's headers point past its end, so it is not edited)."""
        device, part = self.device(self.dataset), self.partition(self.dataset)
        self.detach(self.dataset)
        res = self.host.run(blockdev.fsck_argv({"e2fsck": self.host.bin("e2fsck")}, "ext4", part, force=True), check=False)
        usable, words = blockdev.e2fsck_result(res.rc)
        if not usable:
            raise VzStateError("e2fsck on %s: %s; the volume was not shrunk" % (part, words), param="size",
                               hint="repair it by hand (e2fsck -f %s)" % part, cmd=res.argv, rc=res.rc,
                               stdout=res.stdout, stderr=res.stderr)
        self.host.run(blockdev.shrink_fs_argv(self.host.bin("resize2fs"), part, blockdev.partition_bytes(size)))
        self.zfs.set(self.dataset, {"volsize": size})
        _wait_size(device, size)
        self.host.run(blockdev.rewrite_table_argv(self.host.bin("sfdisk"), device),
                      data=blockdev.single_partition_script(blockdev.partition_bytes(size)).encode())
        self.settle()
        self.attach(self.dataset, self.private)

    def describe(self) -> dict:
        props = self.volume()
        st = os.statvfs(self.private) if os.path.ismount(self.private) else None
        return {"dataset": self.dataset, "device": self.device(self.dataset), "partition": self.partition(self.dataset),
                "volsize": as_int(props.get("volsize")), "volblocksize": as_int(props.get("volblocksize")),
                "sparse": (as_int(props.get("refreservation")) or 0) == 0, "compression": props.get("compression"),
                "fs": self.fs_type() if props else None,
                "fs_size": st.f_blocks * st.f_frsize if st else None,
                "fs_used": (st.f_blocks - st.f_bfree) * st.f_frsize if st else None, "mounted": st is not None}


def _wait_size(device: str, size: int, *, timeout: float = 30.0) -> None:
    """zfs set volsize returns before the kernel's view of the device has changed."""
    deadline = time.monotonic() + timeout
    while blockdev.size_of(device) != size:
        if time.monotonic() >= deadline:
            raise VzStateError("%s did not reach %d bytes within %d s" % (device, size, timeout),
                               hint="zfs get volsize shows what ZFS has; the kernel may need partx -u %s" % device)
        time.sleep(0.1)


__all__ = ["ZvolLayout", "VolumeSpec", "round_size", "ZVOL_KEYS", "ZVOL_CREATE_ONLY", "ZVOL_DEFAULTS", "VOLBLOCKSIZES", "DEFAULT_VOLBLOCKSIZE"]
