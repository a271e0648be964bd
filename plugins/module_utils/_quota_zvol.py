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

from . import _projquota as projquota
from . import _quota_ids as quota_ids
from . import _units as units
from ._errors import VzConfigError, VzUnsupported
from ._layouts._zvol import VolumeSpec, round_size
from ._zfs import as_int

INODES_ON_ZVOL = "the filesystem's inode count is fixed when it is made"
GRACE_ON_ZVOL = "the volume's size is a hard limit, with no soft limit to give grace"
KIND = {"user": projquota.USRQUOTA, "group": projquota.GRPQUOTA}


def run(spec, ctx, conf, *, check: bool, diff: bool) -> dict:
    layout = ctx.layout
    if spec.refreservation is not None:
        raise VzUnsupported("refreservation on layout zvol", "a volume's reservation is fixed when it is made "
                            "(zvol.sparse)", param="refreservation", hint="leave refreservation out")
    actions, items = [], conf.items()
    volsize_before = as_int(layout.volume().get("volsize"))
    mounted = os.path.ismount(layout.private)
    if not mounted:
        actions.append("mount the filesystem of %s at %s" % (layout.dataset, layout.private))
        if not check:
            layout.attach(layout.dataset, layout.private)
            mounted = True
    new = conf.copy()
    for key, value in (("DISKSPACE", spec.diskspace_text), ("DISKINODES", spec.diskinodes), ("QUOTATIME", spec.quotatime)):
        if value is not None and items.get(key) != value:
            new.set(key, value)
    conf_keys = sorted(k for k in ("DISKSPACE", "DISKINODES", "QUOTATIME") if items.get(k) != new.get(k))
    if conf_keys:
        actions.append("write %s (%s)" % (ctx.conf_path, ", ".join(conf_keys)))
    resize = None
    if spec.diskspace is not None and spec.diskspace[1] is None:
        raise VzConfigError("a zvol container's size cannot be unlimited", param="diskspace",
                            hint="give the volume's size, e.g. 20G")
    if spec.diskspace is not None:
        resize = layout.resize_plan(VolumeSpec.from_items(new.items()).size,
                                    running=os.path.ismount(layout.root), param="diskspace")
        if resize:
            actions.append(resize)
    sets, listing = _plan_users(spec, layout, conf, mounted, actions)
    for w in _warnings(spec, ctx.conf_path):
        ctx.host.warn(w)
    if actions and not check:
        if resize:  # first: a refused or failed resize leaves the config as it was
            layout.resize(VolumeSpec.from_items(new.items()).size, running=os.path.ismount(layout.root),
                          param="diskspace")
        if conf_keys:
            ctx.host.atomic_write(ctx.conf_path, new.render(), 0o644)
        for kind, host_id, limits in sets:
            projquota.set_limits(layout.private, KIND[kind], host_id, limits)
        sets, listing = _plan_users(spec, layout, conf, True, [])
    volume = layout.describe()
    if check and resize and spec.diskspace is not None:
        volume = dict(volume, volsize=round_size(spec.diskspace[1]))
    out = {"changed": bool(actions), "actions": actions,
           "quota": {"ctid": spec.ctid, "layout": "zvol", "dataset": layout.dataset,
                     "diskspace": {"barrier": volume["volsize"], "limit": volume["volsize"]},
                     "used": volume["fs_used"], "available": (volume["fs_size"] - volume["fs_used"]) if mounted and
                     volume["fs_size"] is not None else None,
                     "diskinodes": {"enforced": False, "reason": INODES_ON_ZVOL, "value": new.get("DISKINODES")},
                     "volume": volume, "users": listing.get("user", []), "groups": listing.get("group", [])}}
    if diff:
        keys = ("DISKSPACE", "DISKINODES", "QUOTATIME")
        out["diff"] = {"before": dict({k: items.get(k) for k in keys}, volsize=volsize_before),
                       "after": dict({k: new.get(k) for k in keys}, volsize=volume["volsize"])}
    return out


def _plan_users(spec, layout, conf, mounted: bool, actions: list) -> tuple:
    """([(kind, host id, limits) to set], {kind: listing}) for the users and groups asked for."""
    if not mounted:  # check mode on an unmounted volume: what was asked is what would be set
        for kind, entries in (("user", spec.users), ("group", spec.groups)):
            for e in entries:
                actions.append("set %s quota of %s to %s" % (kind, e.name, units.format_size(e.quota)))
        return [], {}
    idmap, users, groups, wanted = quota_ids.resolve_wanted(spec, layout.private, conf)
    if wanted["user"] or wanted["group"]:
        fs = projquota.probe(layout.private)
        for kind in ("user", "group"):
            if wanted[kind]:
                projquota.require(fs, KIND[kind], feature="%s quota inside zvol containers" % kind, param=kind + "s")
    sets = []
    for kind in ("user", "group"):
        for entry, inner, host_id in wanted[kind]:
            have = projquota.get(layout.private, KIND[kind], host_id)
            want = projquota.to_blocks(entry.quota) * 1024 or None
            if have.block_hard != want:
                sets.append((kind, host_id, (None, want, have.inode_soft, have.inode_hard)))
                actions.append("set %s quota of %s (id %d) to %s" % (kind, entry.name, inner, units.format_size(want)))
    return sets, {"user": _listing(layout, users, "user", idmap.host_uid),
                  "group": _listing(layout, groups, "group", idmap.host_gid)}


def _listing(layout, names: dict, kind: str, host_id) -> list:
    try:
        fs = projquota.probe(layout.private)
    except OSError:
        return []
    if not fs.accounting(KIND[kind]):
        return []

    def read(h):
        have = projquota.get(layout.private, KIND[kind], h)
        return have.block_hard, have.space
    return quota_ids.listing(names, host_id, read)


def _warnings(spec, conf_path: str) -> list:
    out = []
    if spec.diskinodes is not None:
        out.append("`diskinodes`: stored in %s, not enforced: %s" % (conf_path, INODES_ON_ZVOL))
    if spec.quotatime is not None:
        out.append("`quotatime`: stored in %s, not enforced: %s" % (conf_path, GRACE_ON_ZVOL))
    if spec.diskspace is not None and spec.diskspace[0] != spec.diskspace[1]:
        out.append("`diskspace`: the barrier %s is stored, not enforced: the volume's size is the limit %s"
                   % (units.format_size(spec.diskspace[0]), units.format_size(spec.diskspace[1])))
    return out


__all__ = ["run", "INODES_ON_ZVOL", "GRACE_ON_ZVOL"]
