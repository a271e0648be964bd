# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container's entry points: converge one to a spec, list them, run a command in one.

Private to vzkit.vz; may change in any release. ``ensure`` is what vz_container (and every later
entry point: fleet, CLI, plugins) calls; it runs the container's plan through the converge step.
"""
from __future__ import annotations

import os

from .. import _idshift as idshift
from .._config import ConfFile, VzGlobals, ctids_in
from .._confine import Confinement
from .._converge import Planned, Report, converge
from .._enter import enter
from .._exec import check_running, copy_in, copy_out, run_in_container
from .._namespaces import INIT_ENV
from .._lock import ContainerLock
from .._spec import ContainerSpec, validate_ctid
from ._apply import Apply
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
    return Planned([c.action for c in p.changes], lambda: Apply(spec, ctx, obs, p).run(), report)


def run_locked(spec, ctx: Context) -> Plan:
    """Plan and carry out spec for a container whose lock the caller already holds (vz_snapshot)."""
    obs = observe(ctx)
    p = plan(spec, ctx, obs)
    for w in p.warnings:
        ctx.host.warn(w)
    if p:
        Apply(spec, ctx, obs, p).run()
    return p


def info(vz_conf: str, host, ctids=None) -> list:
    """Every container with a CTID.conf (or only ``ctids``), described as they are now."""
    conf_dir = VzGlobals.load(vz_conf).conf_dir
    if ctids is None:
        ctids = ctids_in(conf_dir)
    out = []
    id_ranges = idshift.ranges(conf_dir)  # read once: every container's overlaps come from it
    for ctid in ctids:
        ctx, _conf = Context.build(ContainerSpec(ctid=validate_ctid(ctid), vz_conf=vz_conf), host)
        obs = observe(ctx)
        out.append(describe(ctx, obs, state=obs.state, conf=obs.conf, id_ranges=id_ranges))
        if out[-1]["id_range"] and out[-1]["id_range"]["overlaps"]:
            host.warn("container %s shares host ids with %s; it will not start until one of them moves to a range "
                      "of its own" % (ctid, ", ".join(out[-1]["id_range"]["overlaps"])))
    return out


def exec_command(ctid: str, vz_conf: str, host, argv, *, stdin=b"", env=None, cwd: str = "/",
                 timeout: float = 0, decode: bool = True, stdout=None, stderr=None) -> dict:
    """Run argv inside the running container, confined like its init (see ``_exec``); its output as text
    (undecodable bytes replaced), or as bytes without ``decode``; or relayed to the file descriptors
    stdout and stderr as it comes, with stdin a file descriptor relayed to it."""
    pid, attach, confinement = _running(ctid, vz_conf, host)
    res = run_in_container(pid, argv, attach=attach, confinement=confinement, env=env, stdin=stdin,
                           cwd=cwd, timeout=timeout, stdout=stdout, stderr=stderr)
    if not decode:
        return {"rc": res.rc, "stdout": res.stdout, "stderr": res.stderr, "timed_out": res.timed_out}
    return {"rc": res.rc, "stdout": res.stdout.decode("utf-8", "replace"),
            "stderr": res.stderr.decode("utf-8", "replace"), "timed_out": res.timed_out}


def copy_to_container(ctid: str, vz_conf: str, host, source: int, dest: str, *, mode: int = 0o644) -> dict:
    """Copy what the host file descriptor source holds to the file dest inside the running container,
    as its root (see ``_exec.copy_in``)."""
    pid, attach, confinement = _running(ctid, vz_conf, host)
    res = copy_in(pid, source, dest, attach=attach, confinement=confinement, mode=mode)
    return {"rc": res.rc, "error": res.stderr.decode("utf-8", "replace").strip()}


def copy_from_container(ctid: str, vz_conf: str, host, src: str, dest: int) -> dict:
    """Copy the file src inside the running container to the host file descriptor dest."""
    pid, attach, confinement = _running(ctid, vz_conf, host)
    res = copy_out(pid, src, dest, attach=attach, confinement=confinement)
    return {"rc": res.rc, "error": res.stderr.decode("utf-8", "replace").strip()}


def enter_container(ctid: str, vz_conf: str, host, *, argv=("/bin/sh", "-l")) -> int:
    """An interactive session in the running container, on the caller's terminal (see ``_enter``)."""
    pid, attach, confinement = _running(ctid, vz_conf, host)
    env = dict(INIT_ENV, HOME="/root", TERM=os.environ.get("TERM") or "linux")
    return enter(pid, attach=attach, confinement=confinement, argv=list(argv), env=env)


def _running(ctid: str, vz_conf: str, host):
    """The running container's init pid, how to put a process into its cgroups, and its confinement."""
    ctx, _conf = Context.build(ContainerSpec(ctid=validate_ctid(ctid), vz_conf=vz_conf), host)
    obs = observe(ctx)
    check_running(obs.record if obs.running else None, ctx.ctid)
    groups = ctx.cgroups()
    return obs.record.pid, lambda pid: groups.attach(ctx.ctid, pid), Confinement.from_conf(obs.conf.items())


__all__ = ["ensure", "planned", "run_locked", "info", "exec_command", "copy_to_container", "copy_from_container",
           "enter_container"]
