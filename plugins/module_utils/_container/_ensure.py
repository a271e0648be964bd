# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container's entry points: converge one to a spec, list them (work inside one: ``_inside``).

Private to vzkit.vz; may change in any release. ``ensure`` is what vz_container (and every later
entry point: fleet, CLI, plugins) calls; it runs the container's plan through the converge step.
"""
from __future__ import annotations

from .. import _idshift as idshift
from .. import _mounts as mounts
from .._config import ConfFile, VzGlobals, ctids_in
from .._converge import Planned, Report, converge
from .._lock import ContainerLock
from .._spec import ContainerSpec, validate_ctid
from ._context import Context, observe
from ._plan import Plan, plan
from ._report import describe, diff_of, predict


def ensure(spec, host, *, diff: bool = False) -> dict:
    """Converge one container to spec; the single entry point modules and plugins call."""
    ctx, _conf = Context.build(spec, host)
    lock = ContainerLock(ctx.globals.get("LOCKDIR"), spec.ctid, keep_while=ctx.conf_path)
    return converge(host, lambda: planned(spec, ctx), noun="container", lock=lock, diff=diff)


def planned(spec, ctx: Context) -> Planned:
    """The container's plan for the converge step: observe, plan, and how to apply and report it."""
    obs = observe(ctx)
    p = plan(spec, ctx, obs)
    for w in p.warnings:
        ctx.host.warn(w)

    def report(applied: bool) -> Report:
        if applied:
            after = observe(ctx)
            value = describe(ctx, after, state=after.state, conf=after.conf)
        else:
            predicted = predict(spec, obs)
            conf_after = ConfFile.parse(p.conf_after) if p.conf_after is not None and predicted != "absent" else None
            value = describe(ctx, obs, state=predicted, conf=conf_after)
        return Report(value, diff=diff_of(ctx, obs, value, p))
    return Planned([c.action for c in p.changes], lambda: _apply(spec, ctx, obs, p), report)


def run_locked(spec, ctx: Context) -> Plan:
    """Plan and carry out spec for a container whose lock the caller already holds (vz_snapshot)."""
    obs = observe(ctx)
    p = plan(spec, ctx, obs)
    for w in p.warnings:
        ctx.host.warn(w)
    if p:
        _apply(spec, ctx, obs, p)
    return p


def _apply(spec, ctx, obs, p) -> None:
    from ._apply import Apply  # (only a plan with changes needs it: see __init__)
    Apply(spec, ctx, obs, p).run()


def info(vz_conf: str, host, ctids=None) -> list:
    """Every container with a CTID.conf (or only ``ctids``), described as they are now."""
    conf_dir = VzGlobals.load(vz_conf).conf_dir
    if ctids is None:
        ctids = ctids_in(conf_dir)
    out = []
    # read once for all: every container's overlaps, the cgroup hierarchies, the mount table
    id_ranges, mount_table, groups = idshift.ranges(conf_dir), mounts.read_mountinfo(), None
    for ctid in ctids:
        ctx, _conf = Context.build(ContainerSpec(ctid=validate_ctid(ctid), vz_conf=vz_conf), host, cgroups=groups)
        groups = ctx.cgroups()
        obs = observe(ctx, mount_table=mount_table)
        out.append(describe(ctx, obs, state=obs.state, conf=obs.conf, id_ranges=id_ranges))
        if out[-1]["id_range"] and out[-1]["id_range"]["overlaps"]:
            host.warn("container %s shares host ids with %s; it will not start until one of them moves to a range "
                      "of its own" % (ctid, ", ".join(out[-1]["id_range"]["overlaps"])))
    return out


__all__ = ["ensure", "planned", "run_locked", "info"]
