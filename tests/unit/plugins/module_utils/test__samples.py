# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _samples as samples
from ansible_collections.vzkit.vz.plugins.module_utils._config import ConfFile, validate_value
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def openvz_sample() -> str:
    with open(os.path.join(FIXTURES, "ve-vps.basic.conf-sample"), encoding="utf-8") as fh:
        return fh.read()


def test_sample_path():
    assert samples.sample_path("/etc/vz/conf", "vps.basic") == "/etc/vz/conf/ve-vps.basic.conf-sample"


def test_builtin_vps_basic(tmp_path):
    conf = ConfFile.parse(samples.load_sample(str(tmp_path), "vps.basic"))
    assert conf.get("NUMPROC") == "65:65"
    assert conf.get("ONBOOT") == "no"
    assert conf.get("DISKSPACE") == "1048576:1153434"


def test_builtin_vps_basic_matches_openvz_value_for_value(tmp_path):
    builtin = ConfFile.parse(samples.load_sample(str(tmp_path), "vps.basic")).items()
    assert builtin == ConfFile.parse(openvz_sample()).items()


@pytest.mark.parametrize("name", sorted(samples.BUILTIN))
def test_builtin_values_are_valid(name):
    items = ConfFile.parse(samples.BUILTIN[name]).items()
    assert items
    for key, value in items.items():
        validate_value(key, value)


def test_builtin_unlimited(tmp_path):
    assert ConfFile.parse(samples.load_sample(str(tmp_path), "unlimited")).items() == {"ONBOOT": "no"}


def test_file_in_conf_dir_wins_over_builtin(tmp_path):
    local = openvz_sample().replace('NUMPROC="65:65"', 'NUMPROC="200:200"')
    (tmp_path / "ve-vps.basic.conf-sample").write_text(local)
    text = samples.load_sample(str(tmp_path), "vps.basic")
    assert text == local
    assert ConfFile.parse(text).get("NUMPROC") == "200:200"


def test_sample_only_in_conf_dir(tmp_path):
    (tmp_path / "ve-vswap-256m.conf-sample").write_text('PHYSPAGES="0:65536"\nSWAPPAGES="0:65536"\n')
    assert samples.load_sample(str(tmp_path), "vswap-256m") == 'PHYSPAGES="0:65536"\nSWAPPAGES="0:65536"\n'


@pytest.mark.parametrize("make_dir", [True, False])
def test_unknown_sample(tmp_path, make_dir):
    conf_dir = tmp_path / "conf"
    if make_dir:
        conf_dir.mkdir()
    with pytest.raises(VzConfigError) as exc:
        samples.load_sample(str(conf_dir), "vswap-512m")
    err = exc.value
    assert err.details["param"] == "config_sample"
    assert err.details["hint"] == "create that file, or use a built-in sample: unlimited, vps.basic"
    assert "config sample 'vswap-512m' not found (%s/ve-vswap-512m.conf-sample)" % conf_dir in str(err)


@pytest.mark.parametrize("name", ["", None, "../vps.basic", "a/b", ".hidden", "vps basic", "-x"])
def test_bad_sample_names(tmp_path, name):
    with pytest.raises(VzConfigError) as exc:
        samples.load_sample(str(tmp_path), name)
    assert exc.value.details["param"] == "config_sample"
    assert "is not a sample name" in str(exc.value)
