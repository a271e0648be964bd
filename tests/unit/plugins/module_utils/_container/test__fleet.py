# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet's own logic: validation per item, membership, prune's choice, the result. ``ensure`` is
replaced by a recorder here (each call runs in a worker process, so it records into a file); the
vz_fleet integration target converges real containers."""
from __future__ import annotations

import json
import os

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._container import _fleet as fleet
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError, VzStateError
from ansible_collections.vzkit.vz.plugins.module_utils._host import Host


@pytest.fixture(name="vz")
def fixture_vz(tmp_path, monkeypatch):
    """A vz.conf whose conf/ holds containers 1 (fleet web), 2 (fleet db), 3 (no fleet), 4 (fleet web);
    ensure replaced by a recorder that fails container 13 and warns for 12."""
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (tmp_path / "vz.conf").write_text('VE_ROOT="%s/root/$VEID"\n' % tmp_path)
    for ctid, member in (("1", "web"), ("2", "db"), ("3", None), ("4", "web")):
        (conf_dir / ("%s.conf" % ctid)).write_text('OSTEMPLATE="busybox"\n' + ('VZKIT_FLEET="%s"\n' % member if member else ""))
    calls = tmp_path / "calls"

    def ensure(spec, host, *, diff=False):
        with open(calls, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"ctid": spec.ctid, "state": spec.state, "fleet": spec.fleet, "ram": spec.limits.get("RAM"),
                                 "hostname": spec.hostname, "pid": os.getpid(), "diff": diff}) + "\n")
        if spec.ctid == "13":
            raise VzStateError("the template cache is gone", param="ostemplate", hint="build it")
        if spec.ctid == "12":
            host.warn("something to know")
        return {"changed": spec.ctid != "11", "actions": ["do %s" % spec.ctid], "diff": [{"before": "a", "after": "b"}],
                "container": {"state": "absent" if spec.state == "absent" else "running"}}
    monkeypatch.setattr(fleet, "ensure", ensure)

    def recorded():
        if not calls.exists():
            return {}
        return {c["ctid"]: c for c in map(json.loads, calls.read_text().splitlines())}
    return str(tmp_path / "vz.conf"), recorded


def run(vz_conf, items, **kw):
    host = Host()
    return fleet.converge_fleet(items, host, vz_conf=vz_conf, **kw), host


def test_every_item_converges_over_the_defaults_in_a_process_of_its_own(vz):
    vz_conf, recorded = vz
    out, host = run(vz_conf, [{"ctid": "10", "ram": "1G"}, "11", 12], defaults={"ram": "256M", "hostname": "h"},
                    fleet="web", diff=True)
    calls = recorded()
    assert sorted(calls) == ["10", "11", "12"]
    assert calls["10"]["ram"] == "1G" and calls["11"]["ram"] == "256M" and calls["12"]["hostname"] == "h"
    assert {c["fleet"] for c in calls.values()} == {"web"} and all(c["diff"] for c in calls.values())
    assert os.getpid() not in {c["pid"] for c in calls.values()}
    assert [r["ctid"] for r in out["containers"]] == ["10", "11", "12"]
    assert [r["changed"] for r in out["containers"]] == [True, False, True]
    assert out["changed"] and out["summary"] == {"total": 3, "changed": 2, "unchanged": 1, "failed": 0, "pruned": 0}
    assert host.warnings == ["container 12: something to know"]
    assert out["diff"][0]["before_header"] == "container 10" and len(out["diff"]) == 3
    assert "failed" not in out


def test_a_bad_item_fails_alone_and_the_task_names_every_failure(vz):
    vz_conf, recorded = vz
    out, _host = run(vz_conf, ["10", {"ctid": "11", "ram": "0"}, {"ctid": "12", "sate": "started"}, "13",
                               {"ctid": "14", "state": "runing"}, ["x"], {"ostemplate": "busybox"}])
    assert sorted(recorded()) == ["10", "13"]  # the refused ones never ran; 13 ran and failed
    errors = {r["ctid"]: r.get("error") for r in out["containers"]}
    assert errors["10"] is None
    assert errors["11"].startswith("`ram`: 0 is not a limit")
    assert errors["12"].startswith("unsupported option sate.")
    assert errors["13"] == "`ostemplate`: the template cache is gone; build it"
    assert "value of state must be one of" in errors["14"] and "got: runing" in errors["14"]
    assert out["failed"] and out["summary"]["failed"] == 6 and out["summary"]["unchanged"] == 0
    for name in ("container 11: ", "container 12: ", "container 13: ", "container 14: ",
                 "containers[5]: ['x'] is neither a ctid", "containers[6]: missing required arguments: ctid"):
        assert name in out["msg"]
    assert out["msg"].startswith("6 of 7 containers failed: ")


def test_prune_destroys_the_unlisted_members_of_the_fleet_and_nothing_else(vz):
    vz_conf, recorded = vz
    out, _host = run(vz_conf, ["4", "10"], fleet="web", prune=True, defaults={"stop_timeout": 7})
    calls = recorded()
    assert sorted(calls) == ["1", "10", "4"]  # 2 (fleet db) and 3 (no fleet) untouched
    assert calls["1"]["state"] == "absent" and calls["4"]["state"] == "present"
    pruned = [r for r in out["containers"] if r["pruned"]]
    assert [r["ctid"] for r in pruned] == ["1"] and pruned[0]["state"] == "absent"
    assert out["summary"]["pruned"] == 1


def test_prune_is_not_done_when_an_item_is_refused(vz):
    """A typo in an item (here a bad state) would otherwise make its member look unlisted."""
    vz_conf, recorded = vz
    out, host = run(vz_conf, [{"ctid": "1", "state": "strated"}, "4"], fleet="web", prune=True)
    assert sorted(recorded()) == ["4"]
    assert out["summary"]["pruned"] == 0 and out["failed"]
    assert host.warnings == ["prune not done: container 1 refused; a member they name could look unlisted"]


def test_a_member_of_another_fleet_is_refused(vz):
    vz_conf, recorded = vz
    out, _host = run(vz_conf, ["2", "3"], fleet="web")
    assert sorted(recorded()) == ["3"]  # 3 had no fleet: it joins
    [refused] = [r for r in out["containers"] if r["ctid"] == "2"]
    assert refused["error"].startswith("`fleet`: container 2 is a member of fleet db")


@pytest.mark.parametrize("kw, items, param", [
    ({"fleet": "no spaces"}, ["1"], "fleet"),
    ({"fleet": "-x"}, ["1"], "fleet"),
    ({"prune": True}, ["1"], "prune"),
    ({"parallel": -1}, ["1"], "parallel"),
    ({}, ["10", {"ctid": "10", "ram": "1G"}], "containers"),
    ({"defaults": {"ram": "0"}}, [], "defaults"),  # refused even with no container to take them
    ({"defaults": {"stop_timeout": "soon"}, "fleet": "web", "prune": True}, [], "defaults"),
    ({"defaults": {"ctid": "10"}}, ["11"], "defaults.ctid"),
])
def test_what_the_whole_task_cannot_do_is_refused_before_any_container(vz, kw, items, param):
    vz_conf, recorded = vz
    with pytest.raises(VzConfigError) as err:
        run(vz_conf, items, **kw)
    assert err.value.details["param"] == param
    assert recorded() == {}


def test_an_item_may_not_name_another_vz_conf(vz):
    vz_conf, recorded = vz
    out, _host = run(vz_conf, [{"ctid": "10", "vz_conf": "/etc/vz/vz.conf"}, {"ctid": "11", "vz_conf": vz_conf}])
    assert sorted(recorded()) == ["11"]
    assert out["containers"][0]["error"].startswith("`vz_conf`: a fleet lives on one vz.conf")


def test_the_default_parallel_follows_the_cpus():
    assert fleet.default_parallel() == 2 * os.cpu_count()


def test_a_member_whose_config_names_an_unknown_layout_fails_alone(vz, tmp_path):
    """(the preload before the fork reads every member's layout: a broken config is that member's error)"""
    vz_conf, recorded = vz
    (tmp_path / "conf" / "4.conf").write_text('VE_LAYOUT="floppy"\nVZKIT_FLEET="web"\n')
    out, _host = run(vz_conf, ["4", "10"], fleet="web")
    assert sorted(recorded()) == ["10", "4"]  # (ensure is the recorder here: each ran)
    assert out["summary"]["total"] == 2
