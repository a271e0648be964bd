# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Snapshots of zfs- and zvol-layout containers: take (consistent), destroy, roll back, clone, list.

Private to vzkit.vz; may change in any release.

- **Consistent:** a running container's cgroup is frozen around ``sync`` and ``zfs snapshot``, so no
  process of it writes while the snapshot is taken (the recipe's "snapshot behind the manager's back"
  is what this replaces). On a zvol container the filesystem on the volume is frozen too (FIFREEZE), so
  what the snapshot holds is a clean filesystem, not one that needs its journal replayed.
- **Rollback that loses nothing:** rolling back to the latest snapshot is ``zfs rollback``. To an older
  one, unless ``destroy_newer``: the snapshot is cloned, the clone promoted and renamed into the
  container's place, and the former dataset - with the newer snapshots - is kept as
  ``PARENT/.CTID.vzkit-branch-N``. Its snapshots stay listed and can be rolled back to later.
- **Clone:** a new container from a snapshot, with its own identity: no machine-id (a new one is made
  at its first start), no SSH host keys, no host name unless given, no addresses, new MACs, and its
  own id range when the source is unprivileged.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ._container import _context as container
from ._container import _ensure as entry
from . import _idshift as idshift
from ._net import _config as netconf
from . import _templates as templates
from ._config import DEFAULT_VZ_CONF, ConfFile, read_conf
from ._confine import IdMap
from ._converge import Planned, Report, converge, nothing
from ._errors import VzConfigError, VzStateError, VzUnsupported
from ._lock import ContainerLock
from ._spec import ContainerSpec, HOSTNAME_RE, validate_ctid
from ._zfs import OWNER_PROP, TAKEN_PROP, Snapshot, validate_snapshot_name

STATES = ("present", "absent", "rolled_back", "cloned")


@dataclass(frozen=True)
class SnapshotSpec:
    ctid: str
    name: str
    state: str = "present"
    recursive: bool = False
    destroy_newer: bool = False
    target_ctid: str | None = None
    target_hostname: str | None = None
    stop_timeout: int = 60
    keep: int | None = None
    vz_conf: str = DEFAULT_VZ_CONF

    @classmethod
    def from_params(cls, p: dict) -> "SnapshotSpec":
        state = p.get("state") or "present"
        if state not in STATES:
            raise VzConfigError("%r is not a state" % state, param="state", hint="use one of: %s" % ", ".join(STATES))
        target = p.get("target_ctid")
        if state == "cloned":
            if not target:
                raise VzConfigError("state cloned needs the new container's id", param="target_ctid",
                                    hint="set target_ctid")
            target = validate_ctid(target, param="target_ctid")
        else:
            target = None  # used only by cloned
        hostname = p.get("target_hostname")
        if hostname is not None and not HOSTNAME_RE.fullmatch(hostname):
            raise VzConfigError("%r is not a host name" % hostname, param="target_hostname",
                                hint="use letters, digits and '-', dot-separated labels")
        keep = p.get("keep")
        if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1 or state != "present"):
            raise VzConfigError("%r is not a count of snapshots to keep with state %s" % (keep, state), param="keep",
                                hint="use a whole number, 1 or more, with state: present")
        ctid = validate_ctid(p.get("ctid"))
        if target == ctid:
            raise VzConfigError("a container cannot be cloned onto itself", param="target_ctid", hint="give a new ctid")
        return cls(ctid=ctid, name=validate_snapshot_name(p.get("name")), state=state,
                   recursive=bool(p.get("recursive")), destroy_newer=bool(p.get("destroy_newer")),
                   target_ctid=target, target_hostname=hostname,
                   stop_timeout=60 if p.get("stop_timeout") is None else int(p["stop_timeout"]),
                   keep=keep, vz_conf=p.get("vz_conf") or DEFAULT_VZ_CONF)


def _zfs_context(ctid: str, vz_conf: str, host, *, param: str = "ctid"):
    ctx, conf = container.Context.existing(ctid, vz_conf, host, param=param)
    if not ctx.layout.capabilities.snapshots:
        raise VzUnsupported("snapshots of container %s" % ctid, "its layout is %s; snapshots need layout zfs or zvol"
                            % ctx.layout.name, param=param, hint="create the container with layout: zfs or zvol")
    return ctx, conf


def family(layout) -> list:
    """(Snapshot, current) for the container's snapshots: its dataset's, then those rollbacks kept."""
    out = [(s, True) for s in layout.zfs.snapshots(layout.dataset)]
    for branch in layout.branches():
        out.extend((s, False) for s in layout.zfs.snapshots(branch))
    return out


def describe(snap: Snapshot, ctid: str, current: bool) -> dict:
    return {"ctid": ctid, "name": snap.short, "snapshot": snap.name, "dataset": snap.dataset, "current": current,
            "creation": snap.creation,
            "creation_iso": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(snap.creation)), "used": snap.used,
            "taken_by": snap.taken_by}


def info(vz_conf: str, host, ctids=None) -> list:
    out = []
    for c in entry.info(vz_conf, host, ctids):
        if c["layout"] not in ("zfs", "zvol") or c["state"] == "absent":
            continue
        ctx, _conf = _zfs_context(c["ctid"], vz_conf, host)
        out.extend(describe(s, c["ctid"], cur) for s, cur in family(ctx.layout))
    return out


def ensure(spec: SnapshotSpec, host, *, diff: bool = False) -> dict:
    ctx, _conf = _zfs_context(spec.ctid, spec.vz_conf, host)
    return converge(host, lambda: plan(spec, ctx), noun="snapshot",
                    lock=ContainerLock(ctx.globals.get("LOCKDIR"), spec.ctid), diff=diff)


def plan(spec, ctx) -> Planned:
    """What it takes to bring the snapshot to spec.state."""
    layout = ctx.layout
    snaps = family(layout)
    found = next(((s, cur) for s, cur in snaps if s.short == spec.name), None)
    if spec.state == "present" and found and not found[1]:
        raise VzStateError("a snapshot %s exists in %s, kept by a rollback" % (spec.name, found[0].dataset), param="name",
                           hint="give the new snapshot another name (names are unique across the container's snapshots)")
    doomed = expired(layout, [s for s, cur in snaps if cur], spec.keep, new=None if found else spec.name)
    actions, do = _plan(spec, ctx, layout, snaps, found, doomed)

    def report(applied: bool) -> Report:
        after = family(layout) if applied else [t for t in _predict(spec, snaps, found, actions) if t[0] not in doomed]
        now = next(((s, cur) for s, cur in after if getattr(s, "short", None) == spec.name), None)
        return Report(describe(now[0], spec.ctid, now[1]) if now and isinstance(now[0], Snapshot) else None,
                      diff={"before": {"snapshots": [s.short for s, _current in snaps]},
                            "after": {"snapshots": [s.short if isinstance(s, Snapshot) else s for s, _current in after]}},
                      extra={"target_ctid": spec.target_ctid} if spec.state == "cloned" else {})
    return Planned(actions, do or nothing, report)


def _predict(spec, snaps, found, actions) -> list:
    if not actions:
        return snaps
    if spec.state == "present":  # after the dataset's own snapshots, before those of kept branches
        current = [t for t in snaps if t[1]]
        return current + [(spec.name, True)] + [t for t in snaps if not t[1]]
    if spec.state == "absent":
        return [(s, c) for s, c in snaps if s.short != spec.name]
    return snaps


def _plan(spec, ctx, layout, snaps, found, doomed):
    obs = container.observe(ctx)
    if spec.state == "present":
        steps = ["destroy snapshot %s (keep %d)" % (s.name, spec.keep) for s in doomed]

        def destroy_expired():
            for s in doomed:
                layout.zfs.destroy(s.name)
        if found:
            return steps, destroy_expired if doomed else None
        how = ("running container frozen" if obs.running else "container not running") + layout.snapshot_note()
        return (["snapshot %s@%s (%s%s)" % (layout.dataset, spec.name, how, ", recursive" if spec.recursive else "")] + steps,
                lambda: (_take(spec, ctx, layout, obs.running), destroy_expired()))
    if spec.state == "absent":
        if not found:
            return [], None
        clones = layout.zfs.clones(layout.parent).get(found[0].name, [])
        if clones:
            own = set(layout.branches())
            hint = ("destroy the containers cloned from it first" if not own & set(clones) else
                    "a branch a rollback kept depends on it; it goes when the container is destroyed")
            raise VzStateError("snapshot %s has clones (%s)" % (found[0].name, ", ".join(clones)), param="name", hint=hint)
        return ["destroy snapshot %s" % found[0].name], lambda: layout.zfs.destroy(found[0].name)
    if not found:
        raise VzStateError("container %s has no snapshot %s" % (spec.ctid, spec.name), param="name",
                           hint="vz_snapshot_info lists its snapshots")
    if spec.state == "cloned":
        return _plan_clone(spec, ctx, layout, found[0])
    return _plan_rollback(spec, ctx, layout, snaps, found, obs)


def expired(layout, snaps: list, keep, *, new=None) -> list:
    """The oldest snapshots vz_snapshot took of the container's dataset beyond the newest keep (counting
    new, about to be taken); never one taken by hand or for a backup, nor one a dataset is cloned from."""
    if not keep:
        return []
    mine = [s for s in snaps if s.taken_by == "vz_snapshot"]
    count = len(mine) + (1 if new else 0)
    if count <= keep:
        return []
    clones = layout.zfs.clones(layout.parent)
    return [s for s in mine[:count - keep] if not clones.get(s.name)]


def _take(spec, ctx, layout, running: bool) -> None:
    take_consistent(ctx, layout, ["%s@%s" % (layout.dataset, spec.name)], running=running, recursive=spec.recursive,
                    taken_by="vz_snapshot")


def take_consistent(ctx, layout, names: list, *, running: bool, recursive: bool = False, taken_by: str) -> float:
    """cgroup frozen (no process of the container runs), then the layout quiesced (a volume's filesystem
    frozen), then the snapshots, marked with who took them; thawed in the reverse order. Returns how long
    the container was frozen (0 when it was not running)."""
    layout.recover_quiesced()
    os.sync()
    groups = ctx.cgroups() if running else None
    started = time.monotonic()
    if groups:
        groups.freeze(ctx.ctid)
    try:
        os.sync()
        with layout.quiesced():
            layout.zfs.snapshot(names, recursive=recursive, props={TAKEN_PROP: taken_by})
    finally:
        if groups:
            groups.thaw(ctx.ctid)
    return time.monotonic() - started if groups else 0.0


# ---- rollback ----------------------------------------------------------------------------------

def _plan_rollback(spec, ctx, layout, snaps, found, obs):
    snap, current = found
    mine = [s for s, cur in snaps if cur]
    newer = mine[mine.index(snap) + 1:] if current else []
    steps = []
    if obs.running:
        steps.append("stop container %s" % spec.ctid)
    if current and not newer:
        steps.append("roll %s back to %s" % (layout.dataset, snap.name))
    elif current and spec.destroy_newer:
        clones = layout.zfs.clones(layout.parent)
        blocked = [s.name for s in newer if clones.get(s.name)]
        if blocked:
            raise VzStateError("newer snapshots %s have clones" % ", ".join(blocked), param="destroy_newer",
                               hint="destroy the containers cloned from them, or roll back without destroy_newer")
        steps.append("roll %s back to %s, destroying the newer snapshots %s"
                     % (layout.dataset, snap.name, ", ".join(s.short for s in newer)))
    elif not layout.capabilities.keeps_newer_snapshots:
        raise VzConfigError("volume %s cannot roll back past newer snapshots and keep them: only the zfs layout "
                            "keeps them (in a branch dataset)" % layout.dataset, param="destroy_newer",
                            hint="set destroy_newer: true to destroy %s, or clone the snapshot instead"
                                 % ", ".join(s.short for s in newer))
    else:
        steps.append("roll %s back to %s, keeping the current state and newer snapshots in %s"
                     % (layout.dataset, snap.name, _next_branch(layout)))
    if obs.running:
        steps.append("start container %s" % spec.ctid)

    def do():
        was_running = obs.running
        entry.run_locked(ContainerSpec(ctid=spec.ctid, state="stopped", stop_timeout=spec.stop_timeout,
                                       vz_conf=spec.vz_conf), ctx)
        if current and (not newer or spec.destroy_newer):
            layout.rollback(snap.name, destroy_newer=bool(newer))
        else:
            _rollback_keeping(layout, snap)
        if was_running:
            entry.run_locked(ContainerSpec(ctid=spec.ctid, state="started", vz_conf=spec.vz_conf), ctx)
    return steps, do


def _next_branch(layout) -> str:
    numbers = [int(b.rsplit("-", 1)[-1]) for b in layout.branches()]
    return "%s/.%s.vzkit-branch-%d" % (layout.parent, layout.ctid, max(numbers, default=0) + 1)


def _rollback_keeping(layout, snap: Snapshot) -> None:
    """Clone the snapshot, promote the clone, and swap it in; the former dataset becomes a branch.

    Each step has its undo, run in reverse on a failure, so the container keeps its own dataset.
    """
    work = layout.rollback_dataset
    if layout.zfs.exists(work):
        raise VzStateError("%s exists: an earlier rollback of container %s was interrupted" % (work, layout.ctid),
                           param="name", hint="inspect it (zfs list -t all -r %s); it holds snapshots of the container" % work)
    branch = _next_branch(layout)
    zfs, undo = layout.zfs, []
    try:
        zfs.clone(snap.name, work, {"mountpoint": "none", OWNER_PROP: layout.ctid})
        undo.append(lambda: zfs.destroy(work))
        zfs.promote(work)
        undo.append(lambda: zfs.promote(snap.dataset))  # the snapshots go back to where they were
        if (zfs.get([layout.dataset], ["mounted"]).get(layout.dataset) or {}).get("mounted") == "yes":
            zfs.unmount(layout.dataset)
        undo.append(lambda: layout.set_mountpoint(layout.dataset, layout.private))
        zfs.set(layout.dataset, {"mountpoint": "none"})
        zfs.rename(layout.dataset, branch)
        undo.append(lambda: zfs.rename(branch, layout.dataset))
        layout.rename_unmounted(work, layout.dataset, layout.private)
    except BaseException:
        for step in reversed(undo):
            try:
                step()
            except Exception:  # keep undoing; the original error is what the user needs
                pass
        raise


# ---- clone -------------------------------------------------------------------------------------

def _plan_clone(spec, ctx, layout, snap: Snapshot):
    existing = read_conf(os.path.join(ctx.globals.conf_dir, "%s.conf" % spec.target_ctid))
    if existing is not None:
        if _is_clone_of(layout, existing, spec.target_ctid, snap):
            return [], None  # already this snapshot's clone
        raise VzStateError("container %s already exists" % spec.target_ctid, param="target_ctid",
                           hint="give the id of a container that does not exist yet")
    tctx, _tconf = container.Context.build(ContainerSpec(ctid=spec.target_ctid, vz_conf=spec.vz_conf, layout=layout.name,
                                                         zfs_dataset=layout.parent), ctx.host)
    if tctx.layout.exists():
        raise VzStateError("dataset %s already exists" % tctx.layout.dataset, param="target_ctid",
                           hint="it is not ours to overwrite: choose another target_ctid")
    action = "clone %s to new container %s (new identity: machine-id, SSH host keys, MACs%s)" % (
        snap.name, spec.target_ctid, ", host name %s" % spec.target_hostname if spec.target_hostname else "")
    return [action], lambda: _clone(spec, ctx, tctx, snap)


def _is_clone_of(layout, conf, ctid: str, snap: Snapshot) -> bool:
    if conf.get("VE_LAYOUT") != layout.name or conf.get("VE_ZFS_DATASET") != layout.parent:
        return False
    dataset = "%s/%s" % (layout.parent, ctid)
    return (layout.zfs.get([dataset], ["origin"]).get(dataset) or {}).get("origin") == snap.name


def clone_conf(source: ConfFile, tctx, *, hostname, machine_id: str) -> ConfFile:
    """The new container's config: the source's, with its own paths, identity and no addresses."""
    new = source.copy()
    new.set("VE_ROOT", tctx.root)
    new.set("VE_PRIVATE", tctx.private)
    for key in ("HOSTNAME", "IP_ADDRESS", "LOCAL_UID", "LOCAL_GID", "ONBOOT"):
        new.unset(key)
    if hostname:
        new.set("HOSTNAME", hostname)
    netifs = netconf.parse_netif(source.get("NETIF"))
    if netifs:
        fresh = tuple(netconf.Netif(name=n.name, bridge=n.bridge, mtu=n.mtu, create_bridge=n.create_bridge) for n in netifs)
        new.set("NETIF", netconf.render_netif(netconf.complete_netifs(fresh, (), ctid=tctx.ctid, machine_id=machine_id)))
    return new


def _clone(spec, ctx, tctx, snap: Snapshot) -> None:
    src_conf = read_conf(ctx.conf_path)
    new = clone_conf(src_conf, tctx, hostname=spec.target_hostname, machine_id=container.machine_id())
    src_map = idshift.idmap_of(src_conf.items())
    tlayout = tctx.layout
    lock_dir = tctx.globals.get("LOCKDIR")
    lock = ContainerLock(lock_dir, tctx.ctid)
    with lock:
        if os.path.exists(tctx.conf_path) or tlayout.exists():  # made by another run since the plan
            raise VzStateError("container %s already exists" % tctx.ctid, param="target_ctid",
                               hint="give the id of a container that does not exist yet")
        made = False
        try:
            if src_map.shifted:  # a range of its own, claimed under the host-wide lock
                first = idshift.claim(ctx.globals.conf_dir, lock_dir, tctx.ctid, base=int(ctx.globals.get("VZ_USERNS_BASE")))
                new.set("LOCAL_UID", str(first))
                new.set("LOCAL_GID", str(first))
            tlayout.clean_leftovers()
            os.makedirs(os.path.dirname(tlayout.partial), mode=0o755, exist_ok=True)
            tlayout.clone_partial(snap.name)
            made = True
            tlayout.apply_diskspace(new.items(), dataset=tlayout.partial_dataset)
            templates.reset_identity(tlayout.partial)
            idshift.shift_tree(tlayout.partial, src_map if src_map.shifted else IdMap(), idshift.idmap_of(new.items()))
            os.makedirs(os.path.dirname(tctx.conf_path), mode=0o755, exist_ok=True)
            tctx.host.atomic_write(tctx.conf_path, new.render(), 0o644)
            tlayout.rename_unmounted(tlayout.partial_dataset, tlayout.dataset, tlayout.private)
            try:
                os.rmdir(tlayout.partial)  # a volume's filesystem was mounted there (zvol)
            except OSError:
                pass
        except BaseException:
            try:
                os.unlink(tctx.conf_path)
            except FileNotFoundError:
                pass
            if made:
                tlayout.destroy()  # only datasets carrying the new container's vzkit:ctid
            idshift.release(lock_dir, tctx.ctid)
            lock.remove()
            raise


__all__ = ["SnapshotSpec", "STATES", "ensure", "plan", "info", "family", "describe", "clone_conf", "expired", "take_consistent"]
