# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fleet: many containers converged by one call (vz_fleet), each exactly as vz_container would.

Private to vzkit.vz; may change in any release. Every item is validated with vz_container's own
argument spec and ``ContainerSpec``, then converged by ``ensure`` (its lock, plan, check and diff mode)
in a process of its own, several at once (``_workers``). An item that is refused, or whose converge
fails, fails alone: the others go on, and the result names every one that failed.

Membership is the ``VZKIT_FLEET`` key of a container's ``CTID.conf``: ``prune`` destroys the members of
the fleet that are no longer listed, and reads nothing else to decide it.
"""
from __future__ import annotations

import dataclasses
import os
import re
import traceback

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from .. import _idshift as idshift
from .._config import ConfFile, VzGlobals, ctids_in, read_conf
from .._layouts import layout_class
from .._net import _plan as netplan
from .._errors import VzConfigError, VzError
from .._spec import FLEET_KEY, ContainerSpec
from .._workers import WorkerLost, run_parallel
from ._args import container_argument_spec
from ._ensure import ensure

FLEET_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def default_parallel() -> int:
    """Two converges per CPU: a create waits on the disk about as long as it computes."""
    return 2 * (os.cpu_count() or 1)


def converge_fleet(items, host, *, defaults=None, fleet=None, prune: bool = False, parallel: int = 0,
                   vz_conf: str, diff: bool = False) -> dict:
    """Converge every item (vz_container's options over defaults, or a ctid alone) on host; prune the
    fleet's members that are not listed."""
    if fleet is not None and not FLEET_RE.fullmatch(fleet):
        raise VzConfigError("%r is not a fleet name" % fleet, param="fleet",
                            hint="use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    if prune and fleet is None:
        raise VzConfigError("prune needs a fleet to know the members by", param="prune", hint="set fleet too")
    if parallel < 0:
        raise VzConfigError("%d is negative" % parallel, param="parallel", hint="give 1 or more, or 0 for the default")
    defaults = defaults or {}
    base = _checked_defaults(defaults, vz_conf)
    members = [_member(i, item, defaults, fleet, vz_conf) for i, item in enumerate(items)]
    _refuse_duplicates(members)
    listed = {m.ctid for m in members if m.ctid}
    refused = [m.label for m in members if m.spec is None]
    if prune and refused:  # (a refused item's container could look unlisted and be destroyed by mistake)
        host.warn("prune not done: %s refused; a member they name could look unlisted" % ", ".join(refused))
    elif prune:
        conf_dir = VzGlobals.load(vz_conf).conf_dir
        for ctid in ctids_in(conf_dir):
            if ctid not in listed and _fleet_of(conf_dir, ctid) == fleet:
                spec = ContainerSpec(ctid=ctid, state="absent", vz_conf=vz_conf, fleet=fleet, stop_timeout=base.stop_timeout)
                members.append(_Member("container %s (pruned)" % ctid, ctid, spec, None, pruned=True))
    runnable = [m for m in members if m.spec is not None]
    _preload([m.spec for m in runnable], VzGlobals.load(vz_conf))
    values = run_parallel([_job(m, host, diff) for m in runnable], parallel=parallel or default_parallel())
    for member, value in zip(runnable, values):
        member.outcome = ({"error": "its converge was lost: %s" % value}
                          if isinstance(value, WorkerLost) else value)
        for warning in member.outcome.pop("warnings", []):
            host.warn("container %s: %s" % (member.ctid, warning))
    return _result(members, diff)


class _Member:
    """One container of the request: its spec (None when refused) and, once run, its outcome."""

    def __init__(self, label: str, ctid, spec, error, *, pruned: bool = False):
        self.label, self.ctid, self.spec, self.pruned = label, ctid, spec, pruned
        self.outcome = {"error": error} if error else None


def _member(index: int, item, defaults: dict, fleet, vz_conf: str) -> _Member:
    """An item over the defaults, validated as vz_container validates its parameters."""
    label = "containers[%d]" % index
    if isinstance(item, (str, int)) and not isinstance(item, bool):
        item = {"ctid": str(item)}  # a ctid alone: the container as the defaults say
    if not isinstance(item, dict):
        return _Member(label, None, None, "%r is neither a ctid nor a dictionary of vz_container options" % (item,))
    params = dict(defaults, **item)
    ctid = params.get("ctid", params.get("name"))
    ctid = None if ctid is None else str(ctid)
    if ctid is not None:
        label = "container %s" % ctid
    if params.setdefault("vz_conf", vz_conf) != vz_conf:
        return _Member(label, ctid, None, "`vz_conf`: a fleet lives on one vz.conf; set vz_conf on the task, "
                                          "not on its containers")
    checked = ArgumentSpecValidator(container_argument_spec()).validate(params)
    if checked.error_messages:
        return _Member(label, ctid, None, "; ".join(
            ("unsupported option %s" % e.msg) if isinstance(e, UnsupportedError) else e.msg for e in checked.errors.errors))
    try:
        spec = ContainerSpec.from_params(checked.validated_parameters)
    except VzError as exc:
        return _Member(label, ctid, None, str(exc))
    return _Member("container %s" % spec.ctid, spec.ctid, dataclasses.replace(spec, fleet=fleet) if fleet is not None else spec, None)


def _preload(specs, g) -> None:
    """Import and read once, before the fork, what every worker would otherwise import (compile: see
    __init__) or read again: the layouts of the members, the apply step, the network's code and pyroute2
    when a member has a network, and every config's id range."""
    from . import _apply  # pylint: disable=unused-import
    layouts, network = {g.get("VE_LAYOUT")}, False
    for spec in specs:
        conf = read_conf(os.path.join(g.conf_dir, "%s.conf" % spec.ctid)) or ConfFile()
        layouts.add(conf.get("VE_LAYOUT") or spec.layout or g.get("VE_LAYOUT"))
        network = network or bool(spec.ip_address or spec.netif or conf.get("IP_ADDRESS") or conf.get("NETIF"))
    for name in layouts:
        try:
            layout_class(name)
        except VzConfigError:
            pass  # (a config naming no layout we have: that container fails alone, in its worker)
    if network:
        netplan.preload()
    idshift.ranges(g.conf_dir)


def _checked_defaults(defaults: dict, vz_conf: str) -> ContainerSpec:
    """The defaults alone, checked as an item would be (so that bad ones are refused even for an empty list)."""
    if "ctid" in defaults or "name" in defaults:
        raise VzConfigError("defaults may not name a container", param="defaults.ctid",
                            hint="give ctid in each item of containers")
    checked = _member(0, {"ctid": "0"}, defaults, None, vz_conf)
    if checked.spec is None:
        raise VzConfigError(checked.outcome["error"], param="defaults", hint="every container takes them: fix them there")
    return checked.spec


def _refuse_duplicates(members) -> None:
    seen = set()
    for m in members:
        if m.ctid in seen:
            raise VzConfigError("container %s is listed twice" % m.ctid, param="containers",
                                hint="list each ctid once (merge the two items)")
        if m.ctid is not None:
            seen.add(m.ctid)


def _fleet_of(conf_dir: str, ctid: str):
    conf = read_conf(os.path.join(conf_dir, "%s.conf" % ctid))
    return conf.get(FLEET_KEY) if conf is not None else None


def _job(member: _Member, host, diff: bool):
    def run() -> dict:
        """In the member's own process: its converge's result, or its error, and its warnings."""
        host.warnings = []
        try:
            if member.spec.fleet is not None and not member.pruned:
                _refuse_other_fleet(member.spec)
            out = ensure(member.spec, host, diff=diff)
        except VzError as exc:
            out = {"error": str(exc)}
        except Exception as exc:  # a bug: its traceback, for the report
            out = {"error": "unexpected error: %s" % exc, "exception": traceback.format_exc()}
        out["warnings"] = host.warnings
        return out
    return run


def _refuse_other_fleet(spec) -> None:
    other = _fleet_of(VzGlobals.load(spec.vz_conf).conf_dir, spec.ctid)
    if other not in (None, spec.fleet):
        raise VzConfigError("container %s is a member of fleet %s" % (spec.ctid, other), param="fleet",
                            hint="leave it out of this list, or remove it from fleet %s first" % other)


def _result(members, diff: bool) -> dict:
    rows, diffs, failed = [], [], []
    for m in members:
        out = m.outcome or {}
        row = {"ctid": m.ctid, "changed": bool(out.get("changed")), "actions": out.get("actions", []),
               "state": (out.get("container") or {}).get("state"), "pruned": m.pruned}
        if "error" in out:
            row["error"] = out["error"]
            failed.append("%s: %s" % (m.label, out["error"]))
            if "exception" in out:
                row["exception"] = out["exception"]
        if diff and out.get("diff"):
            row["diff"] = out["diff"]
            diffs.extend(_headed(m.ctid, out["diff"]))
        rows.append(row)
    summary = {"total": len(rows), "changed": sum(r["changed"] for r in rows), "failed": len(failed),
               "pruned": sum(r["pruned"] and r["changed"] for r in rows)}
    summary["unchanged"] = summary["total"] - summary["changed"] - summary["failed"]
    result = {"changed": summary["changed"] > 0, "containers": rows, "summary": summary}
    if diff:
        result["diff"] = diffs
    if failed:
        result["failed"] = True
        result["msg"] = "%d of %d containers failed: %s" % (len(failed), len(rows), "; ".join(failed))
    return result


def _headed(ctid: str, diff: list) -> list:
    """A member's diff entries, each headed with its container (the task's diff holds every member's)."""
    out = []
    for entry in diff:
        entry = dict(entry)
        entry.setdefault("before_header", "container %s" % ctid)
        entry.setdefault("after_header", "container %s" % ctid)
        out.append(entry)
    return out


__all__ = ["converge_fleet", "default_parallel"]
