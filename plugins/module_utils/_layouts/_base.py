# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every layout is: its declared capabilities and the operations the runtime calls on it.

Private to vzkit.vz; may change in any release. The runtime asks a layout what it can do
(``capabilities``) and tells it what to do (the methods below); it never tests a layout's name. A new
layout is one file in this folder: a subclass of ``Layout`` that fills in the abstract operations,
overrides the defaults that differ, and is listed in ``LAYOUTS`` (``__init__.py``).
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    """What a layout can do, declared once per layout."""

    quota_keys: tuple            # CTID.conf keys of the first-level quota it can enforce
    quota_backend: str           # who manages its quota in vz_quota: "project", "dataset" or "volume"
    snapshots: bool = False      # ZFS snapshots, rollback and clones (vz_snapshot)
    keeps_newer_snapshots: bool = False  # a rollback past newer snapshots can keep them (in a branch)
    volume: bool = False         # a block volume with a filesystem on it (vz_zvol, the zvol option)
    backup: str = ""             # what vz_backup makes of it: "tar" (its files), "zfs-send" (a zfs send stream), "" none yet
    restores_from: tuple = ()    # the kinds of backup vz_restore can make a container of this layout from


class Layout:
    """Where a container's files live: its private area (``VE_PRIVATE``) and root (``VE_ROOT``).

    A layout knows nothing of cgroups or networking. Subclasses set ``name`` and ``capabilities`` and
    implement ``exists``, ``leftovers``, ``is_mounted``, ``create``, ``mount``, ``umount``, ``destroy``,
    ``clean_leftovers``, ``enforces_diskspace`` and ``apply_diskspace``.
    """

    name = ""
    capabilities = Capabilities(quota_keys=(), quota_backend="project")

    def __init__(self, host, *, private: str, root: str, ctid: str, zfs_dataset=None, lock_dir=None, conf_dir=None):
        self.host = host
        self.private = os.path.normpath(private)
        self.root = os.path.normpath(root)
        self.ctid = ctid
        self.conf_dir = conf_dir
        self.lock_dir = lock_dir
        parent, base = os.path.split(self.private)
        self.partial = os.path.join(parent, ".%s.vzkit-partial" % base)

    # ---- creation ----------------------------------------------------------------------
    def creation_keys(self, *, zvol: dict, disk_quota: bool) -> dict:
        """The CTID.conf keys a new container of this layout records (its dataset, its volume, its
        project id); zvol is what the spec asks of a volume, disk_quota vz.conf's DISK_QUOTA != no."""
        return {}

    def check_new_config(self, items: dict) -> None:
        """Refuse, before anything is made, a config this layout cannot create a container from."""

    # ---- destruction -------------------------------------------------------------------
    def check_destroy(self) -> None:
        """Refuse a destroy that would take something other than the container's own (before it is even
        stopped)."""

    # ---- disk quota --------------------------------------------------------------------
    def diskspace_action(self, after: dict, keys: list, *, running: bool) -> str | None:
        """The step that applies a changed first-level quota (keys of ``capabilities.quota_keys``), or
        None when nothing is to be done."""
        wanted = ", ".join("%s %s" % (k, after.get(k) or "unlimited") for k in keys)
        return "set the quota of %s to %s" % (self.private, wanted)

    # ---- snapshots ---------------------------------------------------------------------
    def recover_quiesced(self) -> None:
        """Undo what a run killed inside ``quiesced`` left (a frozen filesystem), before anything else:
        the container's own processes may be blocked on it."""

    def quiesced(self):
        """A context in which the container's files are consistent on disk for a snapshot (a volume's
        filesystem frozen); the cgroup is frozen by the caller."""
        return contextlib.nullcontext()

    def snapshot_note(self) -> str:
        """What the snapshot action adds about the layout's own quiescing, for its message."""
        return ""

    def rollback(self, snapshot: str, *, destroy_newer: bool) -> None:
        """Roll the container's dataset back to snapshot (the latest, or destroying the newer ones)."""
        raise NotImplementedError("layout %s has no snapshots" % self.name)


__all__ = ["Capabilities", "Layout"]
