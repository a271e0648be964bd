# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""zvol options as CTID.conf keys, and the volume a config asks for."""
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._layouts._zvol import VolumeSpec, round_size
from ansible_collections.vzkit.vz.plugins.module_utils._spec import ContainerSpec, zvol_keys
from ansible_collections.vzkit.vz.tests.unit.plugins.module_utils._assert import refused

M, G = 1024 ** 2, 1024 ** 3


def test_zvol_option_as_config_keys():
    assert zvol_keys({"size": "1G", "volblocksize": "16384", "sparse": True, "fs": "xfs", "compression": "lz4"}) == {
        "DISKSPACE": "1G:1G", "ZVOL_BLOCKSIZE": "16K", "ZVOL_SPARSE": "yes", "ZVOL_FS": "xfs", "ZVOL_COMPRESSION": "lz4"}
    assert zvol_keys({"size": None, "sparse": False}) == {"ZVOL_SPARSE": "no"}
    assert zvol_keys(None) == {}


@pytest.mark.parametrize("z, param", [
    ({"size": "10Q"}, "zvol.size"), ({"size": "0"}, "zvol.size"), ({"volblocksize": "3K"}, "zvol.volblocksize"),
    ({"volblocksize": "1M"}, "zvol.volblocksize"), ({"fs": "btrfs"}, "zvol.fs"), ({"compression": "brotli"}, "zvol.compression"),
])
def test_bad_zvol_options_name_the_option(z, param):
    refused(param, zvol_keys, z)


def test_vz_zvol_options_are_named_without_prefix():
    refused("volblocksize", zvol_keys, {"volblocksize": "3K"}, prefix="")


def test_size_and_diskspace_must_agree():
    refused("zvol.size", ContainerSpec.from_params, {"ctid": "101", "zvol": {"size": "1G"}, "config": {"DISKSPACE": "2G"}})
    spec = ContainerSpec.from_params({"ctid": "101", "zvol": {"size": "1G"}, "config": {"DISKSPACE": "1G:1G"}})
    assert spec.zvol == {"DISKSPACE": "1G:1G"}


def test_zvol_keys_are_not_raw_config():
    refused("config.ZVOL_BLOCKSIZE", ContainerSpec.from_params, {"ctid": "101", "config": {"ZVOL_BLOCKSIZE": "8K"}})


@pytest.mark.parametrize("items, spec", [
    ({"DISKSPACE": "1G:1G"}, VolumeSpec(size=G)),
    ({"DISKSPACE": "1048577"}, VolumeSpec(size=1 * G + M)),  # 1K blocks, rounded up to whole MiB
    ({"DISKSPACE": "900M:1G", "ZVOL_BLOCKSIZE": "8K", "ZVOL_SPARSE": "no", "ZVOL_FS": "xfs", "ZVOL_COMPRESSION": "zstd"},
     VolumeSpec(size=G, volblocksize=8192, sparse=False, fs="xfs", compression="zstd")),
])
def test_volume_from_config(items, spec):
    assert VolumeSpec.from_items(items) == spec


@pytest.mark.parametrize("items, param", [
    ({}, "zvol.size"), ({"DISKSPACE": "unlimited"}, "zvol.size"), ({"DISKSPACE": "511M"}, "zvol.size"),
    ({"DISKSPACE": "1G", "ZVOL_BLOCKSIZE": "2K"}, "zvol.volblocksize"), ({"DISKSPACE": "1G", "ZVOL_FS": "ntfs"}, "zvol.fs"),
])
def test_volume_refused(items, param):
    refused(param, VolumeSpec.from_items, items)


def test_round_size():
    assert round_size(1) == M
    assert round_size(G) == G
    assert round_size(G + 1) == G + M
