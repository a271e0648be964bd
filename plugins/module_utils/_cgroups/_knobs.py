# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The limit files of a container's cgroups: what is written where, read back, and the usage figures.

Private to vzkit.vz; may change in any release. ``_limits`` maps OpenVZ's keys to (controller, file,
value); this file places those writes on each hierarchy (the flat v1 throttles on the payload too), orders
them as the kernel demands, and reads the figures back.
"""
from __future__ import annotations

import os

from .. import _limits as lim
from .._errors import VzStateError
from ._hierarchy import Hierarchy, read

PAYLOAD = "payload"
# v1 blkio throttling is flat, not hierarchical: a limit on CTID does not hold its payload's processes,
# so the throttle files are written on the payload too, and given to an id no user namespace of vzkit's
# maps (the identity map stops one short of it, see _confine.IdMap): no container root may write them.
V1_FLAT = ("blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device",
           "blkio.throttle.write_iops_device")
UNMAPPED_ID = 4294967294


def limit_writes(hierarchies, parent: str, ctid: str, limits, device) -> list:
    """(cgroup path, [(controller, file, value)]) per hierarchy: what ``Cgroups.apply_limits`` writes."""
    out = []
    for h in hierarchies:
        path = os.path.join(h.path, parent, ctid)
        cpus_all = read(os.path.join(h.path, parent, "cpuset.cpus")).strip() or read(
            os.path.join(h.path, "cpuset.cpus.effective")).strip()
        todo = [w for w in lim.cgroup_writes(limits, h.version, device=device, cpus_all=cpus_all)
                if h.version == 2 or w[0] in h.controllers]
        if h.version == 2:
            todo = [w for w in todo if os.path.exists(os.path.join(path, w[1]))]
        elif os.path.isdir(os.path.join(path, PAYLOAD)):
            todo += [(c, os.path.join(PAYLOAD, name), v) for c, name, v in todo if name in V1_FLAT]
        out.append((path, todo))
    return out


def write_all(path: str, writes) -> list:
    """Write each (controller, file, value); a failed write is retried once after the others,
    because the v1 memory files must move in an order that depends on raising or lowering."""
    failed, missing = [], []
    for attempt in (1, 2):
        for controller, name, value in (writes if attempt == 1 else failed):
            target = os.path.join(path, name)
            if not os.path.exists(target):
                if not means_no_limit(value):  # only a limit that is asked for and cannot be set matters
                    missing.append("%s (%s controller file missing)" % (name, controller))
                continue
            try:
                with open(target, "w", encoding="ascii") as fh:
                    fh.write(value)
            except OSError as exc:
                if attempt == 2:
                    raise VzStateError("cannot set %s to %s: %s" % (target, value, exc.strerror),
                                       hint="a lower limit than the container uses now is refused by the kernel for some controllers")
                failed.append((controller, name, value))
        if not failed:
            break
    return sorted(set(missing))


def with_v1_payload_cpuset(path: str, writes) -> list:
    """A v1 cpuset child must stay within its parent's CPUs, and the kernel refuses a parent change that
    leaves a child outside (EBUSY): widen the parent to both sets, move the payload, then narrow."""
    payload = os.path.join(path, PAYLOAD)
    if not os.path.exists(os.path.join(payload, "cpuset.cpus")):
        return writes
    out = []
    for controller, name, value in writes:
        if name == "cpuset.cpus" and os.path.exists(os.path.join(path, "cpuset.cpus")):
            both = cpu_list(read(os.path.join(path, "cpuset.cpus"))) | cpu_list(value)
            out += [(controller, name, ",".join(str(c) for c in sorted(both))),
                    (controller, os.path.join(PAYLOAD, name), value)]
        out.append((controller, name, value))
    return out


def cpu_list(text: str) -> set:
    """The CPUs of a kernel CPU list ("0-2,5"), as numbers."""
    out = set()
    for part in text.strip().split(","):
        if part:
            first, _sep, last = part.partition("-")
            out.update(range(int(first), int(last or first) + 1))
    return out


def means_no_limit(value: str) -> bool:
    return value.split()[-1] in ("max", "-1", "0", str(2 ** 63 - 4096))


def _number(text: str):
    text = text.strip()
    return int(text) if text.isdigit() else None


def usage_of(path: str, h: Hierarchy) -> dict:
    if h.version == 1:
        mem = _number(read(os.path.join(path, "memory.usage_in_bytes")))
        memsw = _number(read(os.path.join(path, "memory.memsw.usage_in_bytes")))
        cpu = _number(read(os.path.join(path, "cpuacct.usage")))
        return {"memory": mem, "swap": (memsw - mem) if mem is not None and memsw is not None else None,
                "pids": _number(read(os.path.join(path, "pids.current"))),
                "cpu_seconds": round(cpu / 1e9, 3) if cpu is not None else None}
    stat = dict(line.split() for line in read(os.path.join(path, "cpu.stat")).splitlines() if len(line.split()) == 2)
    usec = _number(stat.get("usage_usec", ""))
    return {"memory": _number(read(os.path.join(path, "memory.current"))),
            "swap": _number(read(os.path.join(path, "memory.swap.current"))),
            "pids": _number(read(os.path.join(path, "pids.current"))),
            "cpu_seconds": round(usec / 1e6, 3) if usec is not None else None}


def block_device_of(path: str, sysfs: str = "/sys"):
    """"MAJ:MIN" of the whole disk holding path (I/O throttling needs a disk, not a partition), or None."""
    st = os.stat(path)
    dev = "%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev))
    node = os.path.join(sysfs, "dev", "block", dev)
    if not os.path.exists(node):
        return None  # no block device (btrfs subvolume, ZFS, tmpfs, overlay): nothing to throttle
    if os.path.exists(os.path.join(node, "partition")):
        return read(os.path.join(os.path.realpath(node), "..", "dev")).strip() or None
    return dev


__all__ = ["PAYLOAD", "V1_FLAT", "UNMAPPED_ID", "limit_writes", "write_all", "with_v1_payload_cpuset", "cpu_list",
           "means_no_limit", "usage_of", "block_device_of"]
