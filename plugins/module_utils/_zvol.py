# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The volume of a zvol container, as ``vz_zvol`` manages it. Private to vzkit.vz; may change in any release.

The volume is made with its container (``vz_container`` with ``layout: zvol``). Afterwards its size is
changed here (grown online; shrunk offline, ext4 only) and its compression set; the properties fixed at
creation (``volblocksize``, sparseness, the filesystem) are compared with what is asked and a difference is
refused, never "fixed" by re-creating anything.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ._container._context import Context
from . import _units as units
from ._config import DEFAULT_VZ_CONF, read_conf
from ._converge import Planned, Report, converge
from ._errors import VzConfigError, VzStateError
from ._layouts._zvol import round_size
from ._lock import ContainerLock
from ._spec import validate_ctid, zvol_keys


@dataclass(frozen=True)
class ZvolSpec:
    ctid: str
    keys: dict           # CTID.conf keys asked for (DISKSPACE, ZVOL_*), as vz_container's zvol option
    vz_conf: str = DEFAULT_VZ_CONF

    @classmethod
    def from_params(cls, p: dict) -> "ZvolSpec":
        keys = zvol_keys({k: p.get(k) for k in ("size", "volblocksize", "sparse", "fs", "compression")}, prefix="")
        return cls(ctid=validate_ctid(p.get("ctid")), keys=keys, vz_conf=p.get("vz_conf") or DEFAULT_VZ_CONF)


_OPTION = {"ZVOL_BLOCKSIZE": "volblocksize", "ZVOL_SPARSE": "sparse", "ZVOL_FS": "fs"}


def ensure(spec: ZvolSpec, host, *, diff: bool = False) -> dict:
    ctx, _conf = Context.existing(spec.ctid, spec.vz_conf, host,
                                  hint="create it with vzkit.vz.vz_container (layout: zvol, zvol: {size: ...})")
    if not ctx.layout.capabilities.volume:
        raise VzConfigError("container %s has layout %s, not zvol" % (spec.ctid, ctx.layout.name), param="ctid",
                            hint="vz_zvol manages the volume of zvol-layout containers; see vz_quota for others")
    return converge(host, lambda: plan(spec, ctx, read_conf(ctx.conf_path)), noun="zvol",
                    lock=ContainerLock(ctx.globals.get("LOCKDIR"), spec.ctid), diff=diff)


def plan(spec, ctx, conf) -> Planned:
    """What it takes to give the volume the size and compression asked for."""
    layout = ctx.layout
    volume = layout.describe()
    if volume["volsize"] is None:
        raise VzStateError("volume %s is missing" % layout.dataset, param="ctid",
                           hint="it holds the container's files; restore it from a snapshot or a backup")
    _refuse_create_only(spec, volume, conf)
    running = os.path.ismount(layout.root)
    actions, new, after = [], conf.copy(), dict(volume)
    size = None
    if "DISKSPACE" in spec.keys:
        size = round_size(units.parse_pair(spec.keys["DISKSPACE"], unit=units.UNIT_KBYTES, param="size")[1])
        step = layout.resize_plan(size, running=running)
        if step:
            actions.append(step)
        if conf.get("DISKSPACE") != units.format_pair(size, size):
            new.set("DISKSPACE", units.format_pair(size, size))
        after["volsize"] = size
    compression = spec.keys.get("ZVOL_COMPRESSION")
    if compression is not None and volume["compression"] != compression:
        actions.append("set compression of %s to %s (data written from now on)" % (layout.dataset, compression))
    if compression is not None:
        after["compression"] = compression
        if conf.get("ZVOL_COMPRESSION") != compression:
            new.set("ZVOL_COMPRESSION", compression)
    if new.render() != conf.render():
        actions.insert(0, "write %s" % ctx.conf_path)

    def apply():
        if size is not None:  # first: a refused or failed resize leaves the config as it was
            layout.resize(size, running=running)
        if compression is not None and volume["compression"] != compression:
            layout.zfs.set(layout.dataset, {"compression": compression})
        ctx.host.atomic_write(ctx.conf_path, new.render(), 0o644)

    def report(applied: bool) -> Report:
        now = layout.describe() if applied else after
        keys = ("volsize", "compression")
        return Report(dict(now, ctid=spec.ctid, running=running),
                      diff={"before": {k: volume[k] for k in keys}, "after": {k: now[k] for k in keys}})
    return Planned(actions, apply, report)


def _refuse_create_only(spec, volume: dict, conf) -> None:
    # Sparseness as made (a clone of a reserved volume has no refreservation of its own, yet is the same kind).
    have = {"ZVOL_BLOCKSIZE": units.format_size(volume["volblocksize"]) if volume["volblocksize"] else None,
            "ZVOL_SPARSE": conf.get("ZVOL_SPARSE") or ("yes" if volume["sparse"] else "no"), "ZVOL_FS": volume["fs"]}
    for key, option in _OPTION.items():
        if key in spec.keys and spec.keys[key] != have[key]:
            raise VzConfigError("%s is fixed when the volume is made; %s has %s, not %s"
                                % (option, volume["dataset"], have[key], spec.keys[key]), param=option,
                                hint="leave %s out, or make a new container (a snapshot clone keeps it too)" % option)


__all__ = ["ZvolSpec", "ensure", "plan"]
