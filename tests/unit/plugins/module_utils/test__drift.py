# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _drift as drift


def test_record_round_trip_and_no_drift(tmp_path):
    limit = tmp_path / "pids.max"
    limit.write_text("100\n")
    drift.write_record(str(tmp_path / "run"), {str(limit): "100"})
    assert drift.read_record(str(tmp_path / "run")) == {str(limit): "100"}
    assert drift.observe(str(tmp_path / "run")) == ()


def test_a_raised_limit_is_drift(tmp_path):
    limit = tmp_path / "pids.max"
    drift.write_record(str(tmp_path), {str(limit): "100"})
    limit.write_text("max\n")
    assert drift.observe(str(tmp_path)) == ((str(limit), "100", "max"),)


def test_a_removed_file_is_drift(tmp_path):
    drift.write_record(str(tmp_path), {str(tmp_path / "gone"): "100"})
    assert drift.observe(str(tmp_path)) == ((str(tmp_path / "gone"), "100", None),)


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", json.dumps({"a": 1})])
def test_a_bad_record_is_no_record(tmp_path, text):
    (tmp_path / drift.RECORD).write_text(text)
    assert drift.observe(str(tmp_path)) == ()


def test_no_record_no_drift(tmp_path):
    assert drift.observe(str(tmp_path / "missing")) == ()
