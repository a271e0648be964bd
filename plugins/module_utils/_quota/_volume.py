# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two-level quota of a zvol container. Private to vzkit.vz; may change in any release.

- First level: the volume's size (``DISKSPACE``'s limit), changed as ``vz_zvol`` changes it: grown online,
  shrunk offline on ext4 only. The filesystem fills the volume, so writes stop at it with ENOSPC.
- Second level: the user and group quota of the container's own filesystem (ext4 made with the ``quota``
  feature and mounted ``usrquota,grpquota``; xfs mounted ``uquota,gquota``), set on the host ids of the
  container's users through ``quotactl_fd``, as ``userquota@`` is on the zfs layout.
"""
from __future__ import annotations

import os

from .. import _units as units
from .._converge import Planned, Report
from .._errors import VzConfigError, VzUnsupported
from .._layouts._zvol import VolumeSpec, round_size
from .._zfs import as_int
from .._fsquota import _kernel as kernel
from . import _owners as owners
from ._request import stored_not_enforced

INODES_ON_ZVOL = "the filesystem's inode count is fixed when it is made"
GRACE_ON_ZVOL = "the volume's size is a hard limit, with no soft limit to give grace"
KIND = {"user": kernel.USRQUOTA, "group": kernel.GRPQUOTA}


def plan(spec, ctx, conf) -> Planned:
    """The volume's size, the config keys and the user and group quota inside that spec asks for."""
    layout = ctx.layout
    if spec.refreservation is not None:
        raise VzUnsupported("refreservation on layout zvol", "a volume's reservation is fixed when it is made "
                            "(zvol.sparse)", param="refreservation", hint="leave refreservation out")
    if spec.diskspace is not None and spec.diskspace[1] is None:
        raise VzConfigError("a zvol container's size cannot be unlimited", param="diskspace",
                            hint="give the volume's size, e.g. 20G")
    actions, items, new = [], conf.items(), conf.copy()
    volsize_before = as_int(layout.volume().get("volsize"))
    mounted = os.path.ismount(layout.private)
    if not mounted:
        actions.append("mount the filesystem of %s at %s" % (layout.dataset, layout.private))
    for key, value in (("DISKSPACE", spec.diskspace_text), ("DISKINODES", spec.diskinodes), ("QUOTATIME", spec.quotatime)):
        if value is not None and items.get(key) != value:
            new.set(key, value)
    conf_keys = sorted(k for k in ("DISKSPACE", "DISKINODES", "QUOTATIME") if items.get(k) != new.get(k))
    if conf_keys:
        actions.append("write %s (%s)" % (ctx.conf_path, ", ".join(conf_keys)))
    size = VolumeSpec.from_items(new.items()).size if spec.diskspace is not None else None
    resize = layout.resize_plan(size, running=os.path.ismount(layout.root), param="diskspace") if size else None
    if resize:
        actions.append(resize)
    sets, listing = _plan_users(spec, layout, conf, mounted, actions)
    for w in _warnings(spec, ctx.conf_path):
        ctx.host.warn(w)

    def apply():
        todo = sets
        if not mounted:  # the users are read, and their quota set, on the mounted filesystem: an unknown
            layout.attach(layout.dataset, layout.private)  # user is refused before anything else changes
            todo = _plan_users(spec, layout, conf, True, [])[0]
        if resize:  # first: a refused or failed resize leaves the config as it was
            layout.resize(size, running=os.path.ismount(layout.root), param="diskspace")
        if conf_keys:
            ctx.host.atomic_write(ctx.conf_path, new.render(), 0o644)
        for kind, host_id, limits in todo:
            kernel.set_limits(layout.private, KIND[kind], host_id, limits)

    def report(applied: bool) -> Report:
        shown = _plan_users(spec, layout, conf, True, [])[1] if applied else listing
        volume = layout.describe()
        if not applied and resize:
            volume = dict(volume, volsize=round_size(spec.diskspace[1]))
        keys = ("DISKSPACE", "DISKINODES", "QUOTATIME")
        return Report(_describe(spec, layout, new, volume, shown, mounted=mounted or applied),
                      diff={"before": dict({k: items.get(k) for k in keys}, volsize=volsize_before),
                            "after": dict({k: new.get(k) for k in keys}, volsize=volume["volsize"])})
    return Planned(actions, apply, report)


def _describe(spec, layout, conf, volume: dict, listing: dict, *, mounted: bool) -> dict:
    return {"ctid": spec.ctid, "layout": "zvol", "dataset": layout.dataset,
            "diskspace": {"barrier": volume["volsize"], "limit": volume["volsize"]},
            "used": volume["fs_used"],
            "available": (volume["fs_size"] - volume["fs_used"]) if mounted and volume["fs_size"] is not None else None,
            "diskinodes": {"enforced": False, "reason": INODES_ON_ZVOL, "value": conf.get("DISKINODES")},
            "volume": volume, "users": listing.get("user", []), "groups": listing.get("group", [])}


def _plan_users(spec, layout, conf, mounted: bool, actions: list) -> tuple:
    """([(kind, host id, limits) to set], {kind: listing}) for the users and groups asked for."""
    if not mounted:  # check mode on an unmounted volume: what was asked is what would be set
        for kind, entries in (("user", spec.users), ("group", spec.groups)):
            for e in entries:
                actions.append("set %s quota of %s to %s" % (kind, e.name, units.format_size(e.quota)))
        return [], {}
    idmap, users, groups, wanted = owners.resolve_wanted(spec, layout.private, conf)
    if wanted["user"] or wanted["group"]:
        fs = kernel.probe(layout.private)
        for kind in ("user", "group"):
            if wanted[kind]:
                kernel.require(fs, KIND[kind], feature="%s quota inside zvol containers" % kind, param=kind + "s")
    sets = []
    for kind in ("user", "group"):
        for entry, inner, host_id in wanted[kind]:
            have = kernel.get(layout.private, KIND[kind], host_id)
            want = kernel.to_blocks(entry.quota) * 1024 or None
            if have.block_hard != want:
                sets.append((kind, host_id, (None, want, have.inode_soft, have.inode_hard)))
                actions.append("set %s quota of %s (id %d) to %s" % (kind, entry.name, inner, units.format_size(want)))
    return sets, {"user": _listing(layout, users, "user", idmap.host_uid),
                  "group": _listing(layout, groups, "group", idmap.host_gid)}


def _listing(layout, names: dict, kind: str, host_id) -> list:
    try:
        fs = kernel.probe(layout.private)
    except OSError:
        return []
    if not fs.accounting(KIND[kind]):
        return []

    def read(h):
        have = kernel.get(layout.private, KIND[kind], h)
        return have.block_hard, have.space
    return owners.listing(names, host_id, read)


def _warnings(spec, conf_path: str) -> list:
    return stored_not_enforced(spec, conf_path, inodes=INODES_ON_ZVOL, grace=GRACE_ON_ZVOL, limit="the volume's size is the limit %s")


__all__ = ["plan", "INODES_ON_ZVOL", "GRACE_ON_ZVOL"]
