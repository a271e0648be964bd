# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A container from a backup file (vz_restore). Private to vzkit.vz; may change in any release.

- Every file the restore reads (the backup, and for an incremental zfs backup the backups it is built
  on) is checked against its manifest's sha256 before anything is written: a corrupt or truncated file
  fails naming itself, with nothing changed.
- The container is made as ``vz_container`` makes one: a partial private area (directory or dataset)
  filled, finished (config, ids, identity) and renamed into place; a failure or an interrupt leaves only
  the partial area, removed by the next run, and the config only once the private area is complete.
- A tar backup (simfs) restores onto simfs or zfs; a zfs stream onto zfs.
- ``reset_identity`` (the default under a new ctid) gives the copy its own identity as a clone gets one:
  no machine-id, SSH host keys, host name or addresses, new MACs, its own id range.
- The restored config records the backup (``VZKIT_RESTORED_FROM``): a second run with the same backup
  and ctid is unchanged; any other existing container under that ctid is refused, never overwritten.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .. import _idshift as idshift
from .. import _streams as streams
from .._config import DEFAULT_VZ_CONF, ConfFile, read_conf
from .._container import _arrival as arrival
from .._container import _context as container
from .._container import _ensure as entry
from .._converge import Planned, Report, converge
from .._errors import VzConfigError, VzStateError, VzUnsupported
from .._lock import ContainerLock
from .._snapshots import clone_conf
from .._spec import FLEET_KEY, HOSTNAME_RE, RESTORE_KEY, ContainerSpec, validate_ctid
from .._zfs import validate_dataset
from . import _archive as archive

STATES = ("present", "started")
LAYOUTS = ("simfs", "zfs")  # those whose capabilities list restores_from (vz_restore's layout choices)
_DECOMPRESS = {".zst": ["zstd", "-d", "-q", "-c"], ".gz": ["gzip", "-d", "-c"]}


@dataclass(frozen=True)
class RestoreSpec:
    backup: str
    ctid: str | None = None
    layout: str | None = None
    zfs_dataset: str | None = None
    reset_identity: bool | None = None
    hostname: str | None = None
    state: str = "present"
    vz_conf: str = DEFAULT_VZ_CONF

    @classmethod
    def from_params(cls, p: dict) -> "RestoreSpec":
        backup = p.get("backup") or ""
        if not os.path.isabs(backup):
            raise VzConfigError("%r is not an absolute path" % backup, param="backup",
                                hint="give the absolute path of a backup file made by vz_backup")
        state = p.get("state") or "present"
        if state not in STATES:
            raise VzConfigError("%r is not a state" % state, param="state", hint="use one of: %s" % ", ".join(STATES))
        layout = p.get("layout")
        if layout is not None and layout not in LAYOUTS:
            raise VzUnsupported("restoring onto layout %s" % layout, "backups restore onto simfs and zfs",
                                param="layout", hint="use layout: simfs or zfs")
        hostname = p.get("hostname")
        if hostname is not None and not HOSTNAME_RE.fullmatch(hostname):
            raise VzConfigError("%r is not a host name" % hostname, param="hostname",
                                hint="use letters, digits and '-', dot-separated labels")
        dataset = p.get("zfs_dataset")
        return cls(backup=os.path.normpath(backup), ctid=validate_ctid(p["ctid"]) if p.get("ctid") else None,
                   layout=layout, zfs_dataset=validate_dataset(dataset, param="zfs_dataset") if dataset else None,
                   reset_identity=p.get("reset_identity"), hostname=hostname, state=state,
                   vz_conf=p.get("vz_conf") or DEFAULT_VZ_CONF)


def ensure(spec: RestoreSpec, host) -> dict:
    backup = archive.read(spec.backup)
    ctid = spec.ctid or backup.ctid
    layout = spec.layout or backup.manifest.get("layout")
    ctx, _conf = container.Context.build(ContainerSpec(ctid=ctid, vz_conf=spec.vz_conf, layout=layout,
                                                       zfs_dataset=spec.zfs_dataset), host)
    return converge(host, lambda: plan(spec, backup, ctx), noun="container",
                    lock=ContainerLock(ctx.globals.get("LOCKDIR"), ctid, keep_while=ctx.conf_path))  # none left by a failure


def restore_id(backup) -> str:
    """What the restored config records: the file's name and the start of its payload's sha256."""
    return "%s:%s" % (os.path.basename(backup.path), backup.manifest["members"][-1]["sha256"][:16])


def plan(spec: RestoreSpec, backup, ctx) -> Planned:
    kind = backup.manifest.get("kind")
    conf = read_conf(ctx.conf_path)
    reset = spec.reset_identity if spec.reset_identity is not None else ctx.ctid != backup.ctid
    start = spec.state == "started"
    if conf is not None and conf.get(RESTORE_KEY) != restore_id(backup):
        raise VzStateError("container %s already exists" % ctx.ctid, param="ctid",
                           hint="restore under a new ctid, or destroy it first (vz_container state=absent)")
    if conf is not None and not ctx.layout.exists():
        raise VzStateError("container %s has the config of a restore of %s, but no private area: that restore was "
                           "cut short" % (ctx.ctid, os.path.basename(backup.path)), param="ctid",
                           hint="remove %s (nothing else of it exists) and restore again" % ctx.conf_path)
    if conf is not None:  # this backup's restore, done by an earlier run
        running = container.observe(ctx).running
        actions = ["start container %s" % ctx.ctid] if start and not running else []
        return Planned(actions, lambda: entry.run_locked(ContainerSpec(ctid=ctx.ctid, state="started",
                                                                       vz_conf=spec.vz_conf), ctx),
                       lambda applied: _report(ctx))
    if kind not in ctx.layout.capabilities.restores_from:
        raise VzUnsupported("restoring a %s backup onto layout %s" % (kind, ctx.layout.name),
                            "layout %s is made from %s backups only" % (ctx.layout.name, " or ".join(ctx.layout.capabilities.restores_from) or "no"),
                            param="layout", hint="a tar (simfs) backup restores onto simfs or zfs, a zfs backup onto zfs")
    if ctx.layout.exists() or os.path.lexists(ctx.private):
        raise VzStateError("container %s has no config, but its private area %s exists" % (ctx.ctid, ctx.private),
                           param="ctid", hint="it is not ours to overwrite: choose another ctid, or remove it by hand")
    chain = _chain(backup)
    actions = ["verify %s (sha256 of %d MiB)" % (", ".join(os.path.basename(b.path) for b in chain),
                                                 sum(m["size"] for b in chain for m in b.manifest["members"]) >> 20),
               "restore container %s from %s (%s %s backup of container %s onto layout %s%s)"
               % (ctx.ctid, backup.path, backup.manifest.get("layout"), "incremental" if len(chain) > 1 else "full",
                  backup.ctid, ctx.layout.name, ", with a new identity" if reset else "")]
    if start:
        actions.append("start container %s" % ctx.ctid)

    def apply():
        for b in chain:
            b.verify()
        _restore(spec, chain, ctx, reset=reset)
        if start:
            entry.run_locked(ContainerSpec(ctid=ctx.ctid, state="started", vz_conf=spec.vz_conf), ctx)
    return Planned(actions, apply, lambda applied: _report(ctx) if applied else
                   Report({"ctid": ctx.ctid, "state": "running" if start else "stopped", "layout": ctx.layout.name,
                           "restored_from": os.path.basename(backup.path)}))


def _report(ctx) -> Report:
    obs = container.observe(ctx)
    conf = obs.conf
    return Report({"ctid": ctx.ctid, "state": obs.state, "layout": ctx.layout.name, "private": ctx.private,
                   "hostname": conf.get("HOSTNAME") if conf else None,
                   "restored_from": (conf.get(RESTORE_KEY) or "").split(":", 1)[0] if conf else None})


def _chain(backup) -> list:
    """The backups to apply in order: for an incremental zfs backup, those it is built on, from the full one."""
    chain = [backup]
    while chain[0].manifest.get("base"):
        name = chain[0].manifest["base"]["backup"]
        if name in {os.path.basename(b.path) for b in chain}:
            raise VzStateError("backup %s is built on itself (through %s)" % (backup.path, name), param="backup",
                               hint="its manifest is damaged: use another backup")
        path = os.path.join(os.path.dirname(backup.path), name)
        if not os.path.isfile(path):
            raise VzStateError("backup %s is incremental, built on %s, which is not beside it" % (backup.path, name),
                               param="backup", hint="put the backups it is built on in the same directory")
        chain.insert(0, archive.read(path))
    return chain


def new_conf(source: ConfFile, ctx, *, reset: bool, hostname, restored: str) -> ConfFile:
    """The restored container's config: the backup's, with this host's paths and layout keys."""
    new = arrival.local_conf(clone_conf(source, ctx, hostname=None, machine_id=container.machine_id())
                             if reset else source, ctx)
    if reset:
        new.unset(FLEET_KEY)
    if hostname:
        new.set("HOSTNAME", hostname)
    new.set(RESTORE_KEY, restored)
    return new


def _restore(spec, chain: list, ctx, *, reset: bool) -> None:
    backup = chain[-1]
    host, layout = ctx.host, ctx.layout
    source = ConfFile.parse(b"".join(backup.chunks(backup.manifest["config"])).decode("utf-8"))
    conf = new_conf(source, ctx, reset=reset, hostname=spec.hostname, restored=restore_id(backup))
    if backup.manifest.get("kind") == "zfs-send":
        def make(finish, items):
            layout.create_from(lambda dataset, owned: _receive(host, layout, chain, dataset, owned), finish,
                               items=items, stream=True)
    else:
        def make(finish, items):
            layout.create_from(lambda directory: _untar(host, backup, directory), finish, items=items)
    try:  # (its own range: the old one when free under the same ctid, else the next free one)
        arrival.arrive(ctx, source, conf, make, wanted_ids=None if reset else idshift.idmap_of(source.items()).first_uid,
                       reset_identity=reset)
    except BaseException:
        layout.clean_leftovers()
        raise


def _decompressor(host, name: str) -> list:
    for suffix, argv in _DECOMPRESS.items():
        if name.endswith(suffix):
            return [[host.bin(argv[0])] + argv[1:]]
    return []


def _untar(host, backup, directory: str) -> None:
    """The tar passes in order; --listed-incremental=/dev/null makes the later ones delete what the
    container deleted between the passes. GNU tar never writes through a link it extracted (links
    pointing out of the tree are made last), and names with '..' or a leading '/' are refused."""
    for member in backup.manifest["members"]:
        if not member["name"].startswith("private."):
            continue
        tar = [host.bin("setpriv"), "--pdeathsig", "KILL", "--", host.bin("tar"), "--extract", "--file=-",
               "--directory", directory, "--numeric-owner", "--preserve-permissions", "--same-owner", "--acls",
               "--xattrs", "--xattrs-include=*", "--listed-incremental=/dev/null"]
        streams.write_into(_decompressor(host, member["name"]) + [tar], backup.chunks(member["name"]))


def _receive(host, layout, chain: list, dataset: str, owned) -> None:
    """Each backup's stream into dataset in order (the full one, then the incremental ones)."""
    for i, b in enumerate(chain):
        member = next(m for m in b.manifest["members"] if m["name"].startswith("private.zfs"))
        recv = [layout.zfs.zfs, "receive"] + (["-F"] if i else []) + [dataset]
        streams.write_into(_decompressor(host, member["name"]) + [recv], b.chunks(member["name"]))
        if i == 0:
            owned()


__all__ = ["LAYOUTS", "RestoreSpec", "STATES", "ensure", "new_conf", "plan", "restore_id"]
