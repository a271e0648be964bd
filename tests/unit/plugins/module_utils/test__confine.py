# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _confine as confine
from ansible_collections.vzkit.vz.plugins.module_utils._bpf import DeviceRule
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError


def test_default_drops_every_documented_capability_and_keeps_the_documented_ones():
    conf = confine.Confinement.from_conf({})
    assert set(conf.drop_caps) == set(confine.DROP_REASONS)
    assert not set(conf.drop_caps) & set(confine.KEEP_REASONS)
    assert {"sys_module", "sys_rawio", "sys_time", "mac_admin", "mac_override", "sys_ptrace"} <= set(conf.drop_caps)
    assert conf.cap_numbers == tuple(confine.CAP_NUMBERS[n] for n in conf.drop_caps)


@pytest.mark.parametrize("text, dropped, kept", [
    ("sys_time:on", set(), {"sys_time"}),
    ("sys_ptrace:on net_admin:off", {"net_admin"}, {"sys_ptrace"}),
    ("SYS_BOOT:off", {"sys_boot"}, set()),
])
def test_capability_key_relaxes_and_tightens(text, dropped, kept):
    conf = confine.Confinement.from_conf({"CAPABILITY": text})
    assert dropped <= set(conf.drop_caps)
    assert not kept & set(conf.drop_caps)


@pytest.mark.parametrize("key, text, param", [
    ("CAPABILITY", "sys_time", "capability"),
    ("CAPABILITY", "sys_tim:on", "capability"),
    ("CAPABILITY", "sys_time:maybe", "capability"),
    ("FEATURES", "nesting:on", "features"),
    ("DEVICES", "c:10:200", "devices"),
    ("DEVICES", "x:1:2:rw", "devices"),
])
def test_bad_lists_name_the_option(key, text, param):
    with pytest.raises(VzConfigError) as err:
        confine.Confinement.from_conf({key: text})
    assert err.value.details["param"] == param


def test_features_add_their_device_nodes_and_rules():
    conf = confine.Confinement.from_conf({"FEATURES": "fuse:on tun:off nnp:on"})
    assert conf.features == ("fuse", "nnp")
    assert conf.device_nodes == (("c", 10, 229, "rwm", "fuse"),)
    rules = confine.device_allow_list(conf)
    assert DeviceRule("c", 10, 229, "rwm") in rules
    assert DeviceRule("c", 10, 200, "rwm") not in rules


def test_default_device_list_allows_only_the_dev_nodes_and_mknod():
    rules = confine.device_allow_list(confine.Confinement.from_conf({}))
    assert [r.to_v1() for r in rules] == ["c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                                          "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm", "c *:* m", "b *:* m"]


def test_devices_key_adds_openvz_rules():
    conf = confine.Confinement.from_conf({"DEVICES": "c:10:200:rw b:8:0:r"})
    assert conf.extra_devices == (DeviceRule("c", 10, 200, "rw"), DeviceRule("b", 8, 0, "r"))


def test_seccomp_policy_defaults_to_the_bpf_policy():
    conf = confine.Confinement.from_conf({})
    names = dict(conf.seccomp_deny)
    assert {"kexec_load", "open_by_handle_at", "init_module", "finit_module", "delete_module", "bpf", "keyctl"} <= set(names)


@pytest.mark.parametrize("idmap, uid_map, host_root, shifted", [
    (confine.IdMap(), "0 0 4294967294\n", 0, False),
    (confine.IdMap(100000, 100000, 65536), "0 100000 65536\n", 100000, True),
])
def test_idmap(idmap, uid_map, host_root, shifted):
    assert idmap.uid_map() == uid_map
    assert idmap.gid_map() == uid_map
    assert idmap.host_uid(0) == host_root
    assert idmap.host_gid(5) == host_root + 5
    assert idmap.shifted is shifted


@pytest.mark.parametrize("text, expected", [
    ("", {}),
    ("fuse:on  tun:off", {"fuse": True, "tun": False}),
])
def test_parse_onoff(text, expected):
    assert confine.parse_onoff(text, param="features", known=confine.FEATURES) == expected


DOC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docs", "confinement.md")


def _doc() -> str:
    with open(DOC, encoding="utf-8") as fh:
        return fh.read()


@pytest.mark.parametrize("name", sorted(confine.DROP_REASONS) + sorted(confine.KEEP_REASONS))
def test_docs_name_every_capability_decision(name):
    assert "| `%s` |" % name in _doc()


@pytest.mark.parametrize("name", sorted(confine.FEATURES))
def test_docs_name_every_feature(name):
    assert "| `%s` |" % name in _doc()


@pytest.mark.parametrize("entry", ["/proc/%s" % e for e in confine.PROC_MASKED + confine.PROC_READONLY]
                         + ["/sys/%s" % e for e in confine.SYS_MASKED])
def test_docs_name_every_proc_and_sys_entry(entry):
    assert "`%s`" % entry in _doc()


def test_docs_name_every_denied_system_call():
    from ansible_collections.vzkit.vz.plugins.module_utils._bpf import DEFAULT_POLICY
    missing = [name for name in DEFAULT_POLICY if "`%s`" % name not in _doc()]
    assert missing == []


def test_docs_name_every_default_device_rule():
    for rule in confine.DEFAULT_DEVICES:
        assert "`%s`" % rule in _doc()
