# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The zfs layout: the private area is a dataset ``PARENT/CTID``, cloned from a template dataset.

Private to vzkit.vz; may change in any release.

- ``PARENT`` is ``VE_ZFS_DATASET`` (vz.conf or the container's config) or the ``zfs_dataset`` option.
- A template cache is unpacked once into ``PARENT/.vzkit-templates/NAME-ID`` (ID identifies the cache
  file: name, size, mtime) and snapshotted ``@vzkit``; containers are clones of that snapshot, so
  creating one costs the same whatever the template's size.
- Every dataset vzkit makes for a container carries the user property ``vzkit:ctid=CTID``; destroy
  removes only datasets with it, never recursively, and refuses when another dataset depends on one.
- As with simfs, creation goes through a sibling that can never be a container id
  (``PARENT/.CTID.vzkit-partial``, mounted at ``.CTID.vzkit-partial`` next to the private area),
  renamed into place when complete; an interrupted run leaves only that, which the next run removes.
- A rollback that keeps newer snapshots leaves the newer line in ``PARENT/.CTID.vzkit-branch-N``
  (see ``_snapshots``).
"""
from __future__ import annotations

import hashlib
import os
import re

from .. import _mounts as mounts
from .. import _units as units
from .._errors import VzConfigError, VzStateError
from .._lock import ContainerLock
from ._base import Capabilities, Layout
from .._zfs import CACHE_PROP, OWNER_PROP, Zfs, as_int, owned_by, validate_dataset

TEMPLATES = ".vzkit-templates"
TEMPLATE_SNAPSHOT = "vzkit"
BRANCH_RE = r"\.%s\.vzkit-branch-(\d+)"


class ZfsLayout(Layout):
    name = "zfs"
    capabilities = Capabilities(quota_keys=("DISKSPACE",), quota_backend="dataset", snapshots=True,
                                keeps_newer_snapshots=True, backup="zfs-send", restores_from=("tar", "zfs-send"))

    def __init__(self, host, *, zfs_dataset=None, **where):
        if not zfs_dataset:
            raise VzConfigError("layout %s needs the parent dataset of the containers' datasets" % self.name,
                                param="zfs_dataset",
                                hint="set zfs_dataset, or VE_ZFS_DATASET in vz.conf (for example vz/private)")
        super().__init__(host, **where)
        self.parent = validate_dataset(zfs_dataset, param="zfs_dataset")
        self.dataset = "%s/%s" % (self.parent, self.ctid)
        self.partial_dataset = "%s/.%s.vzkit-partial" % (self.parent, self.ctid)
        self.rollback_dataset = "%s/.%s.vzkit-rollback" % (self.parent, self.ctid)  # see _snapshots
        self.zfs = Zfs(host)

    def creation_keys(self, *, zvol: dict, disk_quota: bool) -> dict:
        return {"VE_ZFS_DATASET": self.parent}

    # ---- observation -------------------------------------------------------------------
    def exists(self) -> bool:
        """The dataset, or what an interrupted rollback left of it (never re-created over those)."""
        return self.zfs.exists(self.dataset) or self._ours(self.rollback_dataset) or bool(self.branches())

    def leftovers(self) -> list:
        return [d for d in (self.partial_dataset,) if self._ours(d)]

    def is_mounted(self, mountinfo) -> bool:
        return bool(mounts.mounts_at(mountinfo, self.root))

    def _ours(self, name: str) -> bool:
        props = self.zfs.get([name], [OWNER_PROP]).get(name)
        return props is not None and owned_by(props, self.ctid)

    def branches(self) -> list:
        """Datasets that hold the newer snapshots a rollback kept (ours only), oldest first."""
        pattern = re.compile(BRANCH_RE % re.escape(self.ctid))
        found = []
        for name in self.zfs.children(self.parent):
            m = pattern.fullmatch(name.rsplit("/", 1)[-1])
            if m and self._ours(name):
                found.append((int(m.group(1)), name))
        return [name for _number, name in sorted(found)]

    # ---- changes -----------------------------------------------------------------------
    def create(self, template: str, unpack, finish, *, items=None) -> None:
        """Clone the template's dataset into a partial dataset, finish it, rename it into place.

        ``items`` is the new config: its DISKSPACE is set on the partial dataset, before the rename.
        """
        if self.zfs.exists(self.dataset):
            raise VzStateError("dataset %s already exists" % self.dataset, param="ctid",
                               hint="it is not ours to overwrite: choose another ctid, or remove it by hand")
        self.clean_leftovers()
        snapshot = self.template_snapshot(template, unpack)
        os.makedirs(os.path.dirname(self.partial), mode=0o755, exist_ok=True)
        self.zfs.clone(snapshot, self.partial_dataset, {"mountpoint": self.partial, OWNER_PROP: self.ctid})
        self.apply_diskspace(items or {}, dataset=self.partial_dataset)
        finish(self.partial)
        self.rename_unmounted(self.partial_dataset, self.dataset, self.private)
        _rmdir(self.partial)

    def create_from(self, fill, finish, *, items=None, stream: bool = False) -> None:
        """A new container's dataset filled by a restore rather than cloned from a template. With stream,
        ``fill(partial dataset, owned)`` receives zfs streams into it and calls ``owned()`` as soon as the
        dataset exists (so that a failure later removes it); else ``fill(partial directory)`` fills a new
        empty dataset. Then, as ``create``: finished, and renamed into place."""
        if self.zfs.exists(self.dataset):
            raise VzStateError("dataset %s already exists" % self.dataset, param="ctid",
                               hint="it is not ours to overwrite: choose another ctid, or remove it by hand")
        self.clean_leftovers()
        os.makedirs(os.path.dirname(self.partial), mode=0o755, exist_ok=True)
        if stream:
            fill(self.partial_dataset, lambda: self.zfs.set(self.partial_dataset, {OWNER_PROP: self.ctid}))
        else:
            self.zfs.create(self.partial_dataset, {"mountpoint": self.partial, OWNER_PROP: self.ctid})
            fill(self.partial)
        self.adopt_partial(finish, items=items)

    def adopt_partial(self, finish, *, items=None) -> None:
        """Make the container of its partial dataset, filled by a restore or by a migration's passes
        (``zfs receive``): ours, mounted at the partial directory, its quota set, finished, renamed into place."""
        if self.zfs.exists(self.dataset):
            raise VzStateError("dataset %s already exists" % self.dataset, param="ctid",
                               hint="it is not ours to overwrite: choose another ctid, or remove it by hand")
        self.zfs.set(self.partial_dataset, {OWNER_PROP: self.ctid})
        self.set_mountpoint(self.partial_dataset, self.partial)
        self.apply_diskspace(items or {}, dataset=self.partial_dataset)
        finish(self.partial)
        self.rename_unmounted(self.partial_dataset, self.dataset, self.private)
        _rmdir(self.partial)

    def template_snapshot(self, template: str, unpack) -> str:
        """The snapshot containers of this template cache are cloned from; made once per cache file."""
        base = os.path.basename(template).split(".tar", 1)[0]
        st = os.stat(template)
        ident = hashlib.sha256(("%s:%d:%d" % (base, st.st_size, st.st_mtime_ns)).encode()).hexdigest()[:12]
        holder = "%s/%s" % (self.parent, TEMPLATES)
        dataset = "%s/%s-%s" % (holder, base, ident)
        snapshot = "%s@%s" % (dataset, TEMPLATE_SNAPSHOT)
        if self.zfs.exists(snapshot):
            return snapshot
        # Containers of different ids run in parallel: the first unpacks, the others wait for it.
        lock = ContainerLock(self.lock_dir or os.path.dirname(self.private), ".vzkit-template-%s-%s" % (base, ident))
        with lock:
            try:
                if not self.zfs.exists(snapshot):
                    self._make_template(template, holder, dataset, base, ident, unpack)
            finally:
                lock.remove()  # under the lock: a waiter notices and retries on a fresh file
        return snapshot

    def _make_template(self, template: str, holder: str, dataset: str, base: str, ident: str, unpack) -> None:
        st = os.stat(template)
        if not self.zfs.exists(holder):
            self.zfs.create(holder, {"canmount": "off", "mountpoint": "none"})
        partial = "%s/.%s-%s.partial" % (holder, base, ident)
        if self.zfs.exists(partial):  # an interrupted unpack: its snapshot first (never -r)
            if self.zfs.exists(partial + "@" + TEMPLATE_SNAPSHOT):
                self.zfs.destroy(partial + "@" + TEMPLATE_SNAPSHOT)
            self.zfs.destroy(partial)
        where = os.path.join(os.path.dirname(self.private), ".vzkit-template-%s-%s" % (base, ident))
        os.makedirs(os.path.dirname(where), mode=0o755, exist_ok=True)
        self.zfs.create(partial, {"mountpoint": where, CACHE_PROP: "%s:%d:%d" % (base, st.st_size, st.st_mtime_ns)})
        try:
            unpack(where)
            self.zfs.snapshot([partial + "@" + TEMPLATE_SNAPSHOT])
            self.zfs.unmount(partial)
            self.zfs.set(partial, {"mountpoint": "none"})
            self.zfs.rename(partial, dataset)
        except BaseException:
            try:
                self._destroy_with_snapshots(partial)
            except Exception:  # the unpack's error is the one to report; the next run cleans up
                pass
            raise
        finally:
            _rmdir(where)

    def clone_partial(self, snapshot: str) -> None:
        """A new container's dataset from a snapshot, mounted at the partial directory (see _snapshots)."""
        self.zfs.clone(snapshot, self.partial_dataset, {"mountpoint": self.partial, OWNER_PROP: self.ctid})

    def rename_unmounted(self, old: str, new: str, mountpoint: str) -> None:
        """Rename a dataset and give it its mountpoint. Unmounted first: zfs-fuse cannot rename a
        mounted dataset (always "busy"), and OpenZFS would remount it at the old path meanwhile."""
        if (self.zfs.get([old], ["mounted"]).get(old) or {}).get("mounted") == "yes":
            self.zfs.unmount(old)
        self.zfs.rename(old, new)
        self.set_mountpoint(new, mountpoint)

    def set_mountpoint(self, name: str, mountpoint: str) -> None:
        self.zfs.set(name, {"mountpoint": mountpoint})
        if (self.zfs.get([name], ["mounted"]).get(name) or {}).get("mounted") != "yes":
            self.zfs.mount(name)

    def mount(self) -> None:
        props = self.zfs.get([self.dataset], ["mounted", "mountpoint"]).get(self.dataset)
        if props is None:
            raise VzStateError("dataset %s is missing; %s" % (self.dataset, ", ".join(self._family()) or "nothing of it is left"),
                               param="ctid", hint="an interrupted rollback leaves the container's data in the datasets "
                                                  "named; rename the right one to %s" % self.dataset)
        if props.get("mountpoint") != self.private:
            raise VzStateError("dataset %s is mounted at %s, not at the private area %s"
                               % (self.dataset, props.get("mountpoint"), self.private),
                               hint="zfs set mountpoint=%s %s" % (self.private, self.dataset))
        if props.get("mounted") != "yes":
            self.zfs.mount(self.dataset)
        os.makedirs(self.root, mode=0o755, exist_ok=True)
        mounts.bind(self.private, self.root)

    def umount(self) -> None:
        mounts.unmount(self.root)

    def destroy(self) -> None:
        """Remove the container's datasets (branches, snapshots, the dataset) and its root area."""
        self.check_destroy()
        self._destroy_family(self._family())
        self.clean_leftovers()
        mounts.remove_mount_point(self.root)
        _rmdir(self.private)

    def _family(self) -> list:
        """The container's datasets that exist: its own, an interrupted rollback's, the branches."""
        return ([d for d in (self.dataset, self.rollback_dataset) if self._ours(d)] + self.branches())

    def check_destroy(self) -> None:
        """Refuse, before anything changes, a destroy that would touch what is not the container's."""
        if not self.zfs.exists(self.dataset):
            self._check_no_clones()
            return
        if not self._ours(self.dataset):
            raise VzStateError("refusing to destroy dataset %s: it does not carry %s=%s" % (self.dataset, OWNER_PROP, self.ctid),
                               param="ctid", hint="it was not made by vzkit for this container; remove it by hand")
        foreign = self.zfs.children(self.dataset)
        if foreign:
            raise VzStateError("dataset %s has child datasets (%s)" % (self.dataset, ", ".join(foreign)),
                               param="ctid", hint="vzkit never destroys recursively: move or destroy them first")
        self._check_no_clones()

    def _check_no_clones(self) -> None:
        mine = {self.dataset, self.rollback_dataset} | set(self.branches())
        for snap, clones in self.zfs.clones(self.parent).items():
            others = [c for c in clones if c not in mine]
            if snap.split("@", 1)[0] in mine and others:
                raise VzStateError("snapshot %s has clones (%s)" % (snap, ", ".join(others)), param="ctid",
                                   hint="destroy the containers cloned from it first (or zfs promote them)")

    def _destroy_family(self, members: list) -> None:
        """Destroy the dataset and its branches, each once nothing left depends on it (rollbacks
        promote clones, so the dependencies can point either way)."""
        left = list(members)
        while left:
            clones = self.zfs.clones(self.parent)
            free = [m for m in left if not any(c in left for s in self.zfs.snapshots(m) for c in clones.get(s.name, []))]
            if not free:
                raise VzStateError("datasets %s depend on each other" % ", ".join(left), param="ctid",
                                   hint="inspect them with zfs list -t all -o name,origin")
            for name in free:
                self._destroy_with_snapshots(name)
                left.remove(name)

    def _destroy_with_snapshots(self, name: str) -> None:
        for snap in reversed(self.zfs.snapshots(name)):
            self.zfs.destroy(snap.name)
        self.zfs.destroy(name)

    def clean_leftovers(self) -> None:
        for name in self.leftovers():
            self._destroy_with_snapshots(name)
        _rmdir(self.partial)

    # ---- quota -------------------------------------------------------------------------
    @staticmethod
    def enforces_diskspace(items: dict) -> bool:
        return True  # the refquota, always

    def apply_diskspace(self, items: dict, *, dataset=None) -> None:
        """DISKSPACE's limit as the dataset's refquota (a new container, or a clone, starts with none)."""
        if items.get("DISKSPACE"):
            _barrier, limit = units.parse_pair(items["DISKSPACE"], unit=units.UNIT_KBYTES, param="DISKSPACE")
            self.zfs.set(dataset or self.dataset, {"refquota": limit if limit else "none"})
        elif dataset is None:  # the key was removed from an existing container's config
            self.zfs.set(self.dataset, {"refquota": "none"})

    # ---- snapshots ---------------------------------------------------------------------
    def rollback(self, snapshot: str, *, destroy_newer: bool) -> None:
        self.zfs.rollback(snapshot, destroy_newer=destroy_newer)

    def refquota(self):
        props = self.zfs.get([self.dataset], ["refquota"]).get(self.dataset) or {}
        return as_int(props.get("refquota")) or None


def _rmdir(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass  # absent, or not empty: left for the admin, never removed recursively


__all__ = ["ZfsLayout", "TEMPLATES", "TEMPLATE_SNAPSHOT"]
