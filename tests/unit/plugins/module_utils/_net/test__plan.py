# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container plan's network part, before anything is made: a container's addresses are its own
(not twice in its config, not in another container's), read from real config files."""
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._config import ConfFile
from ansible_collections.vzkit.vz.plugins.module_utils._container._context import Context
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError
from ansible_collections.vzkit.vz.plugins.module_utils._host import Host
from ansible_collections.vzkit.vz.plugins.module_utils._net import _plan as netplan
from ansible_collections.vzkit.vz.plugins.module_utils._spec import ContainerSpec

BRIDGED = "ifname=eth0,bridge=vzbr0,mac=02:00:5e:10:00:01,host_ifname=veth102.0,host_mac=06:00:5e:10:00:01,ip=198.51.100.20/24"


@pytest.fixture(name="ctx")
def fixture_ctx(tmp_path):
    """Container 101 on a vz.conf of its own, next to 102 (routed .10, bridged .20) and 103 (unreadable NETIF)."""
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (tmp_path / "vz.conf").write_text('VE_PRIVATE="%s/private/$VEID"\nVE_ROOT="%s/root/$VEID"\n' % (tmp_path, tmp_path))
    (conf_dir / "102.conf").write_text('IP_ADDRESS="198.51.100.10 fd42:7a6b::10/64"\nNETIF="%s"\n' % BRIDGED)
    (conf_dir / "103.conf").write_text('NETIF="not a netif"\nIP_ADDRESS="198.51.100.30"\n')
    ctx, _conf = Context.build(ContainerSpec(ctid="101", vz_conf=str(tmp_path / "vz.conf")), Host())
    return ctx


def conf(text: str) -> ConfFile:
    return ConfFile.parse(text)


@pytest.mark.parametrize("text, address, other, param", [
    ('IP_ADDRESS="198.51.100.10"', "198.51.100.10", "102", "ip_address"),      # another's routed address
    ('IP_ADDRESS="fd42:7a6b::10"', "fd42:7a6b::10", "102", "ip_address"),      # whatever its prefix there
    ('IP_ADDRESS="198.51.100.20"', "198.51.100.20", "102", "ip_address"),      # another's interface address
    ('NETIF="ifname=eth0,bridge=vzbr0,ip=198.51.100.10/24"', "198.51.100.10", "102", "netif"),
])
def test_another_containers_address_is_refused(ctx, text, address, other, param):
    with pytest.raises(VzConfigError) as exc:
        netplan.check_network_config(ContainerSpec(ctid="101"), ctx, None, conf(text))
    assert str(exc.value).startswith("`%s`: %s is already used by container %s" % (param, address, other))
    assert exc.value.details["param"] == param


def test_an_address_given_twice_in_one_config_is_refused(ctx):
    text = 'IP_ADDRESS="198.51.100.40"\nNETIF="ifname=eth0,bridge=vzbr0,ip=198.51.100.40/24"\n'
    with pytest.raises(VzConfigError) as exc:
        netplan.check_network_config(ContainerSpec(ctid="101"), ctx, None, conf(text))
    assert "198.51.100.40 is given both as a routed and as an interface address" in str(exc.value)


def test_an_unreadable_config_of_another_is_not_this_ones_problem(ctx):
    """103's NETIF cannot be read: its addresses are not compared (they are reported when 103 is managed)."""
    netplan.check_network_config(ContainerSpec(ctid="101"), ctx, None, conf('IP_ADDRESS="198.51.100.30"'))


def test_free_addresses_pass(ctx):
    netplan.check_network_config(ContainerSpec(ctid="101"), ctx, None, conf('IP_ADDRESS="198.51.100.50 fd42:7a6b::50"'))


def test_unchanged_network_keys_are_not_checked_again(ctx):
    """A conflict already in the config (made by hand) does not block an unrelated change."""
    old = conf('IP_ADDRESS="198.51.100.10"\nHOSTNAME="a"\n')
    netplan.check_network_config(ContainerSpec(ctid="101"), ctx, old, conf('IP_ADDRESS="198.51.100.10"\nHOSTNAME="b"\n'))
    with pytest.raises(VzConfigError):
        netplan.check_network_config(ContainerSpec(ctid="101"), ctx, None, conf('IP_ADDRESS="198.51.100.10"\n'))


def test_netif_dicts():
    (eth0,) = netplan.netif_dicts({"NETIF": BRIDGED})
    assert eth0 == {"name": "eth0", "bridge": "vzbr0", "mac": "02:00:5e:10:00:01", "host_ifname": "veth102.0",
                    "host_mac": "06:00:5e:10:00:01", "mtu": None, "ip_address": ["198.51.100.20/24"], "gateway": [],
                    "create_bridge": False}
    assert netplan.netif_dicts({"NETIF": "not a netif"}) == []  # listed, not refused: reported when managed
    assert netplan.netif_dicts({}) == []
