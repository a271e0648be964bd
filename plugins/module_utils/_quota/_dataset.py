# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vz_quota on the zfs layout: refquota and refreservation, userquota@ and groupquota@, usage.

Private to vzkit.vz; may change in any release. The container's limit is the dataset's ``refquota``
(ZFS has no soft limit: the barrier is stored, not enforced), optionally reserved with
``refreservation``; ``DISKINODES`` is stored but cannot be enforced on ZFS, which allocates inodes as
it needs them. Users and groups inside get ``userquota@HOSTID`` / ``groupquota@HOSTID``.
"""
from __future__ import annotations

from .. import _units as units
from .._converge import Planned, Report
from .._zfs import as_int
from . import _owners as owners
from ._request import parse_diskspace, stored_not_enforced

INODES_ON_ZFS = "ZFS allocates inodes as it needs them, so there is no inode limit to set"
GRACE_ON_ZFS = "ZFS has no soft limit, so there is no grace time"


def plan(spec, ctx, conf) -> Planned:
    """The dataset's properties and the config keys that take the container's quota to spec."""
    layout = ctx.layout
    idmap, users, groups, wanted = owners.resolve_wanted(spec, layout.private, conf)
    uids = sorted({idmap.host_uid(u) for u in users.values()} | {w[2] for w in wanted["user"]})
    gids = sorted({idmap.host_gid(g) for g in groups.values()} | {w[2] for w in wanted["group"]})
    props = (["refquota", "refreservation", "used", "referenced", "available"]
             + ["user%s@%d" % (what, h) for what in ("quota", "used") for h in uids]
             + ["group%s@%d" % (what, h) for what in ("quota", "used") for h in gids])
    current = layout.zfs.get([layout.dataset], props).get(layout.dataset) or {}
    sets, conf_keys, actions = _plan_zfs(spec, layout, conf.items(), current, wanted)
    if conf_keys:
        actions.insert(0, "write %s (%s)" % (ctx.conf_path, ", ".join(sorted(conf_keys))))
    new = conf.copy()
    for key, value in conf_keys.items():
        new.set(key, value)
    for w in _warnings(spec, ctx.conf_path):
        ctx.host.warn(w)
    before = {k: conf.get(k) for k in ("DISKSPACE", "DISKINODES", "QUOTATIME")}
    before.update({prop: as_int(current.get(prop)) or None for prop in sets})
    after = {k: new.get(k) for k in ("DISKSPACE", "DISKINODES", "QUOTATIME")}
    after.update({prop: (value if value != "none" else None) for prop, value in sets.items()})

    def apply():
        if conf_keys:
            ctx.host.atomic_write(ctx.conf_path, new.render(), 0o644)
        for prop in sorted(sets):  # one property per call: zfs-fuse's zfs set takes one
            layout.zfs.set(layout.dataset, {prop: sets[prop]})

    def report(applied: bool) -> Report:
        if applied:
            now = layout.zfs.get([layout.dataset], props).get(layout.dataset) or {}
        else:
            now = dict(current, **{k: (str(v) if v != "none" else "0") for k, v in sets.items()})
        return Report(_describe(spec.ctid, layout, new.items(), now, users, groups, idmap),
                      diff={"before": before, "after": after})
    return Planned(actions, apply, report)


def _plan_zfs(spec, layout, items: dict, current: dict, wanted: dict) -> tuple:
    """(properties to set, config keys to write, actions) that take the dataset to the spec."""
    sets, conf_keys, actions = {}, {}, []
    if spec.diskspace is not None:
        want = spec.diskspace[1]
        if (as_int(current.get("refquota")) or None) != want:
            sets["refquota"] = want if want is not None else "none"
            actions.append("set refquota of %s to %s" % (layout.dataset, units.format_size(want)))
        if items.get("DISKSPACE") != spec.diskspace_text:
            conf_keys["DISKSPACE"] = spec.diskspace_text
    if spec.refreservation is not None:
        limit = spec.diskspace[1] if spec.diskspace is not None else as_int(current.get("refquota"))
        want = limit if spec.refreservation and limit else None
        if (as_int(current.get("refreservation")) or None) != want:
            sets["refreservation"] = want if want is not None else "none"
            actions.append("set refreservation of %s to %s" % (layout.dataset, units.format_size(want)))
    if spec.diskinodes is not None and items.get("DISKINODES") != spec.diskinodes:
        conf_keys["DISKINODES"] = spec.diskinodes
    if spec.quotatime is not None and items.get("QUOTATIME") != spec.quotatime:
        conf_keys["QUOTATIME"] = spec.quotatime
    for kind in ("user", "group"):
        for entry, inner, host_id in wanted[kind]:
            prop = "%squota@%d" % (kind, host_id)
            if (as_int(current.get(prop)) or None) != entry.quota:
                sets[prop] = entry.quota if entry.quota is not None else "none"
                actions.append("set %s quota of %s (id %d) to %s" % (kind, entry.name, inner, units.format_size(entry.quota)))
    return sets, conf_keys, actions


def _warnings(spec, conf_path: str) -> list:
    return stored_not_enforced(spec, conf_path, inodes=INODES_ON_ZFS, grace=GRACE_ON_ZFS, limit="ZFS has no soft limit; the limit %s is")


def _describe(ctid, layout, items, current, users, groups, idmap) -> dict:
    def listing(names, kind, host_id):
        return owners.listing(names, host_id, lambda h: (as_int(current.get("%squota@%d" % (kind, h))),
                                                         as_int(current.get("%sused@%d" % (kind, h)))))
    refquota = as_int(current.get("refquota")) or None
    return {"ctid": ctid, "layout": "zfs", "dataset": layout.dataset,
            "diskspace": {"barrier": parse_diskspace(items["DISKSPACE"])[0] if items.get("DISKSPACE") else refquota,
                          "limit": refquota},
            "refreservation": as_int(current.get("refreservation")) or None,
            "used": as_int(current.get("referenced")), "available": as_int(current.get("available")),
            "diskinodes": {"enforced": False, "reason": INODES_ON_ZFS, "value": items.get("DISKINODES")},
            "users": listing(users, "user", idmap.host_uid), "groups": listing(groups, "group", idmap.host_gid)}


__all__ = ["plan", "INODES_ON_ZFS", "GRACE_ON_ZFS"]
