# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Project ids on files: struct fsxattr and the ioctl numbers against the kernel headers' own bytes.
Tagging a tree runs on ext4 and xfs (integration target vz_quota, VM scenario)."""
from __future__ import annotations

from ansible_collections.vzkit.vz.tests.unit.plugins.module_utils._kernel_headers import KERNEL
from ansible_collections.vzkit.vz.plugins.module_utils._fsquota import _tags as tags


def test_fsxattr_layout_matches_the_kernel():
    raw = bytes.fromhex(KERNEL["fsxattr"])
    assert tags.FSXATTR.pack(tags.FS_XFLAG_PROJINHERIT | 0x80000000, 0, 3, 100123, 0) == raw


def test_ioctl_numbers():
    assert tags.FS_IOC_FSGETXATTR == int(KERNEL["FS_IOC_FSGETXATTR"], 16)
    assert tags.FS_IOC_FSSETXATTR == int(KERNEL["FS_IOC_FSSETXATTR"], 16)
