# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The source's half of a migration (vz_migrate), as vzmigrate did it. Private to vzkit.vz; may change in any release.

1. ``prepare`` on the destination (over SSH): what it has of the container already;
2. passes while the container runs: simfs, ``rsync`` of the private area into the destination's partial
   directory; zfs, a snapshot (frozen, consistent) sent whole the first time, then incrementally;
3. the container stopped (a guard process starts it again should this run die), a last pass;
4. ``finish`` on the destination: the container made of what arrived, with this config, started when it
   ran here - the downtime is from the stop to the destination's answer;
5. the source destroyed (or, with ``keep_source``, kept stopped: one copy runs).

A re-run after an interruption resumes: rsync sends only what differs, zfs sends from the newest snapshot
both sides have; a destination that already runs the container (``done``) only lets the source go.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import socket
import time
from dataclasses import dataclass

from .. import _streams as streams
from .._config import DEFAULT_VZ_CONF
from .._container import _context as container
from .._container import _ensure as entry
from .._converge import Planned, Report, converge
from .._errors import VzCommandError, VzConfigError, VzStateError, VzUnsupported
from .._lock import ContainerLock
from .._snapshots import take_consistent
from .._spec import ContainerSpec, validate_ctid
from ._receive import SNAPSHOT_PREFIX, drop_transfer_snapshots
from .._guard import Guard
from ._watchdog import source_restarter

HOST_RE = re.compile(r"[A-Za-z0-9_.:%-]+")  # a name or an address; never an ssh option (no leading '-')
USER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
RSYNC_VANISHED = 24  # "some files vanished before they could be transferred": a running container's


@dataclass(frozen=True)
class MigrateSpec:
    ctid: str
    dest: str
    dest_ctid: str
    dest_user: str = "root"
    dest_port: int | None = None
    private_key_file: str | None = None
    ssh_args: tuple = ()
    dest_vz_conf: str | None = None
    dest_vzctl: str = "vzctl"
    dest_sudo: bool = False
    dest_zfs_dataset: str | None = None
    keep_source: bool = False
    passes: int = 2
    stop_timeout: int = 60
    vz_conf: str = DEFAULT_VZ_CONF

    @classmethod
    def from_params(cls, p: dict) -> "MigrateSpec":
        ctid = validate_ctid(p.get("ctid"))
        dest = p.get("dest") or ""
        if not HOST_RE.fullmatch(dest) or dest.startswith("-"):
            raise VzConfigError("%r is not a host name or address" % dest, param="dest",
                                hint="give the destination host as ssh reaches it (a name or an address)")
        user = p.get("dest_user") or "root"
        if not USER_RE.fullmatch(user):
            raise VzConfigError("%r is not a user name" % user, param="dest_user", hint="give the SSH user on the destination")
        key = p.get("private_key_file")
        if key and not os.path.isfile(key):
            raise VzConfigError("%s is not a file" % key, param="private_key_file", hint="give the path of the SSH key")
        args = p.get("ssh_args") or []
        args = shlex.split(args) if isinstance(args, str) else [str(a) for a in args]
        passes = 2 if p.get("passes") is None else p["passes"]
        if isinstance(passes, bool) or not isinstance(passes, int) or not 1 <= passes <= 10:
            raise VzConfigError("%r is not a number of passes" % (passes,), param="passes", hint="use 1 to 10")
        port = p.get("dest_port")
        if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
            raise VzConfigError("%r is not a port" % (port,), param="dest_port", hint="use 1 to 65535")
        return cls(ctid=ctid, dest=dest, dest_ctid=validate_ctid(p.get("dest_ctid") or ctid, param="dest_ctid"),
                   dest_user=user, dest_port=port, private_key_file=key, ssh_args=tuple(args),
                   dest_vz_conf=p.get("dest_vz_conf"), dest_vzctl=p.get("dest_vzctl") or "vzctl",
                   dest_sudo=bool(p.get("dest_sudo")), dest_zfs_dataset=p.get("dest_zfs_dataset"),
                   keep_source=bool(p.get("keep_source")), passes=passes,
                   stop_timeout=60 if p.get("stop_timeout") is None else int(p["stop_timeout"]),
                   vz_conf=p.get("vz_conf") or DEFAULT_VZ_CONF)

    @property
    def source(self) -> str:
        """What the destination records: this host and the container (VZKIT_MIGRATED_FROM)."""
        return "%s:%s" % (socket.gethostname(), self.ctid)


class Destination:
    """The destination host, through ssh: its ``vzctl migrate-receive`` and the argv that reach it."""

    def __init__(self, spec: MigrateSpec, host, layout: str):
        self.spec, self.host, self.layout = spec, host, layout
        # (timeouts: a guard asking a destination that went away must not hang on it, holding the lock)
        self.ssh = [host.bin("ssh"), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=10",
                    "-o", "ServerAliveCountMax=3"] + (["-p", str(spec.dest_port)] if spec.dest_port else []) \
            + (["-i", spec.private_key_file] if spec.private_key_file else []) + list(spec.ssh_args)
        self.login = "%s@%s" % (spec.dest_user, spec.dest)

    def command(self, step: str, *, start: bool = False) -> list:
        s = self.spec
        argv = ["sudo", "-n"] if s.dest_sudo else []
        argv += [s.dest_vzctl, "migrate-receive", s.dest_ctid, step, "--layout", self.layout, "--source", s.source]
        argv += (["--zfs-dataset", s.dest_zfs_dataset] if s.dest_zfs_dataset else []) + \
            (["--vz-conf", s.dest_vz_conf] if s.dest_vz_conf else []) + (["--start"] if start else [])
        return self.ssh + [self.login, shlex.join(argv)]

    def call(self, step: str, *, data: bytes | None = None, start: bool = False) -> dict:
        try:
            res = self.host.run(self.command(step, start=start), data=data)
        except VzCommandError as exc:
            said = (exc.details.get("stderr") or "").strip().splitlines()
            raise VzStateError("destination %s: %s failed: %s" % (self.spec.dest, step, said[-1] if said else "rc %s" % exc.details.get("rc")),
                               param="dest", hint="see the destination's vzctl; a re-run resumes from what arrived",
                               **exc.details) from None
        try:
            return json.loads(res.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise VzStateError("destination %s: %s answered %r, not vzctl migrate-receive's JSON"
                               % (self.spec.dest, step, res.stdout[-200:]), param="dest_vzctl",
                               hint="give the destination's vzctl of vzkit (dest_vzctl)") from None


def ensure(spec: MigrateSpec, host) -> dict:
    ctx, conf = container.Context.build(ContainerSpec(ctid=spec.ctid, vz_conf=spec.vz_conf), host)
    if conf is None:  # gone from here: done by an earlier run when the destination has it from us
        return _already_moved(spec, host)
    return converge(host, lambda: plan(spec, ctx), noun="migration",  # (its lock goes with the source)
                    lock=ContainerLock(ctx.globals.get("LOCKDIR"), spec.ctid, keep_while=ctx.conf_path))


def _already_moved(spec, host) -> dict:
    dest = Destination(spec, host, "simfs")  # (status reads, and no layout)
    if dest.call("status").get("state") == "done":
        return {"changed": False, "actions": [], "migration": {"ctid": spec.ctid, "dest": spec.dest,
                                                               "dest_ctid": spec.dest_ctid, "source": "absent"}}
    raise VzStateError("container %s does not exist here" % spec.ctid, param="ctid",
                       hint="give a container of this host (vz_container_info lists them)")


def plan(spec: MigrateSpec, ctx) -> Planned:
    kind = ctx.layout.capabilities.backup
    if kind not in ("tar", "zfs-send"):
        raise VzUnsupported("migrating %s containers" % ctx.layout.name, "only simfs and zfs containers migrate yet",
                            param="ctid")
    running = container.observe(ctx).running
    there = Destination(spec, ctx.host, ctx.layout.name).call("status")  # (it only reads there)
    if there["state"] == "done":  # an earlier run got it there: what is left is letting the source go
        actions = (["start container %s on %s" % (spec.dest_ctid, spec.dest)] if running and there["container"] != "running"
                   else []) + (["stop container %s here (it runs on %s)" % (spec.ctid, spec.dest)] if running else [])
        actions += [] if spec.keep_source else ["destroy container %s here" % spec.ctid]
    else:
        how = "rsync" if kind == "tar" else "zfs send"
        actions = ["copy container %s to %s as %s (%s; %s)" % (
            spec.ctid, spec.dest, spec.dest_ctid, how,
            "%d passes while it runs, the last with it stopped" % (spec.passes + 1) if running else "stopped: one pass")]
        actions.append("make container %s on %s of it%s" % (spec.dest_ctid, spec.dest, " and start it" if running else ""))
        actions.append("keep container %s here, stopped" % spec.ctid if spec.keep_source else "destroy container %s here" % spec.ctid)
    result = {}

    def apply():
        result.update(_migrate(spec, ctx, running=running))

    def report(applied: bool) -> Report:
        return Report(result if applied else {"ctid": spec.ctid, "dest": spec.dest, "dest_ctid": spec.dest_ctid,
                                              "layout": ctx.layout.name})
    return Planned(actions, apply, report)


def _migrate(spec, ctx, *, running: bool) -> dict:
    dest = Destination(spec, ctx.host, ctx.layout.name)
    have = dest.call("prepare")
    passes, downtime, parts = [], 0.0, {}
    if have["state"] != "done":
        send = _rsync if ctx.layout.capabilities.backup == "tar" else _zfs_pass
        for _pass in range(spec.passes if running else 0):
            passes.append(send(spec, ctx, dest, have, running=True))
        guard = Guard(source_restarter(spec.ctid, spec.vz_conf, ctx.host, lambda: dest.call("status").get("state") != "done"),
                      what="vz_migrate of container %s" % spec.ctid) if running else None
        with guard if guard is not None else contextlib.nullcontext():
            stopped = time.monotonic()
            if running:
                entry.run_locked(ContainerSpec(ctid=spec.ctid, state="stopped", stop_timeout=spec.stop_timeout,
                                               vz_conf=spec.vz_conf), ctx)
            parts["stop"] = time.monotonic() - stopped
            passes.append(send(spec, ctx, dest, have, running=False))
            parts["last_pass"] = passes[-1]["seconds"]
            finishing = time.monotonic()
            with open(ctx.conf_path, "rb") as fh:
                done = dest.call("finish", data=fh.read(), start=running)
            parts["finish"] = time.monotonic() - finishing
            downtime = time.monotonic() - stopped if running else 0.0
            if guard is not None:
                guard.done()
    else:  # an earlier run got it there; it runs there if it runs here, then one copy runs
        done = {"state": have.get("container")}
        if running and done["state"] != "running":
            with open(ctx.conf_path, "rb") as fh:
                done = dest.call("finish", data=fh.read(), start=True)
        if running:
            entry.run_locked(ContainerSpec(ctid=spec.ctid, state="stopped", stop_timeout=spec.stop_timeout,
                                           vz_conf=spec.vz_conf), ctx)
    _let_go(spec, ctx)
    for i, p in enumerate(passes):
        p["pass"] = i + 1
    return {"ctid": spec.ctid, "dest": spec.dest, "dest_ctid": spec.dest_ctid, "layout": ctx.layout.name,
            "passes": passes, "bytes_sent": sum(p["bytes"] for p in passes), "downtime_seconds": round(downtime, 3),
            "downtime_parts": {k: round(v, 3) for k, v in parts.items()} if running else {},
            "state": done.get("state"), "source": "kept" if spec.keep_source else "destroyed"}


def _let_go(spec, ctx) -> None:
    if spec.keep_source:
        if ctx.layout.capabilities.backup == "zfs-send":
            drop_transfer_snapshots(ctx.layout)
        return
    entry.run_locked(ContainerSpec(ctid=spec.ctid, state="absent", stop_timeout=spec.stop_timeout,
                                   vz_conf=spec.vz_conf), ctx)


def _rsync(spec, ctx, dest: Destination, have: dict, *, running: bool) -> dict:
    host = ctx.host
    where = "[%s]" % spec.dest if ":" in spec.dest else spec.dest
    argv = _orphan_proof(host) + [host.bin("rsync"), "-aHAXS", "--numeric-ids", "--delete", "--one-file-system",
                                  "--stats", "-e", shlex.join(dest.ssh)]
    argv += (["--rsync-path", "sudo -n rsync"] if spec.dest_sudo else []) + \
        [ctx.private + "/", "%s@%s:%s/" % (spec.dest_user, where, have["partial"])]
    started = time.monotonic()
    res = host.run(argv, check=False)
    if res.rc != 0 and not (running and res.rc == RSYNC_VANISHED):
        raise VzCommandError(argv, res.rc, res.stdout, res.stderr, param="dest",
                             hint="rsync to the destination failed (it needs rsync there too); a re-run resumes")
    sent = re.search(r"^Total bytes sent: ([0-9,]+)", res.stdout, re.M)
    return {"bytes": int(sent.group(1).replace(",", "")) if sent else 0, "seconds": round(time.monotonic() - started, 3),
            "container": "running" if running else "stopped"}


def _zfs_pass(spec, ctx, dest: Destination, have: dict, *, running: bool) -> dict:
    layout, zfs = ctx.layout, ctx.layout.zfs
    short = "%s%s-%d" % (SNAPSHOT_PREFIX, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), len(have["snapshots"]))
    snapshot = "%s@%s" % (layout.dataset, short)
    started = time.monotonic()
    take_consistent(ctx, layout, [snapshot], running=running, taken_by="vz_migrate")
    base = _common_base(zfs, layout.dataset, have["snapshots"])
    send = _orphan_proof(ctx.host) + [zfs.zfs, "send"] + (["-i", "%s@%s" % (layout.dataset, base)] if base else []) + [snapshot]
    counted = [0]

    def counting(chunks):
        for chunk in chunks:
            counted[0] += len(chunk)
            yield chunk
    streams.write_into([_orphan_proof(ctx.host) + dest.command("stream")], counting(streams.read_from([send])))
    guid = (zfs.get([snapshot], ["guid"]).get(snapshot) or {}).get("guid")
    have["snapshots"].append({"name": short, "guid": guid})
    return {"bytes": counted[0], "seconds": round(time.monotonic() - started, 3),
            "container": "running" if running else "stopped", "incremental_from": base}


def _orphan_proof(host) -> list:
    """A prefix that kills the command when this run dies: a killed migration leaves no pass running
    (the re-run's passes would meet it)."""
    return [host.bin("setpriv"), "--pdeathsig", "KILL", "--"]


def _common_base(zfs, dataset: str, theirs: list):
    """The newest snapshot of dataset that the destination has too (same name and guid), or None."""
    mine = zfs.snapshots(dataset)
    guids = zfs.get([s.name for s in mine], ["guid"]) if mine else {}
    received = {(t["name"], t["guid"]) for t in theirs}
    for snap in reversed(mine):
        if (snap.short, (guids.get(snap.name) or {}).get("guid")) in received:
            return snap.short
    return None


__all__ = ["MigrateSpec", "Destination", "ensure", "plan"]
