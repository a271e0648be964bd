# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vzkit.vz.vz inventory's own logic: one vzlist call per host, the hosts, variables and groups it
makes from vzlist's JSON, its refusals. The hosts' connections answer from a script here; the
vz_connection integration target lists real containers of two hosts over SSH."""
from __future__ import annotations

import json
import warnings

import pytest

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import connection_loader, init_plugin_loader, inventory_loader


def container(ctid, state="running", layout="simfs", ostemplate="debian-12-x86_64-minimal", hostname=None, fleet=None):
    return {"ctid": ctid, "state": state, "layout": layout, "ostemplate": ostemplate, "hostname": hostname, "fleet": fleet,
            "id_range": {"first_uid": 100000} if ctid != "102" else None, "config": {"ONBOOT": "yes"}}


LISTS = {"192.0.2.10": [container("101", hostname="web.example", fleet="web-1"), container("102", state="stopped")],
         "localhost": [container("201", layout="zfs", ostemplate="busybox")]}


class ScriptedHost:
    def __init__(self, calls):
        self.calls, self.direct = calls, None

    def set_options(self, direct):
        self.direct = direct

    def _connect(self):
        return self

    def exec_command(self, cmd, in_data=None, sudoable=True):
        self.calls.append((self.direct.get("host", "localhost"), cmd, sudoable))
        listing = LISTS.get(self.direct.get("host", "localhost"))
        return (0, json.dumps(listing).encode(), b"") if listing is not None else (1, b"", b"vzlist: cannot read\n")

    def close(self):
        pass


@pytest.fixture(name="parse")
def fixture_parse(tmp_path, monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        init_plugin_loader()
    calls = []
    monkeypatch.setattr(connection_loader, "get", lambda name, ctx: ScriptedHost(calls))

    def parse(text: str, name="hosts.vz.yml", cache=False):
        path = tmp_path / name
        path.write_text(text)
        plugin = inventory_loader.get("vzkit.vz.vz")
        assert plugin.verify_file(str(path))
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), str(path), cache=cache)
        if getattr(plugin, "_cache", None):  # (as the inventory manager does after a parse)
            plugin.update_cache_if_changed()
        return inventory, calls
    return parse


CONFIG = """
plugin: vzkit.vz.vz
hosts:
  - {name: node1, address: 192.0.2.10, user: deploy, sudo: true, port: 2222}
  - {name: here, connection: local}
"""


def test_sudo_as_a_string_means_what_it_says(parse):
    _inventory, calls = parse("plugin: vzkit.vz.vz\nhosts: [{name: node1, address: 192.0.2.10, sudo: 'false'}]\n")
    assert calls == [("192.0.2.10", "vzlist -a -j", False)]


def test_one_vzlist_call_per_host(parse):
    _inventory, calls = parse(CONFIG)
    assert calls == [("192.0.2.10", "sudo -n -- vzlist -a -j", False), ("localhost", "vzlist -a -j", False)]


def test_hosts_and_their_connection_variables(parse):
    inventory, _calls = parse(CONFIG)
    assert sorted(inventory.hosts) == ["here-201", "node1-101", "node1-102"]
    web = inventory.hosts["node1-101"].vars
    assert {k: web[k] for k in ("ansible_connection", "vz_ctid", "vz_host", "vz_host_user", "vz_host_port",
                                "vz_host_sudo", "vz_host_connection", "vzctl", "vz_host_name")} == {
        "ansible_connection": "vzkit.vz.vz", "vz_ctid": "101", "vz_host": "192.0.2.10", "vz_host_user": "deploy",
        "vz_host_port": 2222, "vz_host_sudo": True, "vz_host_connection": "ssh", "vzctl": "vzctl", "vz_host_name": "node1"}
    assert web["vz_container"]["hostname"] == "web.example"
    local = inventory.hosts["here-201"].vars
    assert local["vz_host_connection"] == "local" and "vz_host" not in local


def test_groups_by_state_layout_template_host_and_fleet(parse):
    inventory, _calls = parse(CONFIG)
    members = {name: sorted(h.name for h in g.get_hosts()) for name, g in inventory.groups.items()}
    assert members["vz_running"] == ["here-201", "node1-101"]
    assert members["vz_stopped"] == ["node1-102"]
    assert members["vz_layout_zfs"] == ["here-201"]
    assert members["vz_ostemplate_debian_12_x86_64_minimal"] == ["node1-101", "node1-102"]
    assert members["vz_host_node1"] == ["node1-101", "node1-102"]
    assert members["vz_fleet_web_1"] == ["node1-101"]  # only members: no group for "no fleet"
    assert not [name for name in members if name.startswith("vz_fleet_") and name != "vz_fleet_web_1"]


def test_names_prefix_and_constructed_options(parse):
    inventory, _calls = parse(CONFIG + """
name_format: "{hostname}"
group_prefix: ct_
compose:
  first_uid: (vz_container.id_range or {}).first_uid | default(0)
keyed_groups:
  - key: vz_container.config.ONBOOT
    prefix: onboot
groups:
  shifted: vz_container.id_range is not none
""")
    assert sorted(inventory.hosts) == ["102", "201", "web.example"]
    assert "ct_running" in inventory.groups and "vz_running" not in inventory.groups
    assert inventory.hosts["web.example"].vars["first_uid"] == 100000
    assert sorted(h.name for h in inventory.groups["onboot_yes"].get_hosts()) == ["102", "201", "web.example"]
    assert sorted(h.name for h in inventory.groups["shifted"].get_hosts()) == ["201", "web.example"]


@pytest.mark.parametrize("hosts, says", [
    ("[{address: 192.0.2.10}]", "every item needs a name"),
    ("[{name: n, adress: 192.0.2.10}]", "item n has unknown options adress"),
    ("[{name: n, connection: winrm}]", "connection must be ssh or local"),
    ("[{name: n, sudo: maybe}]", "item n: sudo must be true or false, not 'maybe'"),
    ("[{name: n}, {name: m}, {name: n}]", "hosts: n named more than once"),
])
def test_bad_host_entries_are_named(parse, hosts, says):
    with pytest.raises(AnsibleParserError) as exc:
        parse("plugin: vzkit.vz.vz\nhosts: %s\n" % hosts)
    assert says in str(exc.value)


def test_a_host_whose_vzlist_fails_is_named_with_the_reason(parse):
    with pytest.raises(AnsibleError) as exc:
        parse("plugin: vzkit.vz.vz\nhosts: [{name: broken, address: 192.0.2.99}]\n")
    assert "vzkit host broken: vzlist -a -j failed (rc 1): vzlist: cannot read" in str(exc.value)


def test_only_files_named_for_it(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        init_plugin_loader()
    plugin = inventory_loader.get("vzkit.vz.vz")
    (tmp_path / "hosts.yml").write_text("plugin: vzkit.vz.vz\n")
    assert not plugin.verify_file(str(tmp_path / "hosts.yml"))


def test_the_inventory_cache_saves_the_second_listing(parse, tmp_path):
    config = CONFIG + "cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n" % (tmp_path / "cache")
    first, calls = parse(config, cache=True)
    second, calls_after = parse(config, cache=True)
    assert len(calls_after) == 2  # the hosts were asked once, by the first parse
    assert sorted(second.hosts) == sorted(first.hosts) == ["here-201", "node1-101", "node1-102"]
