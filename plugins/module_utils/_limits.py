# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Resource limits: OpenVZ's UBC heritage mapped to cgroup v1 and v2 files (DESIGN's table).

Private to vzkit.vz; may change in any release. Pure: ``Limits.from_conf`` reads CTID.conf keys,
``cgroup_writes`` says which file of which controller gets which value; ``_cgroups`` writes them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import _units as units
from ._errors import VzConfigError

PERIOD_US = 100000  # CFS period for CPU caps
# Keys with a mainline equivalent (enforced) and those without (stored, reported as unenforced).
ENFORCED = ("PHYSPAGES", "RAM", "SWAPPAGES", "SWAP", "NUMPROC", "CPUUNITS", "CPULIMIT", "CPUS", "CPUMASK",
            "IOLIMIT", "IOPSLIMIT", "IOPRIO")
UNENFORCED = ("KMEMSIZE", "LOCKEDPAGES", "PRIVVMPAGES", "SHMPAGES", "NUMTCPSOCK", "NUMOTHERSOCK", "NUMFLOCK",
              "NUMPTY", "NUMSIGINFO", "TCPSNDBUF", "TCPRCVBUF", "OTHERSOCKBUF", "DGRAMRCVBUF", "NUMFILE",
              "DCACHESIZE", "NUMIPTENT", "AVNUMPROC", "VMGUARPAGES", "OOMGUARPAGES", "DISKSPACE", "DISKINODES",
              "QUOTATIME", "QUOTAUGIDLIMIT")
CPUMASK_RE = re.compile(r"all|\d+(-\d+)?(,\d+(-\d+)?)*")


@dataclass(frozen=True)
class Limits:
    """What a container may use; None means no limit."""

    ram: int | None = None          # bytes (hard)
    ram_high: int | None = None     # bytes (barrier: throttle above it)
    swap: int | None = None         # bytes
    numproc: int | None = None
    cpuunits: int | None = None     # relative weight, OpenVZ default 1000
    cpu_quota_us: int | None = None  # per PERIOD_US
    cpumask: str | None = None
    iolimit: int | None = None      # bytes/s
    iopslimit: int | None = None    # operations/s
    ioprio: int | None = None       # 0..7

    @classmethod
    def from_conf(cls, items: dict) -> "Limits":
        def pair(key, unit):
            return units.parse_pair(items[key], unit=unit, param="config.%s" % key) if items.get(key) else (None, None)

        ram_b, ram_l = pair("PHYSPAGES", units.UNIT_PAGES)
        if items.get("RAM"):  # Virtuozzo's RAM key wins over PHYSPAGES
            ram_b, ram_l = None, units.parse_size(items["RAM"], param="config.RAM")
        swap = pair("SWAPPAGES", units.UNIT_PAGES)[1]
        if items.get("SWAP"):
            swap = units.parse_size(items["SWAP"], param="config.SWAP")
        numproc = pair("NUMPROC", units.UNIT_COUNT)[1]
        quota = None
        if items.get("CPULIMIT"):
            quota = int(items["CPULIMIT"]) * PERIOD_US // 100 or None  # percent of one CPU
        if items.get("CPUS"):
            cap = int(items["CPUS"]) * PERIOD_US or None
            quota = cap if quota is None else min(quota, cap) if cap else quota
        return cls(ram=ram_l, ram_high=ram_b or None, swap=swap, numproc=numproc,
                   cpuunits=_int(items.get("CPUUNITS")), cpu_quota_us=quota,
                   cpumask=items.get("CPUMASK") or None,
                   iolimit=units.parse_size(items["IOLIMIT"], param="config.IOLIMIT") if items.get("IOLIMIT") else None,
                   iopslimit=_int(items.get("IOPSLIMIT")), ioprio=_int(items.get("IOPRIO")))


def _int(text):
    return int(text) if text not in (None, "") else None


def unenforced(items: dict) -> list:
    """Keys set in the config that no mainline kernel mechanism enforces (yet)."""
    return [k for k in items if k in UNENFORCED]


def cgroup_writes(lim: Limits, version: int, *, device: str | None = None, cpus_all: str = "") -> list:
    """(controller, file, value) for one hierarchy version. Unset limits write the "no limit" value,
    so lowering or removing a limit on a running container works like raising it."""
    if version == 1:
        return _v1(lim, device, cpus_all)
    return _v2(lim, device, cpus_all)


def _v1(lim: Limits, device, cpus_all) -> list:
    unlimited = str(2 ** 63 - 4096)  # what the v1 memory controller shows for "no limit"
    out = [("memory", "memory.soft_limit_in_bytes", str(lim.ram_high) if lim.ram_high else unlimited),
           ("memory", "memory.limit_in_bytes", str(lim.ram) if lim.ram else unlimited)]
    if lim.ram and lim.swap is not None:
        out.append(("memory", "memory.memsw.limit_in_bytes", str(lim.ram + lim.swap)))
    else:
        out.append(("memory", "memory.memsw.limit_in_bytes", unlimited))
    out += [("pids", "pids.max", str(lim.numproc) if lim.numproc else "max"),
            ("cpu", "cpu.shares", str(_shares(lim.cpuunits))),
            ("cpu", "cpu.cfs_period_us", str(PERIOD_US)),
            ("cpu", "cpu.cfs_quota_us", str(lim.cpu_quota_us) if lim.cpu_quota_us else "-1"),
            ("cpuset", "cpuset.cpus", _mask(lim.cpumask, cpus_all))]
    if device:
        out += [("blkio", "blkio.throttle.write_bps_device", "%s %d" % (device, lim.iolimit or 0)),
                ("blkio", "blkio.throttle.read_bps_device", "%s %d" % (device, lim.iolimit or 0)),
                ("blkio", "blkio.throttle.write_iops_device", "%s %d" % (device, lim.iopslimit or 0)),
                ("blkio", "blkio.throttle.read_iops_device", "%s %d" % (device, lim.iopslimit or 0))]
    if lim.ioprio is not None:
        out.append(("blkio", "blkio.bfq.weight", str(_io_weight(lim.ioprio, 1000))))
    return out


def _v2(lim: Limits, device, cpus_all) -> list:
    out = [("memory", "memory.high", str(lim.ram_high) if lim.ram_high else "max"),
           ("memory", "memory.max", str(lim.ram) if lim.ram else "max"),
           ("memory", "memory.swap.max", str(lim.swap) if lim.swap is not None else "max"),
           ("pids", "pids.max", str(lim.numproc) if lim.numproc else "max"),
           ("cpu", "cpu.weight", str(_weight(lim.cpuunits))),
           ("cpu", "cpu.max", "%s %d" % (lim.cpu_quota_us or "max", PERIOD_US)),
           ("cpuset", "cpuset.cpus", _mask(lim.cpumask, cpus_all))]
    if device:
        rb = str(lim.iolimit) if lim.iolimit else "max"
        ro = str(lim.iopslimit) if lim.iopslimit else "max"
        out.append(("io", "io.max", "%s rbps=%s wbps=%s riops=%s wiops=%s" % (device, rb, rb, ro, ro)))
    if lim.ioprio is not None:
        out.append(("io", "io.weight", "default %d" % _io_weight(lim.ioprio, 10000)))
    return out


def _shares(cpuunits) -> int:
    """OpenVZ CPUUNITS (default 1000) to v1 shares (default 1024), proportionally."""
    return max(2, min(262144, (cpuunits or 1000) * 1024 // 1000))


def _weight(cpuunits) -> int:
    """OpenVZ CPUUNITS (default 1000) to v2 cpu.weight (default 100, 1..10000)."""
    return max(1, min(10000, (cpuunits or 1000) // 10))


def _io_weight(ioprio: int, top: int) -> int:
    """vzctl's IOPRIO 0..7 (default 4) to a weight, 4 giving the controller's default."""
    default = 100 if top == 10000 else 500
    return max(1, min(top, default * (ioprio + 1) // 5))


def _mask(mask, cpus_all: str) -> str:
    return cpus_all if not mask or mask == "all" else mask


def validate_cpumask(mask: str, *, param: str = "cpumask") -> None:
    if not CPUMASK_RE.fullmatch(mask):
        raise VzConfigError("%r is not a CPU list" % mask, param=param, hint="write CPUs like 0,2-3 or all")


__all__ = ["Limits", "ENFORCED", "UNENFORCED", "PERIOD_US", "cgroup_writes", "unenforced", "validate_cpumask"]
