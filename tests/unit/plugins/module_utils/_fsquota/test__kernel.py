# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""quotactl: struct layouts against the kernel headers' own bytes, limits in whole KiB blocks, and the
messages that name what a filesystem lacks. The calls themselves run on ext4 and xfs in the VM scenario."""
from __future__ import annotations

import os

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzUnsupported
from ansible_collections.vzkit.vz.plugins.module_utils._mounts import parse_mountinfo
from ansible_collections.vzkit.vz.tests.unit.plugins.module_utils._kernel_headers import KERNEL
from ansible_collections.vzkit.vz.plugins.module_utils._fsquota import _kernel as pq

K, M, G = 1024, 1024 ** 2, 1024 ** 3


# ---- the structs, byte for byte as the kernel lays them out ---------------------------------------

def test_dqblk_layout_matches_the_kernel():
    raw = bytes.fromhex(KERNEL["if_dqblk"])
    assert len(raw) == pq.DQBLK.size == 72
    assert pq.DQBLK.pack(10485760, 9437184, 123456789, 200000, 150000, 4242, 1790000000, 1790000001, 63) == raw
    d = pq.unpack_dqblk(raw)
    assert d == pq.Dquot(block_soft=9437184 * K, block_hard=10485760 * K, space=123456789, inode_soft=150000,
                         inode_hard=200000, inodes=4242, block_grace_ends=1790000000, inode_grace_ends=1790000001)
    assert d.limits() == (9437184 * K, 10485760 * K, 150000, 200000)


def test_nextdqblk_carries_the_id_in_the_padding():
    raw = bytes.fromhex(KERNEL["if_nextdqblk"])
    assert len(raw) == pq.NEXTDQBLK.size == 72
    assert pq.NEXTDQBLK.unpack(raw)[9] == 100123
    assert pq.unpack_dqblk(raw).block_hard == 2048 * K


def test_dqinfo_layout_matches_the_kernel():
    raw = bytes.fromhex(KERNEL["if_dqinfo"])
    assert pq.pack_grace(604800, 86400) == raw
    assert pq.unpack_grace(raw) == (604800, 86400)


def test_qstat_flags_read_from_offset_2():
    raw = bytes.fromhex(KERNEL["fs_quota_stat"])
    assert len(raw) == pq.QSTAT_SIZE
    assert pq.qstat_flags(raw) == 0x31


@pytest.mark.parametrize("cmd, kind, name", [
    (pq.Q_GETQUOTA, pq.PRJQUOTA, "QCMD_GETQUOTA_PRJ"), (pq.Q_SETQUOTA, pq.PRJQUOTA, "QCMD_SETQUOTA_PRJ"),
    (pq.Q_GETINFO, pq.PRJQUOTA, "QCMD_GETINFO_PRJ"), (pq.Q_SETINFO, pq.PRJQUOTA, "QCMD_SETINFO_PRJ"),
    (pq.Q_GETNEXTQUOTA, pq.PRJQUOTA, "QCMD_GETNEXTQUOTA_PRJ"), (pq.Q_XGETQSTAT, pq.PRJQUOTA, "QCMD_XGETQSTAT_PRJ"),
    (pq.Q_SETQUOTA, pq.USRQUOTA, "QCMD_SETQUOTA_USR"),
])
def test_command_numbers(cmd, kind, name):
    assert pq.qcmd(cmd, kind) == int(KERNEL[name], 16)


# ---- limits: bytes in, whole KiB blocks to the kernel ----------------------------------------------

@pytest.mark.parametrize("size, blocks", [(None, 0), (0, 0), (1, 1), (1024, 1), (1025, 2), (10 * G, 10 * M)])
def test_to_blocks_rounds_up(size, blocks):
    assert pq.to_blocks(size) == blocks


def test_pack_limits_sets_only_the_limits():
    packed = pq.DQBLK.unpack(pq.pack_limits(9 * G, 10 * G, 900, 1000))
    assert packed == (10 * M, 9 * M, 0, 1000, 900, 0, 0, 0, pq.QIF_LIMITS)
    assert pq.DQBLK.unpack(pq.pack_limits())[-1] == pq.QIF_LIMITS  # all zero: every limit removed


# ---- what a filesystem lacks, named ------------------------------------------------------------------

def state(fstype, flags, quota=True):
    return pq.FsState("/vz/private/101", fstype, "/vz", "/dev/sdb1", quota, flags)


ACCT, ENFD = 0x10, 0x20


@pytest.mark.parametrize("fs, words", [
    (state("ext4", 0, quota=False), ["ext4 at /vz (/dev/sdb1) has no project quota", "mkfs.ext4 -O quota,project",
                                     "tune2fs -O quota,project -Q prjquota /dev/sdb1", "prjquota", "CONFIG_QFMT_V2"]),
    (state("ext4", 0x5), ["has no project quota", "quota,project"]),  # user and group only
    (state("ext4", ACCT), ["counts project quota but does not enforce it", "prjquota", "/etc/fstab"]),
    (state("xfs", 0, quota=False), ["mounted without project quota", "pquota", "rootflags=pquota", "CONFIG_XFS_QUOTA"]),
    (state("xfs", ACCT), ["does not enforce it", "pqnoenforce", "mount it with pquota"]),
    (state("btrfs", 0, quota=False), ["btrfs at /vz", "cannot keep project quota", "ext4", "xfs", "layout zfs"]),
])
def test_missing_names_the_feature_or_option(fs, words):
    text = pq.missing(fs)
    for w in words:
        assert w in text, (w, text)


@pytest.mark.parametrize("fstype", ["ext4", "xfs"])
def test_nothing_missing_when_enforced(fstype):
    assert pq.missing(state(fstype, ACCT | ENFD)) is None
    assert state(fstype, ACCT | ENFD).enforced()
    assert not state(fstype, ENFD).enforced()  # enforcement without accounting is not a state the kernel reports


def test_user_quota_names_its_own_options():
    assert "usrquota" in pq.missing(state("ext4", 0x4), pq.USRQUOTA)
    assert "-O quota " in pq.missing(state("ext4", 0, quota=False), pq.USRQUOTA)
    assert "uquota" in pq.missing(state("xfs", 0), pq.USRQUOTA)
    assert pq.missing(state("ext4", 0x3), pq.USRQUOTA) is None


def test_require_raises_with_param_and_reason():
    with pytest.raises(VzUnsupported) as exc:
        pq.require(state("xfs", 0), pq.PRJQUOTA, feature="disk quota of simfs containers", param="diskspace")
    assert str(exc.value).startswith("`diskspace`: disk quota of simfs containers is not available on this host: xfs at /vz")
    assert exc.value.details["param"] == "diskspace" and exc.value.details["hint"]
    pq.require(state("xfs", ACCT | ENFD), pq.PRJQUOTA, feature="x", param="diskspace")  # no error


MOUNTINFO = """\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
30 22 7:0 / /vz rw,relatime shared:5 - xfs /dev/loop0 rw,prjquota
31 30 7:1 / /vz/private/101/mnt rw - ext4 /dev/loop1 rw
32 22 7:0 /private /srv/vz rw - xfs /dev/loop0 rw,prjquota
"""


@pytest.mark.parametrize("path, dev, mount_point", [
    ("/vz/private/101", os.makedev(7, 0), "/vz"),
    ("/vz", os.makedev(7, 0), "/vz"),
    ("/vz/private/101/mnt/x", os.makedev(7, 1), "/vz/private/101/mnt"),
    ("/srv/vz/101", os.makedev(7, 0), "/srv/vz"),      # the same filesystem bound elsewhere
    ("/etc", os.makedev(254, 0), "/"),
])
def test_mount_of_finds_the_innermost_mount_with_the_device(path, dev, mount_point):
    assert pq.mount_of(parse_mountinfo(MOUNTINFO), path, dev).mount_point == mount_point


def test_mount_of_a_vzprivate_prefix_is_not_a_match():
    assert pq.mount_of(parse_mountinfo(MOUNTINFO), "/vzx/private", os.makedev(7, 0)) is None
