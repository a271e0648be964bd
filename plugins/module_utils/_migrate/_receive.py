# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The destination's half of a migration: ``vzctl migrate-receive``, which vz_migrate runs over SSH.

Private to vzkit.vz; may change in any release.

- ``prepare`` says what the destination has of the container: nothing yet, a partial private area the
  earlier passes filled (with, on zfs, the snapshots received: the next pass sends from the newest of
  them), or the container itself, migrated by an earlier run (``done``). It never touches a container
  that came from elsewhere.
- ``receive_stream`` runs ``zfs receive`` into the partial dataset, from stdin.
- ``finish`` makes the container of the partial area, as a creation does: its config from the source's
  (this host's paths, layout keys and id range; the record ``VZKIT_MIGRATED_FROM``), its files shifted to
  the id range it gets here, renamed into place; then started when it ran on the source.
- ``abort`` removes the partial area (nothing else).
"""
from __future__ import annotations

import os
import sys

from .. import _idshift as idshift
from .. import _streams as streams
from .._config import ConfFile, read_conf
from .._container import _arrival as arrival
from .._container import _context as container
from .._container import _ensure as entry
from .._errors import VzStateError, VzUnsupported
from .._lock import ContainerLock
from .._spec import MIGRATED_KEY, ContainerSpec
from .._zfs import OWNER_PROP

SNAPSHOT_PREFIX = "vzkit-migrate-"


def _context(ctid: str, vz_conf: str, host, *, layout=None, zfs_dataset=None):
    return container.Context.build(ContainerSpec(ctid=ctid, vz_conf=vz_conf, layout=layout, zfs_dataset=zfs_dataset), host)


def prepare(ctid: str, vz_conf: str, host, *, layout: str, zfs_dataset, source: str) -> dict:
    ctx, conf = _context(ctid, vz_conf, host, layout=layout, zfs_dataset=zfs_dataset)
    if conf is not None:
        if conf.get(MIGRATED_KEY) != source:
            raise VzStateError("container %s already exists on this host" % ctid, param="dest_ctid",
                               hint="migrate to another ctid (dest_ctid), or destroy that container first")
        if ctx.layout.exists():
            return {"state": "done", "container": container.observe(ctx).state}
        # else a finish wrote the config and was cut before the rename: what arrived is in the partial
        # area, and the next finish completes it
    lay = ctx.layout
    if not lay.capabilities.restores_from:
        raise VzUnsupported("migrating onto layout %s" % lay.name, "only simfs and zfs containers migrate yet",
                            param="layout")
    if conf is None and (os.path.lexists(ctx.private) or lay.exists()):
        raise VzStateError("container %s has no config here, but its private area %s exists" % (ctid, ctx.private),
                           param="dest_ctid", hint="it is not ours to overwrite: choose another dest_ctid, or remove it by hand")
    if lay.capabilities.backup == "tar":  # files: the passes rsync into the partial directory
        os.makedirs(lay.partial, mode=0o755, exist_ok=True)
        return {"state": "receiving", "layout": lay.name, "partial": lay.partial}
    snaps = lay.zfs.snapshots(lay.partial_dataset) if lay.zfs.exists(lay.partial_dataset) else []
    guids = lay.zfs.get([s.name for s in snaps], ["guid"]) if snaps else {}
    return {"state": "receiving", "layout": lay.name, "dataset": lay.partial_dataset,
            "snapshots": [{"name": s.short, "guid": (guids.get(s.name) or {}).get("guid")} for s in snaps]}


def status(ctid: str, vz_conf: str, host, *, source: str, layout=None, zfs_dataset=None) -> dict:
    """``done`` when this host has the container from source, else ``absent``. Taken under the container's
    lock: a finish under way (its run died on the source) completes first."""
    ctx, _conf = _context(ctid, vz_conf, host, layout=layout, zfs_dataset=zfs_dataset)
    with ContainerLock(ctx.globals.get("LOCKDIR"), ctid, keep_while=ctx.conf_path):
        conf = read_conf(ctx.conf_path)
        if conf is not None and conf.get(MIGRATED_KEY) == source and ctx.layout.exists():
            return {"state": "done", "container": container.observe(ctx).state}
    return {"state": "absent"}


def receive_stream(ctid: str, vz_conf: str, host, *, layout: str, zfs_dataset, stdin=None) -> dict:
    """``zfs receive -F`` of the stream on stdin into the container's partial dataset (made by the first)."""
    ctx, conf = _context(ctid, vz_conf, host, layout=layout, zfs_dataset=zfs_dataset)
    if conf is not None:
        raise VzStateError("container %s already exists on this host" % ctid, param="dest_ctid")
    lay = ctx.layout
    first = not lay.zfs.exists(lay.partial_dataset)
    source = stdin if stdin is not None else sys.stdin.buffer
    streams.write_into([[lay.zfs.zfs, "receive", "-F", lay.partial_dataset]], iter(lambda: source.read(streams.CHUNK), b""))
    if first:  # ours from the start: abort and a later creation's cleaning remove it
        lay.zfs.set(lay.partial_dataset, {OWNER_PROP: ctid})  # (one property per call: zfs-fuse's zfs set)
        lay.zfs.set(lay.partial_dataset, {"mountpoint": "none"})
    return {"state": "receiving"}


def finish(ctid: str, vz_conf: str, host, *, layout: str, zfs_dataset, conf_text: str, source: str,
           start: bool) -> dict:
    ctx, _conf = _context(ctid, vz_conf, host, layout=layout, zfs_dataset=zfs_dataset)
    lock = ContainerLock(ctx.globals.get("LOCKDIR"), ctid, keep_while=ctx.conf_path)
    with lock:
        conf = read_conf(ctx.conf_path)
        if conf is not None and conf.get(MIGRATED_KEY) != source:
            raise VzStateError("container %s already exists on this host" % ctid, param="dest_ctid")
        if conf is None or not ctx.layout.exists():  # (a config without its private area: a finish cut short)
            ctx, _conf = _context(ctid, vz_conf, host, layout=layout, zfs_dataset=zfs_dataset)
            _adopt(ctx, ConfFile.parse(conf_text), source, written=conf)
        if start:
            entry.run_locked(ContainerSpec(ctid=ctid, state="started", vz_conf=vz_conf), ctx)
    return {"state": container.observe(ctx).state}


def _adopt(ctx, source_conf: ConfFile, source: str, *, written=None) -> None:
    """The container made of the partial area; written, its config when a finish cut short wrote it."""
    lay = ctx.layout
    new = written.copy() if written is not None else arrival.local_conf(source_conf, ctx)
    new.set(MIGRATED_KEY, source)
    arrival.arrive(ctx, source_conf, new, lambda finish, items: lay.adopt_partial(finish, items=items),
                   wanted_ids=idshift.idmap_of(source_conf.items()).first_uid, claimed=written is not None)
    if lay.capabilities.backup == "zfs-send":  # the passes' snapshots served the transfer only
        drop_transfer_snapshots(lay)


def drop_transfer_snapshots(layout) -> None:
    """The snapshots a migration's passes took of (or received into) a container's dataset."""
    for snap in layout.zfs.snapshots(layout.dataset):
        if snap.short.startswith(SNAPSHOT_PREFIX):
            layout.zfs.destroy(snap.name)


def abort(ctid: str, vz_conf: str, host, *, layout: str, zfs_dataset) -> dict:
    ctx, conf = _context(ctid, vz_conf, host, layout=layout, zfs_dataset=zfs_dataset)
    if conf is None:
        ctx.layout.clean_leftovers()
    return {"state": "absent" if conf is None else container.observe(ctx).state}


__all__ = ["SNAPSHOT_PREFIX", "abort", "drop_transfer_snapshots", "finish", "prepare", "receive_stream", "status"]
