# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Limits as the kernel enforces them: recorded when vzkit applies them, compared when it looks again.

Private to vzkit.vz; may change in any release. The config says what a container's limits should be;
the cgroup files say what holds. Anything else with host root may write those files, so after every
apply the values the kernel shows are kept in ``/run/vz/CTID/limits.json`` (host root's, like the init
record), and observing a running container reads the same files again: a value that moved is drift,
which the next converge puts back.
"""
from __future__ import annotations

import json
import os

RECORD = "limits.json"


def write_record(run_dir: str, values: dict) -> None:
    os.makedirs(run_dir, mode=0o700, exist_ok=True)
    tmp = os.path.join(run_dir, RECORD + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(values, fh, sort_keys=True)
    os.replace(tmp, os.path.join(run_dir, RECORD))


def read_record(run_dir: str) -> dict:
    """The values recorded at the last apply; empty when there is none (or it is not ours to trust)."""
    try:
        with open(os.path.join(run_dir, RECORD), encoding="utf-8") as fh:
            values = json.load(fh)
    except (OSError, ValueError):
        return {}
    if not isinstance(values, dict):
        return {}
    return {k: v for k, v in values.items() if isinstance(k, str) and isinstance(v, str)}


def read_now(paths) -> dict:
    out = {}
    for path in paths:
        try:
            with open(path, encoding="ascii") as fh:
                out[path] = fh.read().strip()
        except OSError:
            out[path] = None  # gone: a removed cgroup is drift too
    return out


def compare(recorded: dict, now: dict) -> tuple:
    """(path, recorded value, value now) for each file that no longer holds what was applied."""
    return tuple((path, recorded[path], now.get(path)) for path in sorted(recorded) if now.get(path) != recorded[path])


def observe(run_dir: str) -> tuple:
    recorded = read_record(run_dir)
    return compare(recorded, read_now(recorded)) if recorded else ()


__all__ = ["RECORD", "write_record", "read_record", "read_now", "compare", "observe"]
