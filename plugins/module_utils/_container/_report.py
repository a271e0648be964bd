# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a run returns about a container: the ``container`` value, what check mode predicts, the diff.

Private to vzkit.vz; may change in any release.
"""
from __future__ import annotations

from .. import _idshift as idshift
from .._errors import VzConfigError
from .._net import _plan as netplan
from .. import _limits as limits
from .._spec import FLEET_KEY
from ._plan import TARGET


def _id_range(ctx, items: dict, id_ranges=None):
    """The container's host id range and the containers it overlaps (None for the identity map)."""
    try:
        idmap = idshift.idmap_of(items)
    except VzConfigError:
        return None
    if not idmap.shifted:
        return None
    if id_ranges is None:
        overlaps = idshift.overlapping(idmap, ctx.globals.conf_dir, ctid=ctx.ctid)
    else:
        overlaps = sorted(c for c, m in id_ranges.items() if c != ctx.ctid and idshift.overlap(idmap, m))
    return {"first_uid": idmap.first_uid, "first_gid": idmap.first_gid, "count": idmap.count, "overlaps": overlaps}


def unenforced_keys(layout, items: dict) -> list:
    """The resource keys stored but not enforced: those with no mainline kernel equivalent, less the disk
    quota the layout enforces (DISKSPACE as a zfs refquota or a zvol's size; DISKSPACE and DISKINODES as a
    simfs container's project quota where its filesystem keeps one)."""
    enforced = layout.capabilities.quota_keys if layout.enforces_diskspace(items) else ()
    return [k for k in limits.unenforced(items) if k not in enforced]


def describe(ctx, obs, *, state: str, conf, id_ranges=None) -> dict:
    """The `container` return value: what is (or, in check mode, what would be)."""
    items = conf.items() if conf is not None else {}
    return {
        "ctid": ctx.ctid,
        "state": state,
        "init_pid": obs.record.pid if obs.running and state == "running" else None,
        "hostname": items.get("HOSTNAME"),
        "ip_address": (items.get("IP_ADDRESS") or "").split(),
        "netif": netplan.netif_dicts(items),
        # An absent container has no layout (a later run could create it with another one).
        "layout": items.get("VE_LAYOUT", ctx.layout.name) if conf is not None and state != "absent" else None,
        "private": ctx.private,
        "root": ctx.root,
        "ostemplate": items.get("OSTEMPLATE"),
        "fleet": items.get(FLEET_KEY),
        "config": items,
        "console_log": ctx.console_log,
        "unenforced": unenforced_keys(ctx.layout, items),
        "usage": ctx.cgroups().usage(ctx.ctid) if state == "running" and obs.running else None,
        "id_range": _id_range(ctx, items, id_ranges) if conf is not None and state != "absent" else None,
        "limits_drift": [{"file": f, "applied": was, "now": now} for f, was, now in obs.drift],
    }


def predict(spec, obs) -> str:
    target = TARGET[spec.state]
    if target is None:
        return "stopped" if obs.conf is None else obs.state
    return target


def diff_of(ctx, obs, container, p) -> list:
    before_state = {"state": obs.state}
    after_state = {"state": container["state"]}
    for change in p.changes:
        if change.key == "limits" and isinstance(change.before, dict):  # drift: the kernel's values, put back
            before_state["enforced_limits"], after_state["enforced_limits"] = change.before, change.after
        if change.key == "ids":  # the private area's owners move to the new range
            before_state["uid_map"], after_state["uid_map"] = change.before, change.after
    out = [{"before": before_state, "after": after_state}]
    if p.conf_before != (p.conf_after if container["state"] != "absent" else None):
        out.append({"before_header": ctx.conf_path, "after_header": ctx.conf_path,
                    "before": p.conf_before or "", "after": (p.conf_after or "") if container["state"] != "absent" else ""})
    return out


__all__ = ["describe", "predict", "diff_of"]
