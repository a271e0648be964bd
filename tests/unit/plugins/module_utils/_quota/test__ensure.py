# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vz_quota's and vz_zvol's entries, through the converge step, on a simfs container in a tree of its own:
a filesystem without project quota gives usage only, and vz_zvol refuses a container of another layout."""
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError, VzStateError, VzUnsupported
from ansible_collections.vzkit.vz.plugins.module_utils._host import Host
from ansible_collections.vzkit.vz.plugins.module_utils._quota._ensure import ensure
from ansible_collections.vzkit.vz.plugins.module_utils._quota._request import QuotaSpec
from ansible_collections.vzkit.vz.plugins.module_utils._zvol import ZvolSpec, ensure as ensure_zvol


@pytest.fixture(name="vz_conf")
def fixture_vz_conf(tmp_path):
    """A simfs container 101 whose private area holds 3 files of 4 KiB, on vz.conf of its own."""
    (tmp_path / "conf").mkdir()
    (tmp_path / "vz.conf").write_text('VE_PRIVATE="%s/private/$VEID"\nVE_ROOT="%s/root/$VEID"\nLOCKDIR="%s/lock"\n'
                                      % (tmp_path, tmp_path, tmp_path))
    (tmp_path / "conf" / "101.conf").write_text('VE_LAYOUT="simfs"\nOSTEMPLATE="busybox"\n')
    for name in "abc":
        (tmp_path / "private" / "101").mkdir(parents=True, exist_ok=True)
        (tmp_path / "private" / "101" / name).write_bytes(b"x" * 4096)
    return str(tmp_path / "vz.conf")


@pytest.mark.parametrize("check_mode", [False, True])
def test_usage_only_where_the_filesystem_keeps_no_project_quota(vz_conf, check_mode):
    out = ensure(QuotaSpec.from_params({"ctid": "101", "vz_conf": vz_conf}), Host(check_mode=check_mode), diff=True)
    if out["quota"]["diskinodes"]["enforced"] is not False:
        pytest.skip("this filesystem keeps project quota")
    assert (out["changed"], out["actions"]) == (False, [])
    assert "diff" not in out  # nothing to compare: no diff rather than an empty one
    quota = out["quota"]
    assert quota["ctid"] == "101" and quota["layout"] == "simfs" and quota["diskspace"] is None
    assert quota["used"] >= 3 * 4096
    assert "project quota" in quota["diskinodes"]["reason"] or "prjquota" in quota["diskinodes"]["reason"]


def test_a_quota_asked_where_none_can_be_kept_is_refused(vz_conf):
    with pytest.raises(VzUnsupported) as exc:
        ensure(QuotaSpec.from_params({"ctid": "101", "vz_conf": vz_conf, "diskspace": "1G"}), Host())
    assert exc.value.details["param"] == "diskspace"


def test_a_missing_container(vz_conf):
    with pytest.raises(VzStateError) as exc:
        ensure(QuotaSpec.from_params({"ctid": "102", "vz_conf": vz_conf}), Host())
    assert exc.value.details["param"] == "ctid" and "does not exist" in str(exc.value)


def test_vz_zvol_refuses_another_layout(vz_conf):
    with pytest.raises(VzConfigError) as exc:
        ensure_zvol(ZvolSpec.from_params({"ctid": "101", "vz_conf": vz_conf, "size": "20G"}), Host())
    assert str(exc.value).startswith("`ctid`: container 101 has layout simfs, not zvol")
