# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A container's plan: (spec, observed) -> ordered changes, and the config the spec asks for.

Private to vzkit.vz; may change in any release. Reads only: ``_apply`` carries the plan out.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import _idshift as idshift
from .. import _limits as limits
from .._config import ConfFile
from .._errors import VzConfigError, VzStateError
from .._net import _config as netconf
from .._net import _plan as netplan
from .._spec import FLEET_KEY
from ._context import Context, Observed, machine_id

TARGET = {"present": None, "stopped": "stopped", "mounted": "mounted", "started": "running",
          "restarted": "running", "absent": "absent"}
IDENTITY_KEYS = ("HOSTNAME", "NAMESERVER", "SEARCHDOMAIN", "IP_ADDRESS", "NETIF")  # /etc/hosts maps the first address
RESTART_KEYS = ("CAPABILITY", "DEVICES", "FEATURES")


@dataclass(frozen=True)
class Change:
    key: str
    before: object
    after: object
    action: str
    op: str


@dataclass
class Plan:
    changes: list = field(default_factory=list)
    conf_before: str | None = None
    conf_after: str | None = None
    template: str | None = None
    warnings: list = field(default_factory=list)
    network_steps: list = field(default_factory=list)  # _wiring.Step items for a running container

    def add(self, key, before, after, action, op=None):
        self.changes.append(Change(key, before, after, action, op or key))

    def __bool__(self):
        return bool(self.changes)


def desired_conf(spec, ctx: Context, conf) -> ConfFile:
    """The CTID.conf the spec asks for, starting from the current one (or a sample at create)."""
    new = _new_conf(spec, ctx) if conf is None else conf.copy()
    for key, value in (("HOSTNAME", spec.hostname),
                       ("NAMESERVER", " ".join(spec.nameserver) if spec.nameserver is not None else None),
                       ("SEARCHDOMAIN", " ".join(spec.searchdomain) if spec.searchdomain is not None else None),
                       ("ONBOOT", None if spec.onboot is None else ("yes" if spec.onboot else "no")),
                       ("CAPABILITY", None if spec.capability is None else " ".join(spec.capability)),
                       ("DEVICES", None if spec.devices is None else " ".join(spec.devices)),
                       ("FEATURES", None if spec.features is None else " ".join(spec.features)),
                       (FLEET_KEY, spec.fleet)):
        if value == "":
            new.unset(key)  # an empty list removes the key
        elif value is not None:
            new.set(key, value)
    _set_id_range(spec, ctx, conf, new)
    if spec.ip_address is not None:
        _set_or_unset(new, "IP_ADDRESS", " ".join(spec.ip_address))
    if spec.netif is not None:
        current = netconf.parse_netif(new.get("NETIF"))
        full = netconf.complete_netifs(spec.netif, current, ctid=ctx.ctid, machine_id=machine_id())
        _set_or_unset(new, "NETIF", netconf.render_netif(full))
    for key, value in spec.limits.items():
        new.set(key, value)
    if spec.zvol.get("DISKSPACE"):
        new.set("DISKSPACE", spec.zvol["DISKSPACE"])
    for key, value in spec.config.items():
        if value is None:
            new.unset(key)
        else:
            new.set(key, value)
    return new


def _new_conf(spec, ctx: Context) -> ConfFile:
    """A new container's config: the sample's, its paths and layout, and what the layout records."""
    sample = spec.config_sample or ctx.globals.get("CONFIGFILE")
    from .._samples import load_sample  # (creation only: see __init__)
    new = ConfFile.parse(load_sample(ctx.globals.conf_dir, sample) if sample else "")
    new.set("VE_ROOT", ctx.root)
    new.set("VE_PRIVATE", ctx.private)
    new.set("VE_LAYOUT", ctx.layout.name)
    for key, value in ctx.layout.creation_keys(zvol=spec.zvol, disk_quota=ctx.globals.get("DISK_QUOTA") != "no").items():
        new.set(key, value)
    ostemplate = spec.ostemplate or ctx.globals.get("DEF_OSTEMPLATE")
    if ostemplate:
        new.set("OSTEMPLATE", ostemplate)
    if sample:
        new.set("ORIGIN_SAMPLE", sample)
    return new


def _set_id_range(spec, ctx: Context, conf, new: ConfFile) -> None:
    """Unprivileged by default: a new container gets a range of its own unless unprivileged is false; an
    existing one keeps its mapping until asked."""
    unprivileged = spec.unprivileged if spec.unprivileged is not None else conf is None
    if unprivileged and not new.get("LOCAL_UID"):
        first = idshift.allocate(ctx.globals.conf_dir, ctx.ctid, int(ctx.globals.get("VZ_USERNS_BASE")),
                                 lock_dir=ctx.globals.get("LOCKDIR"))  # a prediction; claimed at apply
        new.set("LOCAL_UID", str(first))
        new.set("LOCAL_GID", str(first))
    elif spec.unprivileged is False:
        new.unset("LOCAL_UID")
        new.unset("LOCAL_GID")


def _set_or_unset(conf, key: str, value: str) -> None:
    if value:
        conf.set(key, value)
    else:
        conf.unset(key)


def plan(spec, ctx: Context, obs: Observed) -> Plan:
    p = Plan(conf_before=obs.conf.render() if obs.conf is not None else None)
    target = TARGET[spec.state]
    if target == "absent":
        if obs.conf is None and obs.private_exists:
            raise VzStateError("private area %s exists but container %s has no config %s"
                               % (ctx.private, spec.ctid, ctx.conf_path), param="ctid",
                               hint="vzkit never leaves one so; it is not ours to remove: inspect it and remove it by hand")
        if obs.conf is not None or obs.leftovers or obs.stale or obs.mounted:
            ctx.layout.check_destroy()  # refused before the container is even stopped
            if obs.running:
                p.add("running", True, False, "stop container %s" % spec.ctid, "stop")
            p.add("container", obs.state, "absent",
                  "destroy container %s (unmount, remove %s and its config)" % (spec.ctid, ctx.private), "destroy")
        return p
    _plan_existence(spec, ctx, obs, p)
    _plan_run_state(spec, target, obs, p)
    _plan_enforced(spec, obs, p)
    _check_id_overlap(spec, ctx, p)
    netplan.plan_network(ctx, obs, p)
    return p


def _plan_existence(spec, ctx, obs, p: Plan) -> None:
    if obs.conf is not None and spec.layout and obs.conf.get("VE_LAYOUT", "simfs") != spec.layout:
        raise VzConfigError("container %s has layout %s, not %s" % (spec.ctid, obs.conf.get("VE_LAYOUT"), spec.layout),
                            param="layout", hint="a layout cannot be changed in place; destroy and re-create the container")
    if obs.conf is None and obs.private_exists:
        raise VzStateError("private area %s exists but container %s has no config %s"
                           % (ctx.private, spec.ctid, ctx.conf_path), param="ctid",
                           hint="it is not ours to overwrite: move it away, or pick another ctid")
    if spec.zvol and not ctx.layout.capabilities.volume:
        raise VzConfigError("container %s has layout %s; zvol applies to layout zvol" % (spec.ctid, ctx.layout.name),
                            param="zvol", hint="leave zvol out, or create the container with layout: zvol")
    if obs.conf is not None:
        _warn_fixed_zvol(spec, obs.conf, p)
    new = desired_conf(spec, ctx, obs.conf)
    p.conf_after = new.render()
    netplan.check_network_config(spec, ctx, obs.conf, new)
    if obs.conf is None or not obs.private_exists:
        name = new.get("OSTEMPLATE")
        if not name:
            raise VzConfigError("creating container %s needs a template" % spec.ctid, param="ostemplate",
                                hint="set ostemplate, or DEF_OSTEMPLATE in vz.conf")
        from .._templates import find_cache  # (creation only: see __init__)
        p.template = find_cache(ctx.globals.get("TEMPLATE"), name)
        ctx.layout.check_new_config(new.items())
        p.add("container", "absent", "stopped",
              "create container %s from template %s (layout %s)" % (spec.ctid, name, ctx.layout.name), "create")
        return
    if spec.ostemplate and obs.conf.get("OSTEMPLATE") not in (None, spec.ostemplate):
        p.warnings.append("`ostemplate`: container %s was created from %s; a template is used only at create, "
                          "so %s is ignored" % (spec.ctid, obs.conf.get("OSTEMPLATE"), spec.ostemplate))
    if obs.leftovers:
        p.add("leftovers", list(obs.leftovers), [], "remove leftovers of an interrupted run", "clean_leftovers")
    if p.conf_after != p.conf_before:
        _plan_config_change(spec, ctx, obs, obs.conf.items(), new.items(), p)


def _warn_fixed_zvol(spec, conf, p: Plan) -> None:
    if not spec.zvol:
        return
    from .._layouts._zvol import ZVOL_CREATE_ONLY
    fixed = [k for k in ZVOL_CREATE_ONLY + ("ZVOL_COMPRESSION",) if k in spec.zvol and spec.zvol[k] != conf.get(k)]
    if fixed:
        has = ", ".join("%s=%s" % (k, conf.get(k)) for k in fixed)
        p.warnings.append("`zvol`: container %s's volume was made with %s; a change of %s is not applied here "
                          "(vz_zvol sets the compression; the rest is fixed at creation)"
                          % (spec.ctid, has, ", ".join(fixed)))


def _plan_config_change(spec, ctx, obs, before: dict, after: dict, p: Plan) -> None:
    """An existing container's config changes: the file, and what must follow it (ids, quota, and for a
    running container that stays running its limits, mode and identity, live)."""
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    p.add("config", {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys},
          "write %s (%s)" % (ctx.conf_path, ", ".join(keys)), "write_config")
    stays_running = obs.running and spec.state in ("present", "started")  # a (re)start writes them anyway
    if idshift.idmap_of(before) != idshift.idmap_of(after):
        if obs.running:
            raise VzStateError("container %s runs; its id mapping changes only while it is stopped" % spec.ctid,
                               param="unprivileged", hint="stop it first (state: stopped), then change unprivileged")
        p.add("ids", idshift.idmap_of(before).uid_map().strip(), idshift.idmap_of(after).uid_map().strip(),
              "shift the ownership of %s to the new id range" % ctx.private, "shift_ids")
    _plan_diskspace(ctx, obs, keys, before, after, p)
    if stays_running and any(k in limits.ENFORCED for k in keys):
        p.add("limits", None, None, "apply resource limits to the running container", "limits_live")
    if stays_running and any(k in RESTART_KEYS for k in keys):
        _plan_setmode(spec, keys, p)
    if stays_running and any(k in IDENTITY_KEYS for k in keys):
        p.add("identity", None, None, "apply hostname and nameservers to the running container", "identity_live")


def _plan_diskspace(ctx, obs, keys, before: dict, after: dict, p: Plan) -> None:
    """A changed DISKSPACE (and, on simfs, DISKINODES) applied: the refquota, the volume's size, or the
    project's limits."""
    layout = ctx.layout
    quota_keys = [k for k in layout.capabilities.quota_keys if k in keys]
    if not quota_keys or not layout.enforces_diskspace(after):
        return
    action = layout.diskspace_action(after, quota_keys, running=obs.mounted)
    if action:
        p.add("diskspace", {k: before.get(k) for k in quota_keys}, {k: after.get(k) for k in quota_keys}, action,
              "diskspace")


def _plan_setmode(spec, keys, p: Plan) -> None:
    """Confinement changes take effect at start: fail, restart now, or save them for the next start."""
    changed = ", ".join(k for k in keys if k in RESTART_KEYS)
    if spec.setmode == "fail":
        raise VzStateError("%s change(s) on running container %s take effect only at start" % (changed, spec.ctid),
                           param="setmode", hint="set setmode: restart to restart it now, or setmode: ignore to apply them at the next start")
    if spec.setmode == "restart":
        p.add("running", True, False, "stop container %s (setmode: restart)" % spec.ctid, "stop")
        p.add("running", False, True, "start container %s (setmode: restart)" % spec.ctid, "start")
    else:
        p.warnings.append("%s saved; they take effect when container %s next starts (setmode: ignore)" % (changed, spec.ctid))


def _plan_enforced(spec, obs, p: Plan) -> None:
    """A running container that stays running gets back any limit changed outside vzkit (drift)."""
    if not obs.running or any(c.op in ("stop", "limits_live") for c in p.changes):
        return
    if obs.legacy_cgroups:
        p.warnings.append("container %s was started by an older vzkit: on %s its processes share the cgroup "
                          "that holds its limits, which its root may be able to write; restart it to move them "
                          "below (CTID/payload)" % (spec.ctid, ", ".join(obs.legacy_cgroups)))
    if obs.drift:
        p.add("limits", {path: now for path, _was, now in obs.drift}, {path: was for path, was, _now in obs.drift},
              "put back %d limit(s) changed outside vzkit: %s" % (
                  len(obs.drift), ", ".join("%s %s -> %s" % (path, was, now) for path, was, now in obs.drift)),
              "limits_live")


def _check_id_overlap(spec, ctx, p: Plan) -> None:
    """A start is refused while another container holds some of the same host ids.

    Not for a range this run claims (a create, or a new range): its planned first id is only a guess
    until Apply claims it under the host-wide lock, which gives the next free range when another run has
    taken this one since the plan (creates side by side, vz_fleet), so it cannot overlap."""
    if not any(c.op == "start" for c in p.changes) or p.conf_after is None:
        return
    if any(c.op in ("create", "shift_ids") for c in p.changes):
        return
    idmap = idshift.idmap_of(ConfFile.parse(p.conf_after).items())
    others = idshift.overlapping(idmap, ctx.globals.conf_dir, ctid=spec.ctid)
    if others:
        raise VzStateError("container %s's host ids %d-%d overlap those of container(s) %s" % (
            spec.ctid, idmap.first_uid, idmap.first_uid + idmap.count - 1, ", ".join(others)), param="unprivileged",
            hint="stop one of them and give it a range of its own: set unprivileged: false, then true again "
                 "(each shifts its private area)")


def _plan_run_state(spec, target, obs, p: Plan) -> None:
    running, mounted = obs.running, obs.mounted
    if target is None:
        return
    if spec.state == "restarted" and running:
        p.add("running", True, False, "stop container %s" % spec.ctid, "stop")
        running = False
    if target == "running":
        if not running and not any(c.op == "start" for c in p.changes):
            p.add("running", False, True, "start container %s" % spec.ctid, "start")
        return
    if running:
        p.add("running", True, False, "stop container %s" % spec.ctid, "stop")
    elif obs.stale:
        p.add("runtime", "stale", None, "remove runtime state left by an init that is gone", "clean_runtime")
    if target == "mounted" and not mounted:
        p.add("mounted", False, True, "mount root area", "mount")
    if target == "stopped" and mounted:
        p.add("mounted", True, False, "unmount root area", "umount")


__all__ = ["TARGET", "Change", "Plan", "plan", "desired_conf"]
