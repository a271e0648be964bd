# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which cgroup hierarchies the host has: cgroup v2, v1, or the hybrid of both, detected once from
mountinfo. Private to vzkit.vz; may change in any release."""
from __future__ import annotations

import os
from dataclasses import dataclass

from .._errors import VzUnsupported
from .._mounts import parse_mountinfo

CGROUP_ROOT = "/sys/fs/cgroup"
# Cgroups named like systemd units are systemd's: vzkit neither creates nor removes them.
SYSTEMD_UNIT_SUFFIXES = (".slice", ".service", ".scope")
# The v1 hierarchies systemd manages (it creates its units' cgroups there too).
SYSTEMD_V1_CONTROLLERS = frozenset(("name=systemd", "cpu", "cpuacct", "blkio", "memory", "devices", "pids"))


@dataclass(frozen=True)
class Hierarchy:
    path: str          # where the hierarchy is mounted
    version: int       # 1 or 2
    controllers: tuple  # v1: from mount options; v2: from cgroup.controllers


@dataclass(frozen=True)
class Hierarchies:
    mode: str  # "unified" (v2 only), "hybrid" (v1 + v2 without controllers), "legacy" (v1 only)
    hierarchies: tuple


def detect_from_mountinfo(text: str, *, read=None) -> Hierarchies:
    """Classify the host's cgroup setup from mountinfo text (pure but for reading v2 controllers)."""
    v1, v2 = [], []
    for e in parse_mountinfo(text):
        if not e.mount_point.startswith(CGROUP_ROOT):
            continue
        if e.fstype == "cgroup2":
            ctrls = tuple((read(os.path.join(e.mount_point, "cgroup.controllers")) if read else "").split())
            v2.append(Hierarchy(e.mount_point, 2, ctrls))
        elif e.fstype == "cgroup":
            opts = [o for o in e.super_options.split(",") if o not in ("rw", "ro") and "=" not in o
                    and o not in ("relatime", "noexec", "nosuid", "nodev", "clone_children", "xattr",
                                  "noprefix", "cpuset_v2_mode", "nsdelegate", "memory_recursiveprot")]
            named = [o for o in e.super_options.split(",") if o.startswith("name=")]
            v1.append(Hierarchy(e.mount_point, 1, tuple(opts + named)))
    if not v1 and not v2:
        raise VzUnsupported("control groups", "no cgroup or cgroup2 filesystem is mounted under %s" % CGROUP_ROOT,
                            hint="mount cgroup2 on /sys/fs/cgroup (kernel option CONFIG_CGROUPS)")
    if not v1:
        return Hierarchies("unified", tuple(v2))
    return Hierarchies("hybrid" if v2 else "legacy", tuple(v1 + v2))


def write(path: str, value: str) -> None:
    with open(path, "w", encoding="ascii") as fh:
        fh.write(value)


def read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read()
    except OSError:
        return ""


def detect() -> Hierarchies:
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as fh:
        return detect_from_mountinfo(fh.read(), read=read)


__all__ = ["CGROUP_ROOT", "SYSTEMD_UNIT_SUFFIXES", "SYSTEMD_V1_CONTROLLERS", "Hierarchy", "Hierarchies",
           "detect", "detect_from_mountinfo", "read", "write"]
