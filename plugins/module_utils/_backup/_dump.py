# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Making a backup (vz_backup), and keeping the newest ones. Private to vzkit.vz; may change in any release.

- **simfs**, running: a GNU tar pass over the private area while the container runs, then its cgroup is
  frozen for a second pass (``--listed-incremental``) that holds only what changed during the first, and
  thawed: the freeze lasts for the changes, not the tree. Stopped: one pass.
- **zfs**: a snapshot taken with the container frozen (``vz_snapshot``'s consistent path), sent whole or,
  with ``incremental``, from the snapshot of the newest backup of the container that still has it on the
  dataset. The snapshot of the newest backup is kept as the next base; older ``vzkit-backup-*`` snapshots
  are destroyed once the new backup is complete.
- **Retention** (``keep``): the oldest backups of the container beyond the newest ``keep`` are removed,
  except those a kept incremental backup needs; only files named as vzkit backups of this container.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass

from .. import _streams as streams
from .._config import DEFAULT_VZ_CONF
from .._container import _context as container
from .._converge import Planned, Report, converge
from .._errors import VzConfigError, VzError, VzUnsupported
from .._guard import Guard
from .._lock import ContainerLock
from .._snapshots import take_consistent
from .._spec import validate_ctid
from . import _archive as archive

COMPRESSIONS = {"zstd": (".zst", ["zstd", "-T0", "-q", "-c"], "--zstd"), "gzip": (".gz", ["gzip", "-c"], "--gzip"),
                "none": ("", None, None)}
SNAPSHOT_PREFIX = "vzkit-backup-"


@dataclass(frozen=True)
class BackupSpec:
    ctid: str
    dest: str
    incremental: bool = False
    keep: int | None = None
    compression: str = "zstd"
    vz_conf: str = DEFAULT_VZ_CONF

    @classmethod
    def from_params(cls, p: dict) -> "BackupSpec":
        dest = p.get("dest") or ""
        if not os.path.isabs(dest) or not os.path.isdir(dest):
            raise VzConfigError("%r is not an existing directory" % dest, param="dest",
                                hint="give the absolute path of a directory (create it first, e.g. with ansible.builtin.file)")
        keep = p.get("keep")
        if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
            raise VzConfigError("%r is not a count of backups" % (keep,), param="keep", hint="use a whole number, 1 or more")
        compression = p.get("compression") or "zstd"
        if compression not in COMPRESSIONS:
            raise VzConfigError("%r is not a compression" % compression, param="compression",
                                hint="use one of: %s" % ", ".join(COMPRESSIONS))
        return cls(ctid=validate_ctid(p.get("ctid")), dest=os.path.normpath(dest), incremental=bool(p.get("incremental")),
                   keep=keep, compression=compression, vz_conf=p.get("vz_conf") or DEFAULT_VZ_CONF)


def ensure(spec: BackupSpec, host) -> dict:
    ctx, _conf = container.Context.existing(spec.ctid, spec.vz_conf, host)
    return converge(host, lambda: plan(spec, ctx), noun="backup", lock=ContainerLock(ctx.globals.get("LOCKDIR"), spec.ctid))


def plan(spec: BackupSpec, ctx) -> Planned:
    layout = ctx.layout
    if not layout.capabilities.backup:
        raise VzUnsupported("backups of %s containers" % layout.name, "only simfs and zfs containers are backed up yet",
                            param="ctid", hint="snapshot it with vz_snapshot and copy the volume with zfs send by hand")
    for area in (ctx.private, ctx.root):  # (its root area is its private area, mounted)
        real = os.path.realpath(area)
        if os.path.commonpath([real, os.path.realpath(spec.dest)]) == real:
            raise VzConfigError("%s is inside the container's private area %s" % (spec.dest, area), param="dest",
                                hint="keep backups outside the container (it could read them; a backup would hold itself)")
    running = container.observe(ctx).running
    created = time.time()
    path = os.path.join(spec.dest, archive.file_name(spec.ctid, created))
    while os.path.lexists(path):  # one backup per second per container; the next second for another
        created += 1
        path = os.path.join(spec.dest, archive.file_name(spec.ctid, created))
    base = _base(spec, layout) if layout.capabilities.backup == "zfs-send" and spec.incremental else None
    how = _how(layout, running, base, spec.incremental)
    actions = ["back up container %s to %s (%s)" % (spec.ctid, path, how)]
    doomed = expired(spec.dest, spec.ctid, spec.keep, new=path, new_base=base and base["backup"]) if spec.keep else []
    actions.extend("remove old backup %s (keep %d)" % (p, spec.keep) for p in doomed)
    made = {}

    def apply():
        made["manifest"] = _make(spec, ctx, path, created, running=running, base=base)
        for old in doomed:
            os.unlink(old)

    def report(applied: bool) -> Report:
        if applied:
            value = archive.describe(archive.read(path))
        else:
            value = {"path": path, "ctid": spec.ctid, "layout": layout.name, "incremental": base is not None,
                     "created_iso": archive.iso(created)}
        return Report(value, extra={"removed": doomed})
    return Planned(actions, apply, report)


def _how(layout, running: bool, base, incremental: bool) -> str:
    if layout.capabilities.backup == "tar":
        return ("running: a pass while it runs, a final pass with it frozen" if running else "stopped: one pass")
    kind = "incremental from %s" % base["snapshot"] if base else "full" + (" (no earlier backup to build on)" if incremental else "")
    return "zfs send, %s, of a snapshot taken %s" % (kind, "with it frozen" if running else "while it is stopped")


# ---- making one -----------------------------------------------------------------------------------

def _make(spec, ctx, path: str, created: float, *, running: bool, base) -> dict:
    for name in os.listdir(spec.dest):  # partial files of this container's interrupted backups, and only those
        m = archive.PARTIAL_RE.fullmatch(name)
        full = archive.NAME_RE.fullmatch(m.group("name")) if m else None
        if full and full.group("ctid") == spec.ctid:
            os.unlink(os.path.join(spec.dest, name))
    with open(ctx.conf_path, "rb") as fh:
        conf = fh.read()
    manifest = {"ctid": spec.ctid, "host": archive.host_name(), "created": round(created, 3),
                "created_iso": archive.iso(created), "layout": ctx.layout.name, "compression": spec.compression,
                "running": running, "config": "%s.conf" % spec.ctid, "base": None}
    with archive.Writer(path) as writer:
        writer.add_bytes(manifest["config"], conf)
        if ctx.layout.capabilities.backup == "tar":
            manifest.update(kind="tar", freeze_seconds=_tar_passes(spec, ctx, writer, running=running))
        else:
            manifest.update(kind="zfs-send", **_zfs_send(spec, ctx, writer, created, running=running, base=base))
        writer.finish(manifest)
    if manifest["kind"] == "zfs-send":  # the new snapshot is the next backup's base; older ones served theirs
        _drop_older_bases(ctx.layout, manifest["snapshot"]["name"])
    return manifest


def _drop_older_bases(layout, newest: str) -> None:
    zfs = layout.zfs
    clones = zfs.clones(layout.parent)
    for old in zfs.snapshots(layout.dataset):
        if old.taken_by == "vz_backup" and old.short != newest and not clones.get(old.name):
            zfs.destroy(old.name)


def _tar_passes(spec, ctx, writer, *, running: bool) -> float:
    host = ctx.host
    suffix, _program, flag = COMPRESSIONS[spec.compression]
    with tempfile.TemporaryDirectory(prefix="vzkit-backup-") as work:
        snar = os.path.join(work, "listed-incremental")

        def tar_pass(level: int):
            argv = [host.bin("setpriv"), "--pdeathsig", "KILL", "--", host.bin("tar"), "--create", "--file=-",
                    "--directory", ctx.private, "--one-file-system", "--numeric-owner", "--acls", "--xattrs",
                    "--xattrs-include=*", "--sparse", "--listed-incremental=" + snar] + ([flag] if flag else []) + ["."]
            # a file that changes while the first pass reads it (status 1) is read again by the frozen one
            writer.add_stream("private.%d.tar%s" % (level, suffix), streams.read_from([argv], ok=(0, 1) if running else (0,)))

        tar_pass(0)
        if not running:
            return 0.0
        groups = ctx.cgroups()
        started = time.monotonic()
        # a guard thaws it should this run die while it is frozen
        with Guard(lambda: groups.thaw(spec.ctid), what="vz_backup of container %s" % spec.ctid) as guard:
            groups.freeze(spec.ctid)
            try:
                tar_pass(1)
            finally:
                groups.thaw(spec.ctid)
                guard.done()
        return round(time.monotonic() - started, 3)


def _zfs_send(spec, ctx, writer, created: float, *, running: bool, base) -> dict:
    layout, host = ctx.layout, ctx.host
    zfs = layout.zfs
    short = SNAPSHOT_PREFIX + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(created))
    snapshot = "%s@%s" % (layout.dataset, short)
    frozen = take_consistent(ctx, layout, [snapshot], running=running, taken_by="vz_backup")
    try:
        guid = (zfs.get([snapshot], ["guid"]).get(snapshot) or {}).get("guid")
        send = [zfs.zfs, "send"] + (["-i", "%s@%s" % (layout.dataset, base["snapshot"])] if base else []) + [snapshot]
        suffix, program, _flag = COMPRESSIONS[spec.compression]
        argvs = [send] + ([[host.bin(program[0])] + program[1:]] if program else [])
        with contextlib.closing(streams.read_from(argvs)) as chunks:  # (closed: zfs send ends before the destroy)
            writer.add_stream("private.zfs" + suffix, chunks)
    except BaseException:
        zfs.destroy(snapshot)  # this run's own snapshot; the dataset's others are untouched
        raise
    return {"freeze_seconds": round(frozen, 3), "dataset": layout.dataset, "snapshot": {"name": short, "guid": guid},
            "base": base}


def _base(spec, layout):
    """The newest backup of the container whose snapshot the dataset still has (same guid), or None."""
    have = {s.short for s in layout.zfs.snapshots(layout.dataset)}
    for path, _ctid, _stamp in reversed(archive.listing(spec.dest, spec.ctid)):
        try:
            m = archive.read(path).manifest
        except VzError:
            continue
        snap = m.get("snapshot") or {}
        if m.get("kind") != "zfs-send" or m.get("host") != archive.host_name() or snap.get("name") not in have:
            continue
        name = "%s@%s" % (layout.dataset, snap["name"])
        if (layout.zfs.get([name], ["guid"]).get(name) or {}).get("guid") == snap.get("guid"):
            return {"snapshot": snap["name"], "guid": snap["guid"], "backup": os.path.basename(path)}
    return None


# ---- retention -----------------------------------------------------------------------------------

def expired(dest: str, ctid: str, keep: int, *, new=None, new_base=None) -> list:
    """The backups of ctid that this host made in dest beyond the newest keep (counting new, about to be
    made), oldest first, without those that a kept incremental backup is built on (directly or through
    others). A file that cannot be read, or another host's (a dest shared by hosts), is never removed."""
    paths = []
    for p, _c, _s in archive.listing(dest, ctid):
        try:
            if archive.read(p).manifest.get("host") == archive.host_name():
                paths.append(p)
        except VzError:
            continue
    kept = set((paths + ([new] if new else []))[-keep:])
    bases = {new: os.path.join(dest, new_base)} if new and new_base else {}
    for p in paths:
        try:
            base = (archive.read(p).manifest.get("base") or {}).get("backup")
        except VzError:
            base = None
        if base:
            bases[p] = os.path.join(dest, base)
    todo = list(kept)
    while todo:
        b = bases.get(todo.pop())
        if b and b not in kept:
            kept.add(b)
            todo.append(b)
    return [p for p in paths if p not in kept]


__all__ = ["BackupSpec", "COMPRESSIONS", "SNAPSHOT_PREFIX", "ensure", "expired", "plan"]
