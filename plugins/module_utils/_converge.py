# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one converge step every entry point runs: plan, then apply, or in check mode only report the plan.

Private to vzkit.vz; may change in any release.

A concern (container, quota, zvol, snapshot, template) hands in a planner: a function that only reads
the system and returns a ``Planned`` - the ordered actions, the function that carries them out, and the
function that reports the object afterwards (observed again) or as the plan would leave it. This file
is the only place that knows about check mode: ``apply`` is never called in it, and the lock is not
taken (check mode creates nothing, not even a lock file). In a real run the plan is made under the lock,
so what is applied is what was planned.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Report:
    """What a run returns about its object: the value under the module's noun, the diff, other keys."""

    value: object
    diff: object = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Planned:
    """A concern's plan: ``apply()`` carries out ``actions``; ``report(applied)`` describes the object,
    observed again when ``applied``, else as it is or would be after the plan."""

    actions: list
    apply: Callable[[], None]
    report: Callable[[bool], Report]


def nothing() -> None:
    """The apply of a plan with no actions."""


def converge(host, planner: Callable[[], Planned], *, noun: str, lock=None, diff: bool = False) -> dict:
    """Run planner's plan on host: the module result {changed, actions, <noun>, [diff], ...}."""
    if host.check_mode:
        return _result(planner(), noun=noun, applied=False, diff=diff)
    with lock if lock is not None else contextlib.nullcontext():
        planned = planner()
        if planned.actions:
            planned.apply()
        return _result(planned, noun=noun, applied=bool(planned.actions), diff=diff)


def _result(planned: Planned, *, noun: str, applied: bool, diff: bool) -> dict:
    report = planned.report(applied)
    out = {"changed": bool(planned.actions), "actions": list(planned.actions), noun: report.value}
    out.update(report.extra)
    if diff and report.diff is not None:  # a planner with nothing to compare shows no diff
        out["diff"] = report.diff
    return out


__all__ = ["Planned", "Report", "converge", "nothing"]
