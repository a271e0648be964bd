# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One container as it is: where its pieces are (``Context``) and what disk, /proc and its cgroups
show of it (``observe``). Private to vzkit.vz; may change in any release. Reads only."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .. import _drift as drift
from .. import _mounts as mounts
from .._record import is_alive, read_record
from .._cgroups import _groups as cgroups
from .._cgroups import _hierarchy as hierarchy
from .._config import VzGlobals, expand, read_conf
from .._errors import VzConfigError, VzStateError
from .._layouts import get_layout
from .._spec import ContainerSpec


@dataclass
class Context:
    """Where one container's pieces are, from vz.conf and its own CTID.conf."""

    host: object
    ctid: str
    globals: VzGlobals
    conf_path: str
    private: str
    root: str
    run_dir: str
    console_log: str
    layout: object
    _cgroups: object = field(default=None, repr=False, compare=False)

    @classmethod
    def build(cls, spec, host, *, cgroups=None) -> tuple:
        """The context and the container's current config (None when it has none); cgroups, the host's
        Cgroups when the caller has them already (a listing of many containers detects them once)."""
        g = VzGlobals.load(spec.vz_conf)
        ctid = spec.ctid
        conf_path = os.path.join(g.conf_dir, "%s.conf" % ctid)
        conf = read_conf(conf_path)

        def pick(key):
            own = conf.get(key) if conf is not None else None
            path = expand(own or g.get(key), ctid)
            if not os.path.isabs(path):
                raise VzConfigError("%s %r is not an absolute path" % (key, path), param="vz_conf",
                                    hint="fix %s in %s" % (key, conf_path if own else spec.vz_conf))
            return os.path.normpath(path)

        layout_name = (conf.get("VE_LAYOUT") if conf is not None else None) or spec.layout or g.get("VE_LAYOUT")
        private, root = pick("VE_PRIVATE"), pick("VE_ROOT")
        own_dataset = conf.get("VE_ZFS_DATASET") if conf is not None else None
        if own_dataset and spec.zfs_dataset and spec.zfs_dataset != own_dataset:
            raise VzConfigError("container %s lives under dataset %s, not %s" % (ctid, own_dataset, spec.zfs_dataset),
                                param="zfs_dataset", hint="a container's dataset cannot move; leave zfs_dataset out")
        ctx = cls(host, ctid, g, conf_path, private, root, os.path.join(g.get("VZ_RUN_DIR"), ctid),
                  os.path.join(g.get("VZ_LOG_DIR"), "%s.console.log" % ctid),
                  get_layout(layout_name, host, private=private, root=root, ctid=ctid,
                             zfs_dataset=own_dataset or spec.zfs_dataset or g.get("VE_ZFS_DATASET"),
                             lock_dir=g.get("LOCKDIR"), conf_dir=g.conf_dir), cgroups)
        return ctx, conf

    @classmethod
    def existing(cls, ctid: str, vz_conf: str, host, *, param: str = "ctid",
                 hint: str = "create it first (vz_container)") -> tuple:
        """The context and config of a container that must exist (vz_quota, vz_zvol, vz_snapshot)."""
        ctx, conf = cls.build(ContainerSpec(ctid=ctid, vz_conf=vz_conf), host)
        if conf is None:
            raise VzStateError("container %s does not exist" % ctid, param=param, hint=hint)
        return ctx, conf

    def net_env(self):
        from .._net._steps import Env  # (only a container with a network needs it)
        return Env(neighbour_devs=self.globals.get("NEIGHBOUR_DEVS"),
                   create_bridge=self.globals.get("VZ_CREATE_BRIDGE") == "yes")

    def cgroups(self):
        """The container's cgroups; the host's hierarchy is detected once per run."""
        if self._cgroups is None:
            self._cgroups = cgroups.Cgroups(hierarchy.detect(), self.globals.get("VZ_CGROUP_PARENT"))
        return self._cgroups


@dataclass(frozen=True)
class Observed:
    conf: object  # ConfFile or None
    private_exists: bool
    mounted: bool
    record: object  # InitRecord or None
    running: bool
    stale: bool  # runtime state (run dir, cgroup) of an init that is gone
    leftovers: tuple
    drift: tuple = ()  # (limit file, value applied, value now) of a running container
    legacy_cgroups: tuple = ()  # v1 hierarchies where its processes share its limits' cgroup (older start)

    @property
    def state(self) -> str:
        if self.conf is None:
            return "absent"
        return "running" if self.running else "mounted" if self.mounted else "stopped"


def observe(ctx: Context, *, mount_table=None) -> Observed:
    """What is, read from disk, /proc and the cgroups; mount_table, the host's mounts when the caller has
    read them already (a listing of many containers reads them once)."""
    conf = read_conf(ctx.conf_path)  # read again: after apply, observe reports what is
    record = read_record(ctx.run_dir)
    running = is_alive(record)
    stale = not running and (os.path.lexists(ctx.run_dir) or ctx.cgroups().exists(ctx.ctid))
    return Observed(conf, ctx.layout.exists(), ctx.layout.is_mounted(mount_table if mount_table is not None else mounts.read_mountinfo()), record,
                    running, stale, tuple(ctx.layout.leftovers()),
                    drift=drift.observe(ctx.run_dir) if running else (),
                    legacy_cgroups=tuple(ctx.cgroups().legacy_placement(ctx.ctid)) if running else ())


def machine_id() -> str:
    """The host's machine id, which seeds interface MACs (stable per host, different across hosts)."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path, encoding="ascii") as fh:
                return fh.read().strip()
        except (OSError, ValueError):
            continue
    return ""


__all__ = ["Context", "Observed", "observe", "machine_id"]
