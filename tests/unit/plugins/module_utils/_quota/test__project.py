# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""simfs quota: limits from the config, compared as the kernel keeps them."""
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._layouts._simfs import wanted_limits
from ansible_collections.vzkit.vz.plugins.module_utils._quota._project import describe_limits, normalize

K, M, G = 1024, 1024 ** 2, 1024 ** 3


@pytest.mark.parametrize("items, want", [
    ({}, (None, None, None, None)),
    ({"DISKSPACE": "10G"}, (10 * G, 10 * G, None, None)),
    ({"DISKSPACE": "9437184:10485760", "DISKINODES": "200000:220000"}, (9 * G, 10 * G, 200000, 220000)),
    ({"DISKSPACE": "unlimited:unlimited", "DISKINODES": "1000"}, (None, None, 1000, 1000)),
])
def test_wanted_limits_from_the_config(items, want):
    assert wanted_limits(items) == want


def test_normalize_compares_as_the_kernel_keeps_them():
    assert normalize((1000, 1025, 0, 5)) == (1024, 2048, None, 5)
    assert normalize((None, None, None, None)) == (None, None, None, None)
    assert describe_limits((9 * G, 10 * G, None, 1000)) == "blocks 9G:10G, inodes unlimited:1000"
