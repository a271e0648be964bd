# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _limits as limits
from ansible_collections.vzkit.vz.plugins.module_utils._container._apply import unenforced_keys
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError
from ansible_collections.vzkit.vz.plugins.module_utils._samples import VPS_BASIC
from ansible_collections.vzkit.vz.plugins.module_utils._layouts import layout_class
from ansible_collections.vzkit.vz.plugins.module_utils._config import ConfFile

M = 1024 ** 2
G = 1024 ** 3
V1_UNLIMITED = str(2 ** 63 - 4096)


@pytest.mark.parametrize("items, expected", [
    ({}, limits.Limits()),
    ({"PHYSPAGES": "0:131072"}, limits.Limits(ram=512 * M)),                      # pages
    ({"PHYSPAGES": "65536:131072"}, limits.Limits(ram=512 * M, ram_high=256 * M)),  # barrier throttles
    ({"PHYSPAGES": "0:512M", "SWAPPAGES": "0:1G"}, limits.Limits(ram=512 * M, swap=G)),
    ({"PHYSPAGES": "0:2147483647"}, limits.Limits()),                              # old "unlimited"
    ({"PHYSPAGES": "0:9223372036854775807"}, limits.Limits()),                     # LONG_MAX
    ({"PHYSPAGES": "0:unlimited"}, limits.Limits()),
    ({"RAM": "1G", "PHYSPAGES": "0:512M"}, limits.Limits(ram=G)),                  # RAM wins
    ({"SWAP": "0"}, limits.Limits(swap=0)),
    ({"NUMPROC": "65:65"}, limits.Limits(numproc=65)),
    ({"CPULIMIT": "50"}, limits.Limits(cpu_quota_us=50000)),
    ({"CPUS": "2"}, limits.Limits(cpu_quota_us=200000)),
    ({"CPUS": "2", "CPULIMIT": "150"}, limits.Limits(cpu_quota_us=150000)),        # the lower cap wins
    ({"CPUS": "1", "CPULIMIT": "150"}, limits.Limits(cpu_quota_us=100000)),
    ({"CPUUNITS": "1000", "CPUMASK": "0-1"}, limits.Limits(cpuunits=1000, cpumask="0-1")),
    ({"IOLIMIT": "10M", "IOPSLIMIT": "500", "IOPRIO": "7"}, limits.Limits(iolimit=10 * M, iopslimit=500, ioprio=7)),
])
def test_limits_from_conf(items, expected):
    assert limits.Limits.from_conf(items) == expected


def test_vps_basic_maps_what_has_an_equivalent_and_reports_the_rest():
    items = ConfFile.parse(VPS_BASIC).items()
    lim = limits.Limits.from_conf(items)
    assert (lim.numproc, lim.cpuunits, lim.ram) == (65, 1000, None)  # PHYSPAGES 0:2147483647 is unlimited
    assert set(limits.unenforced(items)) == {
        "AVNUMPROC", "NUMTCPSOCK", "NUMOTHERSOCK", "VMGUARPAGES", "KMEMSIZE", "TCPSNDBUF", "TCPRCVBUF", "OTHERSOCKBUF",
        "DGRAMRCVBUF", "OOMGUARPAGES", "LOCKEDPAGES", "SHMPAGES", "PRIVVMPAGES", "NUMFILE", "NUMFLOCK", "NUMPTY",
        "NUMSIGINFO", "DCACHESIZE", "NUMIPTENT", "DISKSPACE", "DISKINODES", "QUOTATIME"}
    assert not set(limits.unenforced(items)) & set(limits.ENFORCED)


def test_v1_writes():
    lim = limits.Limits(ram=512 * M, ram_high=256 * M, swap=256 * M, numproc=65, cpuunits=2000, cpu_quota_us=50000,
                        cpumask="0", iolimit=10 * M, iopslimit=100, ioprio=4)
    assert limits.cgroup_writes(lim, 1, device="7:0", cpus_all="0-1") == [
        ("memory", "memory.soft_limit_in_bytes", str(256 * M)),
        ("memory", "memory.limit_in_bytes", str(512 * M)),
        ("memory", "memory.memsw.limit_in_bytes", str(768 * M)),
        ("pids", "pids.max", "65"),
        ("cpu", "cpu.shares", "2048"),
        ("cpu", "cpu.cfs_period_us", "100000"),
        ("cpu", "cpu.cfs_quota_us", "50000"),
        ("cpuset", "cpuset.cpus", "0"),
        ("blkio", "blkio.throttle.write_bps_device", "7:0 %d" % (10 * M)),
        ("blkio", "blkio.throttle.read_bps_device", "7:0 %d" % (10 * M)),
        ("blkio", "blkio.throttle.write_iops_device", "7:0 100"),
        ("blkio", "blkio.throttle.read_iops_device", "7:0 100"),
        ("blkio", "blkio.bfq.weight", "500"),
    ]


def test_v1_no_limits_write_the_no_limit_values():
    assert limits.cgroup_writes(limits.Limits(), 1, cpus_all="0-3") == [
        ("memory", "memory.soft_limit_in_bytes", V1_UNLIMITED),
        ("memory", "memory.limit_in_bytes", V1_UNLIMITED),
        ("memory", "memory.memsw.limit_in_bytes", V1_UNLIMITED),
        ("pids", "pids.max", "max"),
        ("cpu", "cpu.shares", "1024"),
        ("cpu", "cpu.cfs_period_us", "100000"),
        ("cpu", "cpu.cfs_quota_us", "-1"),
        ("cpuset", "cpuset.cpus", "0-3"),
    ]


def test_v2_writes():
    lim = limits.Limits(ram=512 * M, ram_high=256 * M, swap=0, numproc=65, cpuunits=2000, cpu_quota_us=150000,
                        cpumask="1", iolimit=10 * M, iopslimit=100, ioprio=7)
    assert limits.cgroup_writes(lim, 2, device="254:0", cpus_all="0-1") == [
        ("memory", "memory.high", str(256 * M)),
        ("memory", "memory.max", str(512 * M)),
        ("memory", "memory.swap.max", "0"),
        ("pids", "pids.max", "65"),
        ("cpu", "cpu.weight", "200"),
        ("cpu", "cpu.max", "150000 100000"),
        ("cpuset", "cpuset.cpus", "1"),
        ("io", "io.max", "254:0 rbps=%d wbps=%d riops=100 wiops=100" % (10 * M, 10 * M)),
        ("io", "io.weight", "default 160"),
    ]


def test_v2_no_limits():
    assert limits.cgroup_writes(limits.Limits(), 2, device="8:0", cpus_all="0-1") == [
        ("memory", "memory.high", "max"), ("memory", "memory.max", "max"), ("memory", "memory.swap.max", "max"),
        ("pids", "pids.max", "max"), ("cpu", "cpu.weight", "100"), ("cpu", "cpu.max", "max 100000"),
        ("cpuset", "cpuset.cpus", "0-1"), ("io", "io.max", "8:0 rbps=max wbps=max riops=max wiops=max")]


@pytest.mark.parametrize("cpuunits, shares, weight", [(None, 1024, 100), (1000, 1024, 100), (8, 8, 1),
                                                      (500000, 262144, 10000), (250, 256, 25)])
def test_cpuunits_scale(cpuunits, shares, weight):
    assert limits._shares(cpuunits) == shares
    assert limits._weight(cpuunits) == weight


@pytest.mark.parametrize("ioprio, v1, v2", [(0, 100, 20), (4, 500, 100), (7, 800, 160)])
def test_ioprio_scale(ioprio, v1, v2):
    assert limits._io_weight(ioprio, 1000) == v1
    assert limits._io_weight(ioprio, 10000) == v2


@pytest.mark.parametrize("mask", ["0", "0-3", "0,2,4-7", "all"])
def test_good_cpumasks(mask):
    limits.validate_cpumask(mask)


@pytest.mark.parametrize("mask", ["", "0-", "a", "1;2", "0,,1", "-1"])
def test_bad_cpumasks(mask):
    with pytest.raises(VzConfigError) as err:
        limits.validate_cpumask(mask)
    assert err.value.details["param"] == "cpumask"


class _Layout:
    """What unenforced_keys asks of a layout: its name, and whether it enforces DISKSPACE for these items."""

    def __init__(self, name, enforces):
        self.name, self._enforces = name, enforces
        self.capabilities = layout_class(name).capabilities

    def enforces_diskspace(self, items):
        return self._enforces


@pytest.mark.parametrize("name, enforces, dropped", [
    ("zvol", True, {"DISKSPACE"}), ("zfs", True, {"DISKSPACE"}), ("simfs", True, {"DISKSPACE", "DISKINODES"}),
    ("simfs", False, set()), ("zfs", False, set()),
])
def test_the_disk_quota_a_layout_enforces_is_not_reported_unenforced(name, enforces, dropped):
    items = ConfFile.parse(VPS_BASIC).items()
    keys = unenforced_keys(_Layout(name, enforces), items)
    assert set(limits.unenforced(items)) - set(keys) == dropped
    assert "QUOTATIME" in keys
