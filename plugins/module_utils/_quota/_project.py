# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""First-level quota of a simfs container: ext4/xfs project quota on its private area.

Private to vzkit.vz; may change in any release.

- The container's files carry its project id (``DISK_PROJID`` in CTID.conf). A container made while the
  filesystem kept no project ids gets one here, and its whole tree is tagged once.
- ``DISKSPACE`` barrier:limit become the id's block soft:hard limits, ``DISKINODES`` its inode limits.
  Writes past the barrier succeed until the grace time runs out; nothing passes the limit.
- ``QUOTATIME`` is the grace time. The kernel keeps one per filesystem (not per container, as vzquota
  did), so setting it changes it for every container on that filesystem, and a warning says so.
- Inside the container ``df`` shows the barrier (or the limit) as the size of ``/``: the kernel reports
  the project's quota for a directory that carries PROJINHERIT.
- Per-user and per-group quota inside a simfs container is not offered: its files share the host
  filesystem's user quota with everything else on it.
"""
from __future__ import annotations

from .. import _units as units
from .._converge import Planned, Report, nothing
from .._errors import VzUnsupported
from .._layouts._simfs import wanted_limits
from .._fsquota import _kernel as kernel
from .._fsquota import _projid as projids
from .._fsquota import _tags as tags

KINDS_ASKED = (("diskspace", "DISKSPACE"), ("diskinodes", "DISKINODES"), ("quotatime", "QUOTATIME"))


def plan(spec, ctx, conf) -> Planned:
    """The config keys, project id and limits that take a simfs container's quota to spec (a QuotaSpec)."""
    layout = ctx.layout
    if spec.users or spec.groups or spec.refreservation is not None:
        param = "users" if spec.users else "groups" if spec.groups else "refreservation"
        raise VzUnsupported("`%s` on layout simfs" % param,
                            "a simfs container's files share the host filesystem's user and group quota, and there is "
                            "no pool to reserve in", param=param,
                            hint="use layout zfs (or zvol) for per-user quota and reservations")
    asked = [(param, key) for param, key in KINDS_ASKED if getattr(spec, param) is not None]
    fs = layout.fs()
    if asked:
        kernel.require(fs, kernel.PRJQUOTA, feature="disk quota of simfs containers", param=asked[0][0])
    if not fs.enforced():
        return Planned([], nothing, lambda applied: Report(_usage_only(spec, ctx, fs)))  # usage only, nothing to do
    items, new, actions = conf.items(), conf.copy(), []
    projid, retag = _plan_projid(ctx, items, actions)
    if retag:
        new.set(projids.KEY, str(projid))
    for param, key in asked:
        if items.get(key) != _text(spec, param):
            new.set(key, _text(spec, param))
    changed_keys = sorted(k for k in set(items) | set(new.items()) if items.get(k) != new.get(k))
    if changed_keys:
        actions.insert(0, "write %s (%s)" % (ctx.conf_path, ", ".join(changed_keys)))
    have = kernel.get(layout.private, kernel.PRJQUOTA, projid)
    want = normalize(wanted_limits(new.items()))
    if have.limits() != want:
        actions.append("set the limits of project %d to %s" % (projid, describe_limits(want)))
    grace, want_grace, set_grace = _plan_grace(spec, ctx, fs, actions)

    def report(applied: bool) -> Report:
        if applied:
            now_projid = int(new.get(projids.KEY))
            now = (kernel.get(layout.private, kernel.PRJQUOTA, now_projid),
                   kernel.get_grace(layout.private, kernel.PRJQUOTA))
        else:
            now_projid = projid
            now = (kernel.Dquot(want[0], want[1], have.space, want[2], want[3], have.inodes) if actions else have,
                   (want_grace, want_grace) if actions and want_grace is not None else grace)
        keys = ("DISKSPACE", "DISKINODES", "QUOTATIME", projids.KEY)
        return Report(describe(spec.ctid, ctx, fs, new.items(), now_projid, *now),
                      diff={"before": {k: items.get(k) for k in keys}, "after": {k: new.get(k) for k in keys}})
    return Planned(actions, lambda: _apply(ctx, new, changed_keys, projid if retag else None, want,
                                           want_grace if set_grace else None), report)


def _plan_grace(spec, ctx, fs, actions: list) -> tuple:
    """(grace now, grace asked for or None, whether it changes): QUOTATIME is the filesystem's."""
    grace = kernel.get_grace(ctx.layout.private, kernel.PRJQUOTA)
    want = int(spec.quotatime) if spec.quotatime is not None else None
    change = want is not None and grace != (want, want)
    if change:
        actions.append("set the project quota grace time of %s to %d s" % (fs.mount_point, want))
        ctx.host.warn("`quotatime`: the grace time belongs to the filesystem %s (%s), so it applies to every "
                      "container on it" % (fs.mount_point, fs.source))
    return grace, want, change


def _text(spec, param: str) -> str:
    return {"diskspace": spec.diskspace_text, "diskinodes": spec.diskinodes, "quotatime": spec.quotatime}[param]


def _plan_projid(ctx, items: dict, actions: list) -> tuple:
    """(the container's project id, whether its tree must be tagged with it)."""
    layout = ctx.layout
    recorded = int(items.get(projids.KEY) or 0)
    current, inherit = tags.projid_of(layout.private)
    if recorded and (current, inherit) == (recorded, True):
        return recorded, False
    if recorded:
        actions.append("give every file in %s project id %d again (its top directory has %d)"
                       % (layout.private, recorded, current))
        return recorded, True
    projid = projids.choose(layout.private, ctx.ctid, layout.conf_dir, own=(layout.private, layout.partial),
                            current=current)
    actions.append("give every file in %s project id %d" % (layout.private, projid))
    return projid, True


def _apply(ctx, new, changed_keys, retag, limits, grace) -> None:
    layout = ctx.layout
    if retag is not None:
        # Under the host-wide id lock, as a create claims its id: the planned id is kept unless another
        # container took it meanwhile.
        with projids.locked(layout.lock_dir):
            projid = projids.choose(layout.private, ctx.ctid, layout.conf_dir, own=(layout.private, layout.partial),
                                    current=retag)
            tags.check_parent(layout.private)
            tags.tag_tree(layout.private, projid)
        new.set(projids.KEY, str(projid))
    if changed_keys or retag is not None:
        ctx.host.atomic_write(ctx.conf_path, new.render(), 0o644)
    kernel.set_limits(layout.private, kernel.PRJQUOTA, int(new.get(projids.KEY)), limits)
    if grace is not None:
        kernel.set_grace(layout.private, kernel.PRJQUOTA, grace, grace)


def normalize(limits: tuple) -> tuple:
    """Limits as the kernel keeps them: block limits rounded up to whole KiB, 0 as None."""
    bsoft, bhard, isoft, ihard = limits
    return (kernel.to_blocks(bsoft) * 1024 or None, kernel.to_blocks(bhard) * 1024 or None,
            isoft or None, ihard or None)


def describe_limits(limits: tuple) -> str:
    bsoft, bhard, isoft, ihard = limits
    return "blocks %s:%s, inodes %s:%s" % (units.format_size(bsoft), units.format_size(bhard),
                                           isoft if isoft else "unlimited", ihard if ihard else "unlimited")


def describe(ctid, ctx, fs, items, projid, have, grace) -> dict:
    available = max(have.block_hard - have.space, 0) if have.block_hard else None
    return {"ctid": ctid, "layout": "simfs", "filesystem": {"type": fs.fstype, "mount_point": fs.mount_point,
                                                            "source": fs.source},
            "projid": projid,
            "diskspace": {"barrier": have.block_soft, "limit": have.block_hard},
            "used": have.space, "available": available,
            "diskinodes": {"enforced": True, "value": items.get("DISKINODES"), "barrier": have.inode_soft,
                           "limit": have.inode_hard, "used": have.inodes},
            "quotatime": grace[0] if grace else None,
            "grace_ends": {"blocks": have.block_grace_ends or None, "inodes": have.inode_grace_ends or None},
            "users": [], "groups": []}


def _usage_only(spec, ctx, fs) -> dict:
    """The filesystem keeps no project quota: usage from du, and the reason no quota is enforced."""
    res = ctx.host.run([ctx.host.bin("du"), "-s", "-x", "-B1", "--", ctx.private])
    used = int(res.stdout.split()[0]) if res.stdout.split() else None
    return {"ctid": spec.ctid, "layout": ctx.layout.name, "diskspace": None, "used": used,
            "available": None, "filesystem": {"type": fs.fstype, "mount_point": fs.mount_point, "source": fs.source},
            "diskinodes": {"enforced": False, "reason": kernel.missing(fs)},
            "users": [], "groups": []}


__all__ = ["plan", "normalize", "describe_limits", "describe"]
