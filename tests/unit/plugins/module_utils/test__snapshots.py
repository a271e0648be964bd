# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._net import _config as netconf
from ansible_collections.vzkit.vz.plugins.module_utils import _snapshots as snapshots
from ansible_collections.vzkit.vz.plugins.module_utils._config import ConfFile
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError
from ansible_collections.vzkit.vz.plugins.module_utils._snapshots import STATES, SnapshotSpec
from ansible_collections.vzkit.vz.plugins.module_utils._zfs import Snapshot

MACHINE_ID = "0123456789abcdef0123456789abcdef"
SOURCE_MACS = ("02:00:5e:10:00:01", "02:00:5e:10:00:02", "02:00:5e:10:00:03", "02:00:5e:10:00:04")
SOURCE = """\
# CT 101, made by vzkit
ONBOOT="yes"
DISKSPACE="10G:11G"
DISKINODES="200000:220000"
VE_ROOT="/vz/root/$VEID"
VE_PRIVATE="/vz/private/$VEID"
VE_LAYOUT="zfs"
OSTEMPLATE="debian-12-x86_64"
HOSTNAME="ct101.example.com"
IP_ADDRESS="198.51.100.10 fd42::10"
NETIF="ifname=eth0,bridge=vzbr0,mac=%s,host_ifname=veth101.0,host_mac=%s,mtu=1400,ip=198.51.100.20/24,gw=198.51.100.1;\
ifname=eth1,bridge=vzbr1,mac=%s,host_ifname=veth101.1,host_mac=%s,ip=fd42::20/64,gw6=fd42::1,create_bridge=yes"
LOCAL_UID="100000"
LOCAL_GID="100000"
NAMESERVER="198.51.100.1"
""" % SOURCE_MACS
TARGET = SimpleNamespace(ctid="102", root="/vz/root/102", private="/vz/private/102")


def spec(**params):
    params.setdefault("ctid", "101")
    params.setdefault("name", "s1")
    return SnapshotSpec.from_params(params)


def refused(param: str, **params) -> VzConfigError:
    with pytest.raises(VzConfigError) as exc:
        spec(**params)
    assert exc.value.details["param"] == param
    assert str(exc.value).startswith("`%s`: " % param)
    assert exc.value.details["hint"]
    return exc.value


# ---- SnapshotSpec ------------------------------------------------------------------------------

def test_defaults():
    assert spec() == SnapshotSpec(ctid="101", name="s1", state="present", recursive=False, destroy_newer=False,
                                  target_ctid=None, target_hostname=None, stop_timeout=60, vz_conf="/etc/vz/vz.conf")


def test_module_params_with_nulls_give_defaults():
    params = {"ctid": "101", "name": "s1", "state": None, "recursive": None, "destroy_newer": None, "target_ctid": None,
              "target_hostname": None, "stop_timeout": None, "vz_conf": None}
    assert SnapshotSpec.from_params(params) == spec()


def test_spec_is_frozen():
    with pytest.raises(AttributeError):
        spec().state = "absent"


@pytest.mark.parametrize("state", [s for s in STATES if s != "cloned"])
def test_states(state):
    assert spec(state=state).state == state


def test_cloned():
    s = spec(state="cloned", target_ctid="102", target_hostname="web-2.example.com")
    assert (s.state, s.target_ctid, s.target_hostname) == ("cloned", "102", "web-2.example.com")
    assert spec(state="cloned", target_ctid=102).target_ctid == "102"


@pytest.mark.parametrize("state", ["snapshot", "rollback", "cloned_", "PRESENT", "started"])
def test_bad_state(state):
    err = refused("state", state=state)
    assert "rolled_back" in err.details["hint"]


@pytest.mark.parametrize("target", [None, ""])
def test_cloned_needs_a_target(target):
    refused("target_ctid", state="cloned", target_ctid=target)


@pytest.mark.parametrize("ctid, target", [("101", "101"), ("101", 101), (101, "101"), ("web-1", "web-1")])
def test_clone_onto_itself(ctid, target):
    err = refused("target_ctid", state="cloned", ctid=ctid, target_ctid=target)
    assert "onto itself" in str(err)


@pytest.mark.parametrize("target", ["../x", ".hidden", "a b", "a/b", "x" * 65])
def test_bad_target_ctid(target):
    refused("target_ctid", state="cloned", target_ctid=target)


@pytest.mark.parametrize("name", [None, "", ".", "..", "a b", "a@b", "a/b", "s" * 201])
def test_bad_snapshot_names(name):
    refused("name", name=name)


@pytest.mark.parametrize("name", ["s1", "before-upgrade", "2024-01-01T00:00", "a.b_c"])
def test_good_snapshot_names(name):
    assert spec(name=name).name == name


@pytest.mark.parametrize("hostname", ["", "-web", "web-", "a..b", "a_b", "web 2", "x" * 64, "web.", "w\u00e9b"])
def test_bad_target_hostname(hostname):
    refused("target_hostname", state="cloned", target_ctid="102", target_hostname=hostname)


@pytest.mark.parametrize("ctid", [None, "", "../x", ".101"])
def test_bad_ctid(ctid):
    refused("ctid", ctid=ctid)


@pytest.mark.parametrize("params, attrs", [
    ({"recursive": True}, {"recursive": True}),
    ({"destroy_newer": "yes"}, {"destroy_newer": True}),
    ({"stop_timeout": 0}, {"stop_timeout": 0}),
    ({"stop_timeout": "30"}, {"stop_timeout": 30}),
    ({"vz_conf": "/srv/vz.conf"}, {"vz_conf": "/srv/vz.conf"}),
])
def test_options(params, attrs):
    s = spec(**params)
    assert {k: getattr(s, k) for k in attrs} == attrs


# ---- describe ----------------------------------------------------------------------------------

@pytest.mark.parametrize("snap, ctid, current, expected", [
    (Snapshot("tpool/ct/101@s1", 1795389805, 73728), "101", True,
     {"ctid": "101", "name": "s1", "snapshot": "tpool/ct/101@s1", "dataset": "tpool/ct/101", "current": True,
      "creation": 1795389805, "creation_iso": "2026-11-22T23:23:25Z", "used": 73728, "taken_by": None}),
    (Snapshot("tpool/ct/.101.vzkit-branch-2@old", 0, 0), "101", False,
     {"ctid": "101", "name": "old", "snapshot": "tpool/ct/.101.vzkit-branch-2@old", "dataset": "tpool/ct/.101.vzkit-branch-2",
      "current": False, "creation": 0, "creation_iso": "1970-01-01T00:00:00Z", "used": 0, "taken_by": None}),
])
def test_describe(snap, ctid, current, expected):
    assert snapshots.describe(snap, ctid, current) == expected


# ---- the clone's config ------------------------------------------------------------------------

def cloned(text=SOURCE, hostname="web-2.example.com", target=TARGET, machine_id=MACHINE_ID) -> ConfFile:
    return snapshots.clone_conf(ConfFile.parse(text), target, hostname=hostname, machine_id=machine_id)


def test_clone_conf_keeps_what_is_not_identity():
    new = cloned()
    for key in ("DISKSPACE", "DISKINODES", "OSTEMPLATE", "VE_LAYOUT", "NAMESERVER"):
        assert new.get(key) == ConfFile.parse(SOURCE).get(key), key
    assert new.get("DISKSPACE") == "10G:11G"
    assert new.get("OSTEMPLATE") == "debian-12-x86_64"


def test_clone_conf_has_the_targets_paths():
    new = cloned()
    assert (new.get("VE_ROOT"), new.get("VE_PRIVATE")) == ("/vz/root/102", "/vz/private/102")


@pytest.mark.parametrize("key", ["IP_ADDRESS", "LOCAL_UID", "LOCAL_GID", "ONBOOT"])
def test_clone_conf_drops_identity(key):
    assert cloned().get(key) is None
    assert key not in cloned().items()


@pytest.mark.parametrize("hostname, expected", [("web-2.example.com", "web-2.example.com"), (None, None), ("", None)])
def test_clone_conf_hostname(hostname, expected):
    new = cloned(hostname=hostname)
    assert new.get("HOSTNAME") == expected
    assert [ln.key for ln in new.lines].count("HOSTNAME") == (1 if expected else 0)


def test_clone_conf_regenerates_interfaces():
    before = netconf.parse_netif(ConfFile.parse(SOURCE).get("NETIF"))
    after = netconf.parse_netif(cloned().get("NETIF"))
    assert [n.name for n in after] == ["eth0", "eth1"]
    assert [(n.bridge, n.mtu, n.create_bridge) for n in after] == [("vzbr0", 1400, False), ("vzbr1", None, True)]
    assert [n.host_ifname for n in after] == ["veth102.0", "veth102.1"]
    assert all(n.ip_address == () and n.gateway == () for n in after)
    macs = [m for n in after for m in (n.mac, n.host_mac)]
    assert len(set(macs)) == 4
    assert not set(macs) & set(SOURCE_MACS) and not set(macs) & {m for n in before for m in (n.mac, n.host_mac)}
    assert after[0].mac == netconf.derive_mac("%s/102/eth0/ct" % MACHINE_ID)
    assert after[1].host_mac == netconf.derive_mac("%s/102/eth1/host" % MACHINE_ID)


def test_clone_conf_macs_are_stable_and_differ_by_target():
    assert cloned().get("NETIF") == cloned().get("NETIF")
    other = cloned(target=SimpleNamespace(ctid="103", root="/vz/root/103", private="/vz/private/103"))
    assert other.get("NETIF") != cloned().get("NETIF")
    assert "veth103.0" in other.get("NETIF")
    assert cloned(machine_id="f" * 32).get("NETIF") != cloned().get("NETIF")


def test_clone_conf_without_interfaces():
    text = "\n".join(ln for ln in SOURCE.splitlines() if not ln.startswith(("NETIF=", "ifname=eth1")))
    assert "NETIF" not in cloned(text=text).items()


def test_clone_conf_leaves_the_source_alone_and_round_trips():
    source = ConfFile.parse(SOURCE)
    new = snapshots.clone_conf(source, TARGET, hostname="web-2", machine_id=MACHINE_ID)
    assert source.render() == SOURCE
    assert ConfFile.parse(new.render()).items() == new.items()
    assert new.lines[0].raw == "# CT 101, made by vzkit"


# ---- retention ---------------------------------------------------------------------------------

def _snap(name, taken_by="vz_snapshot"):
    return Snapshot("tpool/ct/101@" + name, 0, 0, taken_by)


def _layout(clones=None):
    return SimpleNamespace(parent="tpool/ct", zfs=SimpleNamespace(clones=lambda parent: clones or {}))


@pytest.mark.parametrize("snaps, keep, new, clones, doomed", [
    ([_snap("a"), _snap("b"), _snap("c")], 2, "d", None, ["a", "b"]),
    ([_snap("a"), _snap("b"), _snap("c")], 2, None, None, ["a"]),
    ([_snap("a"), _snap("b")], 3, "c", None, []),
    ([_snap("a"), _snap("b")], None, "c", None, []),
    # taken by hand or for a backup: never counted, never removed
    ([_snap("hand", None), _snap("vzkit-backup-1", "vz_backup"), _snap("a"), _snap("b")], 1, "c", None, ["a", "b"]),
    # a snapshot a container is cloned from stays (and still counts)
    ([_snap("a"), _snap("b"), _snap("c")], 1, None, {"tpool/ct/101@a": ["tpool/ct/102"]}, ["b"]),
])
def test_expired(snaps, keep, new, clones, doomed):
    assert [s.short for s in snapshots.expired(_layout(clones), snaps, keep, new=new)] == doomed


@pytest.mark.parametrize("params", [{"keep": 0}, {"keep": True}, {"keep": "2"}, {"keep": 2, "state": "absent"}])
def test_keep_is_a_count_with_state_present(params):
    with pytest.raises(VzConfigError) as err:
        SnapshotSpec.from_params(dict({"ctid": "101", "name": "s1"}, **params))
    assert err.value.details["param"] == "keep"
