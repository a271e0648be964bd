# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which project id a simfs container gets."""
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._fsquota import _projid as projids


@pytest.mark.parametrize("ctid, taken, projid", [
    ("101", set(), 101),                       # vzquota's convention: the ctid
    ("101", {101}, projids.PROJID_BASE),
    ("web", set(), projids.PROJID_BASE),
    ("web", {projids.PROJID_BASE, projids.PROJID_BASE + 1}, projids.PROJID_BASE + 2),
    ("0", set(), projids.PROJID_BASE),             # 0 is the default project: never a container's
    ("4294967295", set(), projids.PROJID_BASE),    # INVALID_PROJID
    ("4294967294", set(), 4294967294),
])
def test_choose_projid(ctid, taken, projid):
    assert projids.choose_projid(ctid, taken) == projid


def test_etc_projid():
    text = "# comment\nlogs:42\nweb:100001\nbad line\n:7\nspaced : 9\n"
    assert projids.parse_etc_projid(text) == {42, 100001, 9}


def test_recorded_ids_skip_the_container_itself(tmp_path):
    (tmp_path / "101.conf").write_text('DISK_PROJID="101"\n')
    (tmp_path / "102.conf").write_text('DISK_PROJID="100000"\nDISKSPACE="1G"\n')
    (tmp_path / "103.conf").write_text('DISKSPACE="1G"\n')
    (tmp_path / "ve-vps.basic.conf-sample").write_text('DISK_PROJID="5"\n')
    assert projids.recorded(str(tmp_path), skip="101") == {100000}
    assert projids.recorded(str(tmp_path), skip="104") == {101, 100000}
    assert projids.recorded(str(tmp_path / "missing"), skip="101") == set()
