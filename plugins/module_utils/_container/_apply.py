# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Carrying out a container plan: one method per change, with an undo list.

Private to vzkit.vz; may change in any release. ``_plan.plan()`` decides what changes; this
file makes them, and on a failure part-way undoes what this run created (never anything else).
"""
from __future__ import annotations

import os
import signal

from .. import _drift as drift
from .. import _identity as identity
from .. import _idshift as idshift
from .. import _limits as limits
from .. import _mounts as mounts
from .. import _process as process
from .. import _templates as templates
from .._cgroups import _knobs as knobs
from .._config import ConfFile
from .._confine import Confinement, IdMap, device_allow_list
from .._namespaces import RootSpec, set_live_hostname
from .._net import _config as netconf
from .._net import _netlink as netlink
from .._net import _steps as wiring
from .._fsquota import _projid as projids
from .._fsquota import _tags as tags
from ._report import unenforced_keys


class Apply:
    """Carries out a plan's changes in order, undoing this run's creations on failure."""

    def __init__(self, spec, ctx, obs, p):  # _container's ContainerSpec, Context, Observed, Plan
        self.spec, self.ctx, self.obs, self.plan = spec, ctx, obs, p
        self.undo = []

    def run(self) -> None:
        try:
            self._claim_ids()
            for change in self.plan.changes:
                getattr(self, "op_" + change.op)()
        except BaseException:
            for step in reversed(self.undo):
                try:
                    step()
                except Exception:  # keep undoing; the original error is what the user needs
                    pass
            raise

    def _claim_ids(self):
        """Claim the planned uid/gid range under the host-wide lock before anything records it: another run
        may have taken it since the plan, and then this one gets (and writes) the next free range."""
        ctx, g = self.ctx, self.ctx.globals
        if self.plan.conf_after is None or not any(c.op in ("create", "write_config") for c in self.plan.changes):
            return
        conf = ConfFile.parse(self.plan.conf_after)
        planned = idshift.idmap_of(conf.items())
        before = idshift.idmap_of(self.obs.conf.items()) if self.obs.conf is not None else IdMap()
        if not planned.shifted or planned == before:
            return
        first = idshift.claim(g.conf_dir, g.get("LOCKDIR"), ctx.ctid, base=int(g.get("VZ_USERNS_BASE")),
                              wanted=planned.first_uid)
        if not before.shifted:  # a claim this run made: undone with the run
            self.undo.append(lambda: idshift.release(g.get("LOCKDIR"), ctx.ctid))
        if first != planned.first_uid:
            conf.set("LOCAL_UID", str(first))
            conf.set("LOCAL_GID", str(first))
            self.plan.conf_after = conf.render()

    # ---- creation and destruction ----------------------------------------------------------
    def op_create(self):
        ctx, host = self.ctx, self.ctx.host

        def unpack(directory):
            host.run(templates.unpack_argv(setpriv=host.bin("setpriv"), tar=host.bin("tar"),
                                           cache=self.plan.template, dest=directory,
                                           decompressor=templates.decompressor_for(self.plan.template, host.which)))

        def finish(directory):
            idshift.shift_tree(directory, IdMap(), self._idmap())  # templates are packed for uid 0
            self._record_projid(directory)
            self._write_conf()  # before the rename: a config without its private area is re-created

        if self.obs.conf is None:  # the config is this run's own: undo removes it (and a failed start's log)
            self.undo.append(lambda: _unlink(ctx.conf_path))
            self.undo.append(lambda: _unlink(ctx.console_log))
        # Undo destroys whatever of the container this run made (a layout removes only what is
        # the container's own), even when the failure comes after the private area is in place.
        self.undo.append(ctx.layout.destroy)
        try:
            ctx.layout.create(self.plan.template, unpack, finish, items=ConfFile.parse(self.plan.conf_after).items())
        except BaseException:
            ctx.layout.clean_leftovers()
            raise

    def _record_projid(self, directory):
        """A simfs container claims its project id on its new directory: another container created at the
        same time may have taken the planned one, so the config records the id the directory got."""
        conf = ConfFile.parse(self.plan.conf_after)
        if conf.get(projids.KEY):
            conf.set(projids.KEY, str(tags.projid_of(directory)[0]))
            self.plan.conf_after = conf.render()

    def op_destroy(self):
        ctx = self.ctx
        self._clean_runtime()
        if ctx.layout.is_mounted(mounts.read_mountinfo()):
            ctx.layout.umount()
        ctx.layout.destroy()
        _unlink(ctx.console_log)
        _unlink(ctx.conf_path)
        idshift.release(ctx.globals.get("LOCKDIR"), ctx.ctid)

    def op_shift_ids(self):
        before = idshift.idmap_of(self.obs.conf.items())
        idshift.shift_tree(self.ctx.private, before, self._idmap())
        self._write_conf()
        if not self._idmap().shifted:
            idshift.release(self.ctx.globals.get("LOCKDIR"), self.ctx.ctid)

    def _idmap(self):
        return idshift.idmap_of(ConfFile.parse(self.plan.conf_after).items())

    def op_clean_leftovers(self):
        self.ctx.layout.clean_leftovers()

    def op_write_config(self):
        self._write_conf()

    def _write_conf(self):
        os.makedirs(os.path.dirname(self.ctx.conf_path), mode=0o755, exist_ok=True)
        self.ctx.host.atomic_write(self.ctx.conf_path, self.plan.conf_after, 0o644)

    # ---- run state -------------------------------------------------------------------------
    def op_mount(self):
        self.ctx.layout.mount()
        self.undo.append(self.ctx.layout.umount)

    def op_umount(self):
        self.ctx.layout.umount()

    def op_start(self):
        ctx = self.ctx
        conf = ConfFile.parse(self.plan.conf_after)
        if not ctx.layout.is_mounted(mounts.read_mountinfo()):
            ctx.layout.mount()
            self.undo.append(ctx.layout.umount)
        self._clean_runtime()
        hostname = conf.get("HOSTNAME") or ctx.ctid
        self._write_identity(conf)
        confinement = Confinement.from_conf(conf.items())
        groups = ctx.cgroups()
        self.undo.append(lambda: self._clean_runtime(groups))  # before create: a half-made set goes too
        groups.create(ctx.ctid)
        groups.allow_devices(ctx.ctid, device_allow_list(confinement))
        groups.create_payload(ctx.ctid)  # below the limits: nothing the container mounts reaches them
        self._apply_limits(groups, conf)
        idmap = idshift.idmap_of(conf.items())
        if idmap.shifted:  # the container's root owns its cgroup (systemd manages its subtree)
            groups.delegate(ctx.ctid, idmap.host_uid(0), idmap.host_gid(0))
        os.makedirs(os.path.dirname(ctx.console_log), mode=0o755, exist_ok=True)
        boot_id = process.write_boot_id(ctx.run_dir)
        spec = RootSpec(ctx.root, hostname, ("/sbin/init",), ctx.console_log, idmap=idmap, confinement=confinement,
                        cgroup2=groups.has_v2, boot_id_file=boot_id)
        net = netconf.NetConfig.from_conf(ctx.ctid, conf.items())
        rec = process.spawn_init(spec, attach=lambda pid: groups.attach(ctx.ctid, pid),
                                 network=(lambda pid: wiring.converge(ctx.host, pid, None, net, ctx.net_env()))
                                 if net else None)
        process.write_record(ctx.run_dir, rec)

    def op_diskspace(self):
        self.ctx.layout.apply_diskspace(ConfFile.parse(self.plan.conf_after).items())

    def op_network_live(self):
        with netlink.Session(self.ctx.host, self.obs.record.pid) as session:
            netlink.run_steps(session, self.plan.network_steps)

    def op_limits_live(self):
        self._apply_limits(self.ctx.cgroups(), ConfFile.parse(self.plan.conf_after))

    def _apply_limits(self, groups, conf):
        items = conf.items()
        lim = limits.Limits.from_conf(items)
        device = knobs.block_device_of(self.ctx.private) if (lim.iolimit or lim.iopslimit) else None
        if (lim.iolimit or lim.iopslimit) and device is None:
            self.ctx.host.warn("IOLIMIT/IOPSLIMIT not enforced: %s is not on a block device" % self.ctx.private)
        for what in groups.apply_limits(self.ctx.ctid, lim, device=device):
            self.ctx.host.warn("container %s: %s, not enforced on this host" % (self.ctx.ctid, what))
        drift.write_record(self.ctx.run_dir, groups.enforced(self.ctx.ctid, lim, device=device))
        keys = unenforced_keys(self.ctx.layout, items)
        if keys:
            self.ctx.host.warn("container %s: %s have no mainline kernel equivalent; stored, not enforced"
                               % (self.ctx.ctid, ", ".join(keys)))

    def op_stop(self):
        ctx = self.ctx
        rec = process.read_record(ctx.run_dir)
        if process.is_alive(rec):
            if not process.halt(rec, process.halt_signal(ctx.root), self.spec.stop_timeout):
                self.ctx.host.warn("container %s did not stop within %ds; killed" % (ctx.ctid, self.spec.stop_timeout))
                process.signal_init(rec, signal.SIGKILL)
                process.wait_gone(rec, 10)
        self._clean_runtime()

    def op_clean_runtime(self):
        self._clean_runtime()

    def _clean_runtime(self, groups=None):
        """Kill what is left in the container's cgroups, remove them and the run dir."""
        groups = groups or self.ctx.cgroups()
        rec = process.read_record(self.ctx.run_dir)
        if process.is_alive(rec):
            process.signal_init(rec, signal.SIGKILL)
            process.wait_gone(rec, 10)
        groups.kill_all(self.ctx.ctid)
        groups.remove(self.ctx.ctid)
        self._teardown_network()
        _unlink(os.path.join(self.ctx.run_dir, process.RECORD))
        _unlink(os.path.join(self.ctx.run_dir, process.BOOT_ID))
        _unlink(os.path.join(self.ctx.run_dir, drift.RECORD))
        try:
            os.rmdir(self.ctx.run_dir)
        except FileNotFoundError:
            pass

    def _teardown_network(self):
        """The host's side of the container's network goes with its init (links, proxy entries)."""
        confs = [c for c in (self.obs.conf, ConfFile.parse(self.plan.conf_after) if self.plan.conf_after else None) if c]
        nets = [netconf.NetConfig.from_conf(self.ctx.ctid, c.items()) for c in confs]
        if any(nets):
            addresses = tuple(sorted({a for n in nets for a in n.ip_address}))
            netlink.teardown(self.ctx.host, self.ctx.ctid, netconf.NetConfig(self.ctx.ctid, addresses))

    def _write_identity(self, conf):
        net = netconf.NetConfig.from_conf(self.ctx.ctid, conf.items())
        first = next(iter(net.all_addresses()), None)
        identity.write_identity(self.ctx.root, hostname=conf.get("HOSTNAME"),
                                nameservers=(conf.get("NAMESERVER") or "").split(),
                                searchdomains=(conf.get("SEARCHDOMAIN") or "").split(),
                                address=str(first.ip) if first else None)

    def op_identity_live(self):
        ctx = self.ctx
        conf = ConfFile.parse(self.plan.conf_after)
        self._write_identity(conf)
        if conf.get("HOSTNAME"):
            set_live_hostname(process.read_record(ctx.run_dir).pid, conf.get("HOSTNAME"))


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


__all__ = ["Apply"]
