# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Disk quota of a container, in two levels, and its usage.

Private to vzkit.vz; may change in any release.

- First level, the container as a whole: ``DISKSPACE`` (OpenVZ syntax, 1K blocks unless a suffix is
  given, ``barrier:limit``). On the zfs layout the limit is the dataset's ``refquota`` (ZFS has no soft
  limit: the barrier is stored, not enforced), optionally reserved with ``refreservation``.
  ``DISKINODES`` is stored but cannot be enforced on ZFS, which allocates inodes as it needs them.
- Second level, per user and group inside: ``userquota@UID`` / ``groupquota@GID``, the names resolved
  in the container's own ``/etc/passwd`` and ``/etc/group`` (read without following links out of its
  tree) and mapped to host ids when the container is unprivileged.
- zvol: the volume's size is the first level (grown online, shrunk offline on ext4 only), the user and
  group quota of the filesystem on it the second (see ``_quota_zvol``).
- simfs: ext4/xfs project quota (see ``_quota_simfs``); where the filesystem keeps none, usage only,
  and asking for a quota fails naming the mkfs feature or mount option that is missing.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import _container as container
from . import _quota_ids as quota_ids
from . import _quota_simfs as quota_simfs
from . import _quota_zvol as quota_zvol
from . import _units as units
from ._errors import VzConfigError, VzStateError
from ._lock import ContainerLock
from ._spec import ContainerSpec, validate_ctid
from ._zfs import as_int

INODES_ON_ZFS = "ZFS allocates inodes as it needs them, so there is no inode limit to set"
GRACE_ON_ZFS = "ZFS has no soft limit, so there is no grace time"


def parse_diskspace(text, *, param: str = "diskspace"):
    """OpenVZ DISKSPACE -> (barrier, limit) in bytes (None: unlimited); bare numbers are 1K blocks."""
    barrier, limit = units.parse_pair(str(text), unit=units.UNIT_KBYTES, param=param)
    if limit == 0:
        raise VzConfigError("a limit of 0 would allow no data at all", param=param,
                            hint="give a size, or unlimited to remove the quota")
    if barrier is not None and limit is not None and barrier > limit:
        raise VzConfigError("barrier %s is above limit %s" % (barrier, limit), param=param,
                            hint="give BARRIER:LIMIT with the barrier at or below the limit")
    return barrier, limit


def _size_or_none(value, *, param: str):
    if value in (None, "none", "unlimited", 0, "0"):
        return None
    size = units.parse_size(str(value), unit=units.UNIT_BYTES, param=param)
    return size or None


@dataclass(frozen=True)
class Entry:
    name: str
    quota: int | None  # bytes; None removes the quota


@dataclass(frozen=True)
class QuotaSpec:
    ctid: str
    diskspace: tuple | None = None      # (barrier, limit) bytes, or None (leave as is)
    diskspace_text: str | None = None
    diskinodes: str | None = None
    quotatime: str | None = None
    refreservation: bool | None = None
    users: tuple = ()
    groups: tuple = ()
    vz_conf: str = "/etc/vz/vz.conf"

    @classmethod
    def from_params(cls, p: dict) -> "QuotaSpec":
        diskspace = p.get("diskspace")
        parsed = parse_diskspace(diskspace) if diskspace is not None else None
        diskinodes = p.get("diskinodes")
        if diskinodes is not None:
            units.parse_pair(str(diskinodes), unit=units.UNIT_COUNT, param="diskinodes")
        quotatime = p.get("quotatime")
        if quotatime is not None and not str(quotatime).isdigit():
            raise VzConfigError("%r is not a number of seconds" % quotatime, param="quotatime",
                                hint="give the grace time in seconds, e.g. 604800 for a week (0: the kernel's default)")
        entries = {}
        for kind in ("users", "groups"):
            out, seen = [], set()
            for i, e in enumerate(p.get(kind) or ()):
                name = str(e.get("name") or "").strip()
                if not name or ":" in name or "\n" in name:
                    raise VzConfigError("%r is not a %s name or id" % (name, kind[:-1]), param="%s[%d].name" % (kind, i),
                                        hint="give a name from the container's own %s, or a number"
                                             % ("/etc/passwd" if kind == "users" else "/etc/group"))
                if name in seen:
                    raise VzConfigError("%s is listed twice" % name, param="%s[%d].name" % (kind, i), hint="list each once")
                seen.add(name)
                out.append(Entry(name, _size_or_none(e.get("quota"), param="%s[%d].quota" % (kind, i))))
            entries[kind] = tuple(out)
        text = units.format_pair(*parsed) if parsed else None
        return cls(ctid=validate_ctid(p.get("ctid")), diskspace=parsed, diskspace_text=text,
                   diskinodes=str(diskinodes) if diskinodes is not None else None,
                   quotatime=str(quotatime) if quotatime is not None else None,
                   refreservation=p.get("refreservation"), users=entries["users"], groups=entries["groups"],
                   vz_conf=p.get("vz_conf") or "/etc/vz/vz.conf")


def ensure(spec: QuotaSpec, host, *, diff: bool = False) -> dict:
    ctx, conf = container.Context.build(ContainerSpec(ctid=spec.ctid, vz_conf=spec.vz_conf), host)
    if conf is None:
        raise VzStateError("container %s does not exist" % spec.ctid, param="ctid", hint="create it first (vz_container)")
    run = {"zfs": _zfs_run, "zvol": _zvol_run}.get(ctx.layout.name, quota_simfs.run)
    if host.check_mode:
        return run(spec, ctx, conf, check=True, diff=diff)
    with ContainerLock(ctx.globals.get("LOCKDIR"), spec.ctid):
        return run(spec, ctx, conf, check=False, diff=diff)


def _zfs_run(spec, ctx, conf, *, check: bool, diff: bool) -> dict:
    layout = ctx.layout
    idmap, users, groups, wanted = quota_ids.resolve_wanted(spec, layout.private, conf)
    uids = sorted({idmap.host_uid(u) for u in users.values()} | {w[2] for w in wanted["user"]})
    gids = sorted({idmap.host_gid(g) for g in groups.values()} | {w[2] for w in wanted["group"]})
    props = (["refquota", "refreservation", "used", "referenced", "available"]
             + ["user%s@%d" % (what, h) for what in ("quota", "used") for h in uids]
             + ["group%s@%d" % (what, h) for what in ("quota", "used") for h in gids])
    current = layout.zfs.get([layout.dataset], props).get(layout.dataset) or {}
    sets, conf_keys, actions = _plan_zfs(spec, layout, conf.items(), current, wanted)
    if conf_keys:
        actions.insert(0, "write %s (%s)" % (ctx.conf_path, ", ".join(sorted(conf_keys))))
    new = conf.copy()
    for key, value in conf_keys.items():
        new.set(key, value)
    for w in _warnings(spec, ctx.conf_path):
        ctx.host.warn(w)
    before = {k: conf.get(k) for k in ("DISKSPACE", "DISKINODES", "QUOTATIME")}
    before.update({prop: as_int(current.get(prop)) or None for prop in sets})
    after = {k: new.get(k) for k in ("DISKSPACE", "DISKINODES", "QUOTATIME")}
    after.update({prop: (value if value != "none" else None) for prop, value in sets.items()})
    if actions and not check:
        if conf_keys:
            ctx.host.atomic_write(ctx.conf_path, new.render(), 0o644)
        for prop in sorted(sets):  # one property per call: zfs-fuse's zfs set takes one
            layout.zfs.set(layout.dataset, {prop: sets[prop]})
        current = layout.zfs.get([layout.dataset], props).get(layout.dataset) or {}
    elif actions:
        current = dict(current, **{k: (str(v) if v != "none" else "0") for k, v in sets.items()})
    out = {"changed": bool(actions), "actions": actions,
           "quota": _describe(spec.ctid, layout, new.items(), current, users, groups, idmap)}
    if diff:
        out["diff"] = {"before": before, "after": after}
    return out


def _zvol_run(spec, ctx, conf, *, check: bool, diff: bool) -> dict:
    return quota_zvol.run(spec, ctx, conf, check=check, diff=diff)


def _plan_zfs(spec, layout, items: dict, current: dict, wanted: dict) -> tuple:
    """(properties to set, config keys to write, actions) that take the dataset to the spec."""
    sets, conf_keys, actions = {}, {}, []
    if spec.diskspace is not None:
        want = spec.diskspace[1]
        if (as_int(current.get("refquota")) or None) != want:
            sets["refquota"] = want if want is not None else "none"
            actions.append("set refquota of %s to %s" % (layout.dataset, units.format_size(want)))
        if items.get("DISKSPACE") != spec.diskspace_text:
            conf_keys["DISKSPACE"] = spec.diskspace_text
    if spec.refreservation is not None:
        limit = spec.diskspace[1] if spec.diskspace is not None else as_int(current.get("refquota"))
        want = limit if spec.refreservation and limit else None
        if (as_int(current.get("refreservation")) or None) != want:
            sets["refreservation"] = want if want is not None else "none"
            actions.append("set refreservation of %s to %s" % (layout.dataset, units.format_size(want)))
    if spec.diskinodes is not None and items.get("DISKINODES") != spec.diskinodes:
        conf_keys["DISKINODES"] = spec.diskinodes
    if spec.quotatime is not None and items.get("QUOTATIME") != spec.quotatime:
        conf_keys["QUOTATIME"] = spec.quotatime
    for kind in ("user", "group"):
        for entry, inner, host_id in wanted[kind]:
            prop = "%squota@%d" % (kind, host_id)
            if (as_int(current.get(prop)) or None) != entry.quota:
                sets[prop] = entry.quota if entry.quota is not None else "none"
                actions.append("set %s quota of %s (id %d) to %s" % (kind, entry.name, inner, units.format_size(entry.quota)))
    return sets, conf_keys, actions


def _warnings(spec, conf_path: str) -> list:
    out = []
    if spec.diskinodes is not None:
        out.append("`diskinodes`: stored in %s, not enforced: %s" % (conf_path, INODES_ON_ZFS))
    if spec.quotatime is not None:
        out.append("`quotatime`: stored in %s, not enforced: %s" % (conf_path, GRACE_ON_ZFS))
    if spec.diskspace is not None and spec.diskspace[0] != spec.diskspace[1]:
        out.append("`diskspace`: the barrier %s is stored, not enforced: ZFS has no soft limit; the limit %s is"
                   % (units.format_size(spec.diskspace[0]), units.format_size(spec.diskspace[1])))
    return out


def _describe(ctid, layout, items, current, users, groups, idmap) -> dict:
    def listing(names, kind, host_id):
        return quota_ids.listing(names, host_id, lambda h: (as_int(current.get("%squota@%d" % (kind, h))),
                                                            as_int(current.get("%sused@%d" % (kind, h)))))
    refquota = as_int(current.get("refquota")) or None
    return {"ctid": ctid, "layout": "zfs", "dataset": layout.dataset,
            "diskspace": {"barrier": parse_diskspace(items["DISKSPACE"])[0] if items.get("DISKSPACE") else refquota,
                          "limit": refquota},
            "refreservation": as_int(current.get("refreservation")) or None,
            "used": as_int(current.get("referenced")), "available": as_int(current.get("available")),
            "diskinodes": {"enforced": False, "reason": INODES_ON_ZFS, "value": items.get("DISKINODES")},
            "users": listing(users, "user", idmap.host_uid), "groups": listing(groups, "group", idmap.host_gid)}


__all__ = ["QuotaSpec", "Entry", "ensure", "parse_diskspace", "INODES_ON_ZFS", "GRACE_ON_ZFS"]
