# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vzlist: OpenVZ's columns, -a, -o, -H, -j, on containers read from a vz.conf of the test's own."""
from __future__ import annotations

import io
import json

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._cli import _vzlist as vzlist
from ansible_collections.vzkit.vz.plugins.module_utils._cli._common import FAILED, USAGE, VZ_CONF_ENV
from ansible_collections.vzkit.vz.plugins.module_utils._host import Host


@pytest.fixture(name="vz")
def fixture_vz(tmp_path, monkeypatch):
    """Stopped containers 101 and web (10 after 9: ids sort as numbers first), no running one."""
    (tmp_path / "conf").mkdir()
    (tmp_path / "vz.conf").write_text('VE_PRIVATE="%s/private/$VEID"\nVE_ROOT="%s/root/$VEID"\nVZ_RUN_DIR="%s/run"\n'
                                      % ((tmp_path,) * 3))
    for ctid, text in (("101", 'HOSTNAME="ct101.example"\nIP_ADDRESS="198.51.100.7"\nONBOOT="yes"\n'),
                       ("9", 'HOSTNAME="nine.example"\n'), ("web", 'OSTEMPLATE="busybox"\n')):
        (tmp_path / "conf" / (ctid + ".conf")).write_text(text)
        (tmp_path / "private" / ctid).mkdir(parents=True)
    monkeypatch.setenv(VZ_CONF_ENV, str(tmp_path / "vz.conf"))
    return tmp_path


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    rc = vzlist.main(list(argv), stdout=out, stderr=err, host=Host())
    return rc, out.getvalue(), err.getvalue()


def test_only_running_containers_by_default(vz):
    assert run() == (0, "      CTID      NPROC STATUS    IP_ADDR         HOSTNAME\n", "")


def test_all(vz):
    rc, out, err = run("-a")
    assert (rc, err) == (0, "")
    assert out.splitlines() == [
        "      CTID      NPROC STATUS    IP_ADDR         HOSTNAME",
        "         9          - stopped   -               nine.example",
        "       101          - stopped   198.51.100.7    ct101.example",
        "       web          - stopped   -               -",
    ]


def test_fields_without_header(vz):
    assert run("-a", "-o", "ctid,status,hostname,ip,onboot", "-H")[1].splitlines() == [
        "         9 stopped   nine.example         -               no",
        "       101 stopped   ct101.example        198.51.100.7    yes",
        "       web stopped   -                    -               no",
    ]


def test_sort_and_named_containers(vz):
    assert [line.split()[0] for line in run("-a", "-H", "-s", "hostname")[1].splitlines()] == ["101", "9", "web"]  # empty last
    assert run("-H", "101")[1].split() == ["101", "-", "stopped", "198.51.100.7", "ct101.example"]


def test_numbers_sort_by_value():
    assert sorted([10, "b", None, 9, "a"], key=vzlist._sort_key) == [9, 10, "a", "b", None]


def test_json_is_vz_container_info(vz):
    rc, out, _err = run("-a", "-j")
    containers = json.loads(out)
    assert rc == 0 and [c["ctid"] for c in containers] == ["9", "101", "web"]
    assert containers[1]["config"]["HOSTNAME"] == "ct101.example" and containers[1]["state"] == "stopped"


def test_errors(vz):
    assert run("-o", "ctid,bogus") == (USAGE, "", "vzlist: -o: unknown field bogus (vzlist -L lists them)\n")
    assert run("nosuch") == (FAILED, "", "vzlist: container nosuch does not exist\n")
    assert run("-L")[1].startswith("ctid         CTID\n")
