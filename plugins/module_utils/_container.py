# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container state machine: observe -> plan -> apply. Private to vzkit.vz; may change in any release.

``observe()`` reads disk and /proc only; ``plan()`` turns (spec, observed) into ordered changes;
``apply()`` carries them out with an undo list, so a failure part-way removes what this run made.
Check mode stops after ``plan()``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import _cgroups as cgroups
from . import _drift as drift
from . import _limits as limits
from . import _idshift as idshift
from . import _mounts as mounts
from . import _netconf as netconf
from . import _netplan as netplan
from . import _network as network
from . import _process as process
from . import _projids as projids
from . import _samples as samples
from . import _templates as templates
from ._config import ConfFile, VzGlobals, expand, read_conf
from ._confine import Confinement
from ._errors import VzConfigError, VzError, VzStateError
from ._layouts import get_layout
from ._layouts._zvol import VolumeSpec
from ._lock import ContainerLock
from ._apply import Apply, unenforced_keys
from ._exec import check_running, run_in_container
from ._spec import ZVOL_CREATE_ONLY, ZVOL_DEFAULTS, ContainerSpec, validate_ctid

TARGET = {"present": None, "stopped": "stopped", "mounted": "mounted", "started": "running",
          "restarted": "running", "absent": "absent"}
IDENTITY_KEYS = ("HOSTNAME", "NAMESERVER", "SEARCHDOMAIN", "IP_ADDRESS", "NETIF")  # /etc/hosts maps the first address
RESTART_KEYS = ("CAPABILITY", "DEVICES", "FEATURES")


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
    def build(cls, spec, host) -> tuple:
        """The context and the container's current config (None when it has none)."""
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
                             lock_dir=g.get("LOCKDIR"), conf_dir=g.conf_dir))
        return ctx, conf

    def net_env(self):
        return network.Env(neighbour_devs=self.globals.get("NEIGHBOUR_DEVS"),
                           create_bridge=self.globals.get("VZ_CREATE_BRIDGE") == "yes")

    def cgroups(self):
        """The container's cgroups; the host's hierarchy is detected once per run."""
        if self._cgroups is None:
            self._cgroups = cgroups.Cgroups(cgroups.detect(), self.globals.get("VZ_CGROUP_PARENT"))
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


def observe(ctx: Context) -> Observed:
    conf = read_conf(ctx.conf_path)  # read again: after apply, observe reports what is
    record = process.read_record(ctx.run_dir)
    running = process.is_alive(record)
    stale = not running and (os.path.lexists(ctx.run_dir) or ctx.cgroups().exists(ctx.ctid))
    return Observed(conf, ctx.layout.exists(), ctx.layout.is_mounted(mounts.read_mountinfo()), record,
                    running, stale, tuple(ctx.layout.leftovers()),
                    drift=drift.observe(ctx.run_dir) if running else (),
                    legacy_cgroups=tuple(ctx.cgroups().legacy_placement(ctx.ctid)) if running else ())


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
    network_steps: list = field(default_factory=list)  # _network.Step items for a running container

    def add(self, key, before, after, action, op=None):
        self.changes.append(Change(key, before, after, action, op or key))

    def __bool__(self):
        return bool(self.changes)


def desired_conf(spec, ctx: Context, conf) -> ConfFile:
    """The CTID.conf the spec asks for, starting from the current one (or a sample at create)."""
    if conf is None:
        sample = spec.config_sample or ctx.globals.get("CONFIGFILE")
        new = ConfFile.parse(samples.load_sample(ctx.globals.conf_dir, sample) if sample else "")
        new.set("VE_ROOT", ctx.root)
        new.set("VE_PRIVATE", ctx.private)
        new.set("VE_LAYOUT", ctx.layout.name)
        if ctx.layout.name in ("zfs", "zvol"):
            new.set("VE_ZFS_DATASET", ctx.layout.parent)
        if ctx.layout.name == "zvol":  # what the volume is made with, defaults written out
            for key, value in dict(ZVOL_DEFAULTS, **spec.zvol).items():
                if key != "DISKSPACE":
                    new.set(key, value)
        if ctx.layout.name == "simfs" and ctx.globals.get("DISK_QUOTA") != "no":
            projid = ctx.layout.new_projid()  # claimed at create; see _projids
            if projid:
                new.set(projids.KEY, str(projid))
        ostemplate = spec.ostemplate or ctx.globals.get("DEF_OSTEMPLATE")
        if ostemplate:
            new.set("OSTEMPLATE", ostemplate)
        if sample:
            new.set("ORIGIN_SAMPLE", sample)
    else:
        new = conf.copy()
    for key, value in (("HOSTNAME", spec.hostname),
                       ("NAMESERVER", " ".join(spec.nameserver) if spec.nameserver is not None else None),
                       ("SEARCHDOMAIN", " ".join(spec.searchdomain) if spec.searchdomain is not None else None),
                       ("ONBOOT", None if spec.onboot is None else ("yes" if spec.onboot else "no")),
                       ("CAPABILITY", None if spec.capability is None else " ".join(spec.capability)),
                       ("DEVICES", None if spec.devices is None else " ".join(spec.devices)),
                       ("FEATURES", None if spec.features is None else " ".join(spec.features))):
        if value == "":
            new.unset(key)  # an empty list removes the key
        elif value is not None:
            new.set(key, value)
    # Unprivileged by default: a new container gets a range of its own unless unprivileged is false;
    # an existing one keeps its mapping until asked.
    unprivileged = spec.unprivileged if spec.unprivileged is not None else conf is None
    if unprivileged and not new.get("LOCAL_UID"):
        first = idshift.allocate(ctx.globals.conf_dir, ctx.ctid, int(ctx.globals.get("VZ_USERNS_BASE")),
                                 lock_dir=ctx.globals.get("LOCKDIR"))  # a prediction; claimed at apply
        new.set("LOCAL_UID", str(first))
        new.set("LOCAL_GID", str(first))
    elif spec.unprivileged is False:
        new.unset("LOCAL_UID")
        new.unset("LOCAL_GID")
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


def _set_or_unset(conf, key: str, value: str) -> None:
    if value:
        conf.set(key, value)
    else:
        conf.unset(key)


def machine_id() -> str:
    """The host's machine id, which seeds interface MACs (stable per host, different across hosts)."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path, encoding="ascii") as fh:
                return fh.read().strip()
        except (OSError, ValueError):
            continue
    return ""


def plan(spec, ctx: Context, obs: Observed) -> Plan:
    p = Plan(conf_before=obs.conf.render() if obs.conf is not None else None)
    target = TARGET[spec.state]
    if target == "absent":
        if obs.conf is None and obs.private_exists:
            raise VzStateError("private area %s exists but container %s has no config %s"
                               % (ctx.private, spec.ctid, ctx.conf_path), param="ctid",
                               hint="vzkit never leaves one so; it is not ours to remove: inspect it and remove it by hand")
        if obs.conf is not None or obs.leftovers or obs.stale or obs.mounted:
            if hasattr(ctx.layout, "check_destroy"):  # refused before the container is even stopped
                ctx.layout.check_destroy()
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
    if spec.zvol and ctx.layout.name != "zvol":
        raise VzConfigError("container %s has layout %s; zvol applies to layout zvol" % (spec.ctid, ctx.layout.name),
                            param="zvol", hint="leave zvol out, or create the container with layout: zvol")
    if obs.conf is not None:
        fixed = [k for k in ZVOL_CREATE_ONLY + ("ZVOL_COMPRESSION",) if k in spec.zvol and spec.zvol[k] != obs.conf.get(k)]
        if fixed:
            has = ", ".join("%s=%s" % (k, obs.conf.get(k)) for k in fixed)
            p.warnings.append("`zvol`: container %s's volume was made with %s; a change of %s is not applied here "
                              "(vz_zvol sets the compression; the rest is fixed at creation)"
                              % (spec.ctid, has, ", ".join(fixed)))
    new = desired_conf(spec, ctx, obs.conf)
    p.conf_after = new.render()
    netplan.check_network_config(spec, ctx, obs.conf, new)
    if obs.conf is None or not obs.private_exists:
        name = new.get("OSTEMPLATE")
        if not name:
            raise VzConfigError("creating container %s needs a template" % spec.ctid, param="ostemplate",
                                hint="set ostemplate, or DEF_OSTEMPLATE in vz.conf")
        p.template = templates.find_cache(ctx.globals.get("TEMPLATE"), name)
        if ctx.layout.name == "zvol":
            VolumeSpec.from_items(new.items())  # a volume without a size is refused in check mode too
        p.add("container", "absent", "stopped",
              "create container %s from template %s (layout %s)" % (spec.ctid, name, ctx.layout.name), "create")
        return
    if spec.ostemplate and obs.conf.get("OSTEMPLATE") not in (None, spec.ostemplate):
        p.warnings.append("`ostemplate`: container %s was created from %s; a template is used only at create, "
                          "so %s is ignored" % (spec.ctid, obs.conf.get("OSTEMPLATE"), spec.ostemplate))
    if obs.leftovers:
        p.add("leftovers", list(obs.leftovers), [], "remove leftovers of an interrupted run", "clean_leftovers")
    if p.conf_after != p.conf_before:
        before, after = obs.conf.items(), new.items()
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
    quota_keys = [k for k in ("DISKSPACE", "DISKINODES") if k in keys and (k == "DISKSPACE" or layout.name == "simfs")]
    if not quota_keys or not layout.enforces_diskspace(after):
        return
    if layout.name == "zvol":
        action = layout.resize_plan(VolumeSpec.from_items(after, param="config").size, running=obs.mounted,
                                    param="zvol.size")
    else:
        wanted = ", ".join("%s %s" % (k, after.get(k) or "unlimited") for k in quota_keys)
        action = "set the quota of %s to %s" % (ctx.private, wanted)
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
    """A start is refused while another container holds some of the same host ids."""
    if not any(c.op == "start" for c in p.changes) or p.conf_after is None:
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


# ---- results -------------------------------------------------------------------------------

def _id_range(ctx: Context, items: dict, id_ranges=None):
    """The container's host id range and the containers it overlaps (None for the identity map)."""
    try:
        idmap = idshift.idmap_of(items)
    except VzConfigError:
        return None
    if not idmap.shifted:
        return None
    if id_ranges is None:
        overlaps = idshift.overlapping(idmap, ctx.globals.conf_dir, ctid=ctx.ctid)
    else:
        overlaps = sorted(c for c, m in id_ranges.items() if c != ctx.ctid and idshift.overlap(idmap, m))
    return {"first_uid": idmap.first_uid, "first_gid": idmap.first_gid, "count": idmap.count, "overlaps": overlaps}


def describe(ctx: Context, obs: Observed, *, state: str, conf, id_ranges=None) -> dict:
    """The `container` return value: what is (or, in check mode, what would be)."""
    items = conf.items() if conf is not None else {}
    return {
        "ctid": ctx.ctid,
        "state": state,
        "init_pid": obs.record.pid if obs.running and state == "running" else None,
        "hostname": items.get("HOSTNAME"),
        "ip_address": (items.get("IP_ADDRESS") or "").split(),
        "netif": netplan.netif_dicts(items),
        # An absent container has no layout (a later run could create it with another one).
        "layout": items.get("VE_LAYOUT", ctx.layout.name) if conf is not None and state != "absent" else None,
        "private": ctx.private,
        "root": ctx.root,
        "ostemplate": items.get("OSTEMPLATE"),
        "config": items,
        "console_log": ctx.console_log,
        "unenforced": unenforced_keys(ctx.layout, items),
        "usage": ctx.cgroups().usage(ctx.ctid) if state == "running" and obs.running else None,
        "id_range": _id_range(ctx, items, id_ranges) if conf is not None and state != "absent" else None,
        "limits_drift": [{"file": f, "applied": was, "now": now} for f, was, now in obs.drift],
    }


def ensure(spec, host, *, diff: bool = False) -> dict:
    """Converge one container to spec; the single entry point modules and plugins call."""
    ctx, _conf = Context.build(spec, host)
    if host.check_mode:  # no lock: check mode creates nothing, not even a lock file
        return _result(spec, ctx, observe(ctx), check=True, diff=diff)
    lock = ContainerLock(ctx.globals.get("LOCKDIR"), spec.ctid)
    with lock:
        try:
            return _result(spec, ctx, observe(ctx), check=False, diff=diff)
        finally:
            # No config, no container: its lock file goes too (destroyed, or a run refused
            # before creating anything), so a failed run leaves nothing on disk.
            if not os.path.exists(ctx.conf_path):
                lock.remove()


def _result(spec, ctx, obs, *, check: bool, diff: bool) -> dict:
    p = plan(spec, ctx, obs)
    for w in p.warnings:
        ctx.host.warn(w)
    if check or not p:
        predicted = _predict(spec, obs)
        conf_after = ConfFile.parse(p.conf_after) if p.conf_after is not None and predicted != "absent" else None
        container = describe(ctx, obs, state=predicted, conf=conf_after)
    else:
        Apply(spec, ctx, obs, p).run()
        after = observe(ctx)
        container = describe(ctx, after, state=after.state, conf=after.conf)
    out = {"changed": bool(p), "container": container, "actions": [c.action for c in p.changes]}
    if diff:
        out["diff"] = _diff(ctx, obs, container, p)
    return out


def _predict(spec, obs) -> str:
    target = TARGET[spec.state]
    if target is None:
        return "stopped" if obs.conf is None else obs.state
    return target


def _diff(ctx, obs, container, p) -> list:
    before_state = {"state": obs.state}
    after_state = {"state": container["state"]}
    for change in p.changes:
        if change.key == "limits" and isinstance(change.before, dict):  # drift: the kernel's values, put back
            before_state["enforced_limits"], after_state["enforced_limits"] = change.before, change.after
        if change.key == "ids":  # the private area's owners move to the new range
            before_state["uid_map"], after_state["uid_map"] = change.before, change.after
    out = [{"before": before_state, "after": after_state}]
    if p.conf_before != (p.conf_after if container["state"] != "absent" else None):
        out.append({"before_header": ctx.conf_path, "after_header": ctx.conf_path,
                    "before": p.conf_before or "", "after": (p.conf_after or "") if container["state"] != "absent" else ""})
    return out


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
        try:
            names = os.listdir(conf_dir)
        except FileNotFoundError:
            names = []
        ctids = sorted((n[:-5] for n in names if n.endswith(".conf") and not n.startswith(".")),
                       key=lambda c: (not c.isdigit(), int(c) if c.isdigit() else 0, c))
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


def exec_command(ctid: str, vz_conf: str, host, argv, *, stdin: bytes = b"", env=None, cwd: str = "/",
                 timeout: float = 0) -> dict:
    """Run argv inside the running container, confined like its init (see ``_exec``)."""
    ctx, _conf = Context.build(ContainerSpec(ctid=validate_ctid(ctid), vz_conf=vz_conf), host)
    obs = observe(ctx)
    check_running(obs.record if obs.running else None, ctx.ctid)
    groups = ctx.cgroups()
    res = run_in_container(obs.record.pid, argv, attach=lambda pid: groups.attach(ctx.ctid, pid),
                           confinement=Confinement.from_conf(obs.conf.items()), env=env, stdin=stdin,
                           cwd=cwd, timeout=timeout)
    return {"rc": res.rc, "stdout": res.stdout.decode("utf-8", "replace"),
            "stderr": res.stderr.decode("utf-8", "replace"), "timed_out": res.timed_out}


__all__ = ["Context", "Observed", "Change", "Plan", "observe", "plan", "Apply", "ensure", "describe", "VzError",
           "run_locked", "machine_id", "read_conf", "info", "exec_command"]
