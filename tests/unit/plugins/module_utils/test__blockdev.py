# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The zvol layout's disk: argv compared to exact lists, size rules and fsck results. This machine has no
zvols (zfs-fuse makes none); the VM scenario runs these commands for real."""
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _blockdev as bd
from ansible_collections.vzkit.vz.plugins.module_utils import _zfs

M, G = 1024 ** 2, 1024 ** 3
DEV = "/dev/zvol/tank/vz/101"
PART = DEV + "-part1"


def test_partition_script_is_one_linux_partition_on_gpt():
    assert bd.partition_script() == "label: gpt\n,,L\n"
    assert bd.partition_argv("/sbin/sfdisk", DEV) == ["/sbin/sfdisk", "--quiet", "--wipe", "always",
                                                      "--wipe-partitions", "always", DEV]


def test_grow_steps():
    assert bd.relocate_gpt_argv("sfdisk", DEV) == ["sfdisk", "--quiet", "--relocate", "gpt-bak-std", DEV]
    assert bd.resize_partition_argv("sfdisk", DEV) == ["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", "--force",
                                                       "-N", "1", DEV]
    assert bd.partx_update_argv("partx", DEV) == ["partx", "--update", "--nr", "1", DEV]
    assert bd.grow_fs_argv({"resize2fs": "resize2fs"}, "ext4", PART, "/vz/private/101") == ["resize2fs", PART]
    assert bd.grow_fs_argv({"xfs_growfs": "xfs_growfs"}, "xfs", PART, "/vz/private/101") == [
        "xfs_growfs", "-d", "/vz/private/101"]


def test_mkfs_is_ploop_like_with_quota():
    assert bd.mkfs_argv("mkfs.ext4", "ext4", PART) == [
        "mkfs.ext4", "-q", "-F", "-b", "4096", "-O", "quota", "-J", "size=128",
        "-E", "lazy_itable_init=1,resize=4294967295,quotatype=usrquota:grpquota", PART]
    assert bd.mkfs_argv("mkfs.xfs", "xfs", PART) == ["mkfs.xfs", "-q", "-f", PART]


@pytest.mark.parametrize("fs, clone, options", [
    ("ext4", False, "usrquota,grpquota"), ("ext4", True, "usrquota,grpquota"),
    ("xfs", False, "uquota,gquota"), ("xfs", True, "uquota,gquota,nouuid"),
])
def test_mount_options(fs, clone, options):
    assert bd.mount_options(fs, clone=clone) == options


def test_shrink_and_fsck_argv():
    assert bd.shrink_fs_argv("resize2fs", PART, 1022 * M) == ["resize2fs", PART, "1046528K"]
    bins = {"e2fsck": "e2fsck", "xfs_repair": "xfs_repair"}
    assert bd.fsck_argv(bins, "ext4", PART) == ["e2fsck", "-p", PART]
    assert bd.fsck_argv(bins, "ext4", PART, force=True) == ["e2fsck", "-f", "-y", PART]
    assert bd.fsck_argv(bins, "xfs", PART) == ["xfs_repair", PART]  # never -L: the log is replayed by mounting


@pytest.mark.parametrize("rc, usable, words", [
    (0, True, "clean"), (1, True, "errors corrected"), (3, True, "errors corrected, errors corrected, reboot advised"),
    (4, False, "errors left uncorrected"), (8, False, "operational error"), (12, False, "errors left uncorrected, operational error"),
])
def test_e2fsck_result(rc, usable, words):
    assert bd.e2fsck_result(rc) == (usable, words)


@pytest.mark.parametrize("fs, new, used, running, why, hint", [
    ("xfs", 1 * G, 10 * M, False, "xfs cannot be shrunk, only grown", "copy the container to a new, smaller one"),
    ("ext4", 1 * G, 10 * M, True, "an ext4 filesystem shrinks only offline", "stop the container (state: stopped)"),
    # 950M + a 95M margin does not fit in 1022M; the least size that does is 950M + 95M + the GPT's 2M
    ("ext4", 1 * G, 950 * M, False, "950M are in use, and the filesystem needs 95M more of room",
     "free space inside first, or give at least 1047M"),
    ("ext4", 512 * M, 600 * M + 5, False, "601M are in use, and the filesystem needs 64M more of room", "at least 667M"),
])
def test_check_shrink_refusals_say_why_and_what_to_do(fs, new, used, running, why, hint):
    got_why, got_hint = bd.check_shrink(fs, new, used, running=running)
    assert got_why == why
    assert hint in got_hint


@pytest.mark.parametrize("new, used", [(1 * G, 500 * M), (1047 * M, 950 * M)])
def test_check_shrink_allows_a_size_that_leaves_room(new, used):
    assert bd.check_shrink("ext4", new, used, running=False) is None


def test_partition_bytes_leave_room_for_the_gpt():
    assert bd.partition_bytes(1 * G) == 1 * G - 2 * M


def test_volume_create_argv():
    assert _zfs.volume_create_argv("zfs", "tank/vz/.101.vzkit-partial", G, {"vzkit:ctid": "101", "volmode": "full"},
                                   sparse=True, volblocksize=16384) == [
        "zfs", "create", "-s", "-b", "16384", "-o", "volmode=full", "-o", "vzkit:ctid=101", "-V", str(G),
        "tank/vz/.101.vzkit-partial"]
    assert _zfs.volume_create_argv("zfs", "tank/v", G, {}) == ["zfs", "create", "-V", str(G), "tank/v"]


def test_shrink_rewrites_the_table_for_the_smaller_disk():
    assert bd.rewrite_table_argv("sfdisk", DEV) == ["sfdisk", "--quiet", "--wipe", "never", "--wipe-partitions", "never", DEV]
    assert bd.single_partition_script(1022 * M) == "label: gpt\nstart=1MiB, size=1046528KiB, type=L\n"


def test_used_bytes_from_dumpe2fs():
    text = "Filesystem volume name:   <none>\nBlock count:              261632\nFree blocks:              200000\nBlock size:               4096\n"
    assert bd.parse_dumpe2fs_used(text) == (261632 - 200000) * 4096
    assert bd.parse_dumpe2fs_used("garbage") is None
