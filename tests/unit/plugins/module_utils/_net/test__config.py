# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._net import _config as netconf
from ansible_collections.vzkit.vz.plugins.module_utils._net._config import NetConfig, Netif
from ansible_collections.vzkit.vz.tests.unit.plugins.module_utils._assert import refused

MACHINE_ID = "0123456789abcdef0123456789abcdef"


# ---- addresses ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("198.51.100.10", "198.51.100.10"),
    ("198.51.100.10/32", "198.51.100.10"),
    ("198.51.100.10/24", "198.51.100.10/24"),
    (" 198.51.100.10/24 ", "198.51.100.10/24"),
    ("198.51.100.0/24", "198.51.100.0/24"),
    ("10.0.0.5/255.255.255.0", "10.0.0.5/24"),
    ("10.113.0.7/31", "10.113.0.7/31"),
    ("fd42:7a6b:0::10/128", "fd42:7a6b::10"),
    ("fd42:7a6b::10", "fd42:7a6b::10"),
    ("FD42:7A6B::10/64", "fd42:7a6b::10/64"),
    ("2001:0db8:0000:0000:0000:0000:0000:0001/64", "2001:db8::1/64"),
    ("2001:db8::1/1", "2001:db8::1/1"),
])
def test_canonical_addresses(text, expected):
    iface = netconf.parse_address(text, param="ip_address[0]")
    assert netconf.format_address(iface) == expected
    assert netconf.format_address(netconf.parse_address(expected, param="x")) == expected


@pytest.mark.parametrize("text, message", [
    ("", "is not an IP address"),
    ("web", "is not an IP address"),
    ("198.51.100.256", "is not an IP address"),
    ("198.51.100.10/33", "is not an IP address"),
    ("fd42::1/129", "is not an IP address"),
    ("198.51.100.10/24/8", "is not an IP address"),
    ("198.51.100.10 198.51.100.11", "is not an IP address"),
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("169.254.10.1", "link-local"),
    ("fe80::1/64", "link-local"),
    ("198.51.100.10/0", "prefix length 0"),
    ("fd42::1/0", "prefix length 0"),
])
def test_bad_addresses(text, message):
    err = refused("ip_address[3]", netconf.parse_address, text, param="ip_address[3]")
    assert message in str(err)


def test_parse_address_list_keeps_order_and_canonicalises():
    got = netconf.parse_address_list(["fd42:7a6b:0::10/128", "198.51.100.10/24", "10.113.0.5/32"], param="ip_address")
    assert got == ("fd42:7a6b::10", "198.51.100.10/24", "10.113.0.5")
    assert netconf.parse_address_list([], param="ip_address") == ()


@pytest.mark.parametrize("values, param", [
    (["198.51.100.10", "web"], "ip_address[1]"),
    (["198.51.100.10", "198.51.100.11", "127.0.0.1"], "ip_address[2]"),
    (["198.51.100.10", "198.51.100.10/24"], "ip_address"),
    (["fd42::10", "fd42:0::10/64"], "ip_address"),
])
def test_bad_address_lists_name_the_entry(values, param):
    refused(param, netconf.parse_address_list, values, param="ip_address")


# ---- names and MACs ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["eth0", "e", "vzbr0", "br-lan", "eth0.100", "a_b", "x" * 15, "..."])
def test_good_ifnames(name):
    assert netconf.validate_ifname(name, param="netif[0].name") == name


@pytest.mark.parametrize("name", ["", ".", "..", "x" * 16, "eth 0", "eth0/1", "eth:0", "eth0\n", "\u00e9th0", "eth0;"])
def test_bad_ifnames(name):
    refused("netif[0].name", netconf.validate_ifname, name, param="netif[0].name")


@pytest.mark.parametrize("mac, expected", [
    ("02:00:5e:10:00:01", "02:00:5e:10:00:01"),
    ("02:00:5E:10:00:0A", "02:00:5e:10:00:0a"),
    ("02-00-5e-10-00-01", "02:00:5e:10:00:01"),
    (" 00:18:51:a3:3b:2c ", "00:18:51:a3:3b:2c"),
    ("fe:ff:ff:ff:ff:ff", "fe:ff:ff:ff:ff:ff"),
])
def test_good_macs(mac, expected):
    assert netconf.validate_mac(mac, param="netif[0].mac") == expected


@pytest.mark.parametrize("mac, message", [
    ("", "is not a MAC address"),
    ("02:00:5e:10:00", "is not a MAC address"),
    ("02:00:5e:10:00:01:02", "is not a MAC address"),
    ("0200.5e10.0001", "is not a MAC address"),
    ("02:00:5e:10:00:0g", "is not a MAC address"),
    ("2:0:5e:10:0:1", "is not a MAC address"),
    ("01:00:5e:00:00:01", "multicast"),
    ("ff:ff:ff:ff:ff:ff", "multicast"),
    ("03:00:00:00:00:01", "multicast"),
    # the kernel refuses an all-zero address for a veth (veth_validate: EADDRNOTAVAIL), so the option should too
    ("00:00:00:00:00:00", "MAC address"),
])
def test_bad_macs(mac, message):
    err = refused("netif[0].host_mac", netconf.validate_mac, mac, param="netif[0].host_mac")
    assert message in str(err)


@pytest.mark.parametrize("seed", ["m/101/eth0/ct", "m/101/eth0/host", "", "x" * 500, "\u00e9"])
def test_derive_mac_is_locally_administered_unicast_and_stable(seed):
    mac = netconf.derive_mac(seed)
    assert netconf.MAC_RE.fullmatch(mac)
    first = int(mac[:2], 16)
    assert first & 0x01 == 0  # unicast
    assert first & 0x02 == 0x02  # locally administered
    assert netconf.derive_mac(seed) == mac
    assert netconf.validate_mac(mac, param="x") == mac


def test_derive_mac_differs_by_seed():
    seeds = ["%s/%s/%s/%s" % (MACHINE_ID, ctid, name, side)
             for ctid in ("101", "102") for name in ("eth0", "eth1") for side in ("ct", "host")]
    assert len({netconf.derive_mac(s) for s in seeds}) == len(seeds)


@pytest.mark.parametrize("ctid, routed, netif0, netif3", [
    ("101", "venet101", "veth101.0", "veth101.3"),
    ("web-1", "venetweb-1", "vethweb-1.0", "vethweb-1.3"),
    ("0123456789", "venet0123456789", None, None),
    ("x" * 64, None, None, None),
    ("x" * 63 + "y", None, None, None),
    ("a.b", "veneta.b", "vetha.b.0", "vetha.b.3"),
])
def test_host_ifnames(ctid, routed, netif0, netif3):
    names = [netconf.routed_host_ifname(ctid), netconf.netif_host_ifname(ctid, 0), netconf.netif_host_ifname(ctid, 3)]
    for name, expected in zip(names, (routed, netif0, netif3)):
        assert len(name) <= 15
        assert netconf.validate_ifname(name, param="x") == name
        if expected is not None:
            assert name == expected
    assert names[0].startswith(netconf.ROUTED_PREFIX)
    assert names[1].startswith("veth") and names[1].endswith(".0")
    assert names[2].startswith("veth") and names[2].endswith(".3")
    assert len(set(names)) == 3
    assert netconf.routed_host_ifname(ctid) == names[0]  # stable


@pytest.mark.parametrize("fn", [
    netconf.routed_host_ifname,
    lambda ctid: netconf.netif_host_ifname(ctid, 0),
    lambda ctid: netconf.netif_host_ifname(ctid, 12),
])
def test_host_ifnames_differ_between_ctids(fn):
    ctids = ["101", "102", "1010", "x" * 64, "x" * 63 + "y", "y" * 64, "x" * 20, "x" * 21, "0123456789", "01234567890"]
    names = [fn(c) for c in ctids]
    assert all(len(n) <= 15 for n in names)
    assert len(set(names)) == len(ctids)


# ---- bridged interfaces ------------------------------------------------------------------------

FULL = Netif(name="eth0", bridge="vzbr0", mac="02:00:5e:10:00:01", host_ifname="veth101.0", host_mac="06:00:5e:10:00:01",
             mtu=1400, ip_address=("198.51.100.20/24", "fd42:7a6b::20/64"), gateway=("198.51.100.1", "fd42:7a6b::1"),
             create_bridge=True)


@pytest.mark.parametrize("netifs, text", [
    ((), ""),
    ((Netif(name="eth0"),), "ifname=eth0"),
    ((Netif(name="eth0", bridge="vzbr0"),), "ifname=eth0,bridge=vzbr0"),
    ((FULL,), "ifname=eth0,bridge=vzbr0,mac=02:00:5e:10:00:01,host_ifname=veth101.0,host_mac=06:00:5e:10:00:01,mtu=1400,"
              "ip=198.51.100.20/24 fd42:7a6b::20/64,gw=198.51.100.1,gw6=fd42:7a6b::1,create_bridge=yes"),
    ((Netif(name="eth0", bridge="vzbr0", ip_address=("fd42:7a6b::20/64",), gateway=("fd42:7a6b::1",)),
      Netif(name="eth1", bridge="vzbr1", ip_address=("10.113.0.9",))),
     "ifname=eth0,bridge=vzbr0,ip=fd42:7a6b::20/64,gw6=fd42:7a6b::1;ifname=eth1,bridge=vzbr1,ip=10.113.0.9"),
])
def test_render_and_parse_netif(netifs, text):
    assert netconf.render_netif(netifs) == text
    assert netconf.parse_netif(text) == netifs


@pytest.mark.parametrize("netif", [
    FULL,
    Netif(name="eth1", bridge="br-lan", mac="02:11:22:33:44:55", host_ifname="myveth", host_mac="02:11:22:33:44:56"),
    Netif(name="eth0", ip_address=("198.51.100.20/24",), gateway=("198.51.100.1",)),
    Netif(name="eth0", ip_address=("fd42:7a6b::20/64", "198.51.100.20/24"), gateway=("198.51.100.1", "fd42:7a6b::1")),
])
def test_netif_round_trip(netif):
    several = (netif, Netif(name="eth9", bridge="vzbr9"))
    assert netconf.parse_netif(netconf.render_netif(several)) == several
    assert netconf.parse_netif(netconf.render_netif((netif,))) == (netif,)


@pytest.mark.parametrize("gateway", [
    ["198.51.100.1", "fd42:7a6b::1"],
    ["fd42:7a6b::1", "198.51.100.1"],  # the option may list IPv6 first
    ["fd42:7a6b:0::1"],
    ["198.51.100.1"],
])
def test_netif_from_option_round_trip(gateway):
    option = {"name": "eth0", "bridge": "vzbr0", "ip_address": ["198.51.100.20/24", "fd42:7a6b::20/64"], "gateway": gateway}
    netif = netconf.netif_from_dict(option, param="netif[0]")
    assert netconf.parse_netif(netconf.render_netif((netif,))) == (netif,)


@pytest.mark.parametrize("text, expected", [
    (None, ()),
    ("", ()),
    (" ; ", ()),
    ("ifname=eth0,bridge=vzbr0;", (Netif(name="eth0", bridge="vzbr0"),)),
    (" ifname = eth0 , bridge= vzbr0 , mac=02:00:5E:10:00:01 ", (Netif(name="eth0", bridge="vzbr0", mac="02:00:5e:10:00:01"),)),
    # as vzctl writes it (key order, uppercase MACs)
    ("ifname=eth0,mac=00:18:51:A3:3B:2C,host_ifname=veth101.0,host_mac=00:18:51:1F:7E:90,bridge=vmbr0",
     (Netif(name="eth0", bridge="vmbr0", mac="00:18:51:a3:3b:2c", host_ifname="veth101.0", host_mac="00:18:51:1f:7e:90"),)),
    ("ifname=eth0,ip=198.51.100.20/24 fd42:7a6b:0::20/64,gw6=fd42:7a6b::1,gw=198.51.100.1",
     (Netif(name="eth0", ip_address=("198.51.100.20/24", "fd42:7a6b::20/64"), gateway=("198.51.100.1", "fd42:7a6b::1")),)),
    ("ifname=eth0,create_bridge=no", (Netif(name="eth0"),)),
    ("ifname=eth0,create_bridge=true", (Netif(name="eth0", create_bridge=True),)),
    ("ifname=eth0,mtu=", (Netif(name="eth0"),)),
])
def test_parse_netif(text, expected):
    assert netconf.parse_netif(text) == expected


@pytest.mark.parametrize("text, param", [
    ("eth0", "NETIF[0]"),
    ("ifname=eth0,speed=10", "NETIF[0]"),
    ("ifname=eth0,", "NETIF[0]"),
    ("ifname=eth0;ifname=eth1,bridge", "NETIF[1]"),
    ("bridge=vzbr0", "NETIF[0].name"),
    ("ifname=eth 0", "NETIF[0].name"),
    ("ifname=eth0,bridge=br/0", "NETIF[0].bridge"),
    ("ifname=eth0,mac=01:00:5e:00:00:01", "NETIF[0].mac"),
    ("ifname=eth0;ifname=eth1,host_mac=zz", "NETIF[1].host_mac"),
    ("ifname=eth0,host_ifname=venet101", "NETIF[0].host_ifname"),
    ("ifname=eth0,mtu=9", "NETIF[0].mtu"),
    ("ifname=eth0,ip=198.51.100.20/24 127.0.0.1", "NETIF[0].ip_address[1]"),
    ("ifname=eth0,ip=198.51.100.20/24,gw=10.113.0.1", "NETIF[0].gateway"),
    ("ifname=eth0,ip=198.51.100.20/24,gw6=fd42::1", "NETIF[0].gateway"),
])
def test_bad_netif_values(text, param):
    refused(param, netconf.parse_netif, text)


def netif_option(**kw) -> dict:
    """One `netif` entry as Ansible passes it: every option present, unset ones None."""
    d = dict.fromkeys(("name", "bridge", "mac", "host_ifname", "host_mac", "mtu", "ip_address", "gateway"))
    d["create_bridge"] = False
    d.update(kw)
    return d


@pytest.mark.parametrize("option, expected", [
    (netif_option(name="eth0", bridge="vzbr0"), Netif(name="eth0", bridge="vzbr0")),
    (netif_option(name="eth0", bridge="vzbr0", mac="02-00-5E-10-00-01", host_mac="06:00:5e:10:00:01", host_ifname="veth101.0",
                  mtu=1400, ip_address=["198.51.100.20/24", "fd42:7a6b:0::20/64"], gateway=["198.51.100.1", "fd42:7a6b::1"],
                  create_bridge=True),
     FULL),
    (netif_option(name="eth0", mtu="9000"), Netif(name="eth0", mtu=9000)),
    (netif_option(name="eth0", mtu=68), Netif(name="eth0", mtu=68)),
    (netif_option(name="eth0", mtu=65535), Netif(name="eth0", mtu=65535)),
    (netif_option(name="eth0", ip_address=["198.51.100.20/24"], gateway=["198.51.100.254"]),
     Netif(name="eth0", ip_address=("198.51.100.20/24",), gateway=("198.51.100.254",))),
    (netif_option(name="eth0", ip_address=["198.51.100.20/24"], gateway=[]), Netif(name="eth0", ip_address=("198.51.100.20/24",))),
    ({"name": "eth0"}, Netif(name="eth0")),
])
def test_netif_from_option(option, expected):
    assert netconf.netif_from_dict(option, param="netif[0]") == expected


@pytest.mark.parametrize("option, param, message", [
    (netif_option(), "netif[0].name", "is not an interface name"),
    (netif_option(name="x" * 16), "netif[0].name", "is not an interface name"),
    (netif_option(name="eth0", bridge="a b"), "netif[0].bridge", "is not an interface name"),
    (netif_option(name="eth0", mac="02:00:5e:10:00"), "netif[0].mac", "is not a MAC address"),
    (netif_option(name="eth0", host_mac="01:00:5e:10:00:01"), "netif[0].host_mac", "multicast"),
    (netif_option(name="eth0", host_ifname="veth 0"), "netif[0].host_ifname", "is not an interface name"),
    (netif_option(name="eth0", host_ifname="venet7"), "netif[0].host_ifname", "kept for routed interfaces"),
    (netif_option(name="eth0", mtu=67), "netif[0].mtu", "is not an MTU"),
    (netif_option(name="eth0", mtu=65536), "netif[0].mtu", "is not an MTU"),
    (netif_option(name="eth0", mtu="1500 bytes"), "netif[0].mtu", "is not an MTU"),
    (netif_option(name="eth0", mtu=-1), "netif[0].mtu", "is not an MTU"),
    (netif_option(name="eth0", ip_address=["198.51.100.20/24", "fe80::1/64"]), "netif[0].ip_address[1]", "link-local"),
    (netif_option(name="eth0", ip_address=["198.51.100.20/24", "198.51.100.20/25"]), "netif[0].ip_address", "listed twice"),
    (netif_option(name="eth0", gateway=["198.51.100.1"]), "netif[0].gateway", "not on this interface's networks (none)"),
    (netif_option(name="eth0", ip_address=["198.51.100.20/24"], gateway=["198.51.101.1"]), "netif[0].gateway", "not on this"),
    (netif_option(name="eth0", ip_address=["198.51.100.20"], gateway=["198.51.100.1"]), "netif[0].gateway", "not on this"),
    (netif_option(name="eth0", ip_address=["198.51.100.20/24"], gateway=["fd42::1"]), "netif[0].gateway", "not on this"),
    (netif_option(name="eth0", ip_address=["198.51.100.20/24"], gateway=["router"]), "netif[0].gateway", "is not an IP address"),
    (netif_option(name="eth0", ip_address=["198.51.100.20/24"], gateway=["198.51.100.1", "198.51.100.2"]),
     "netif[0].gateway", "two IPv4 gateways"),
    (netif_option(name="eth0", ip_address=["fd42::20/64"], gateway=["fd42::1", "fd42::2"]), "netif[0].gateway", "two IPv6 gateways"),
])
def test_bad_netif_options(option, param, message):
    err = refused(param, netconf.netif_from_dict, option, param="netif[0]")
    assert message in str(err)


# ---- completing the requested interfaces -------------------------------------------------------

def complete(requested, current=(), ctid="101"):
    return netconf.complete_netifs(requested, current, ctid=ctid, machine_id=MACHINE_ID)


def test_complete_fills_in_names_and_macs():
    eth0, eth1 = complete((Netif(name="eth0", bridge="vzbr0"), Netif(name="eth1", bridge="vzbr1")))
    assert (eth0.host_ifname, eth1.host_ifname) == ("veth101.0", "veth101.1")
    assert eth0.mac == netconf.derive_mac("%s/101/eth0/ct" % MACHINE_ID)
    assert eth0.host_mac == netconf.derive_mac("%s/101/eth0/host" % MACHINE_ID)
    assert eth1.mac == netconf.derive_mac("%s/101/eth1/ct" % MACHINE_ID)
    assert len({eth0.mac, eth0.host_mac, eth1.mac, eth1.host_mac}) == 4
    assert complete((Netif(name="eth0", bridge="vzbr0"),)) == (eth0,)  # stable
    other = complete((Netif(name="eth0", bridge="vzbr0"),), ctid="102")[0]
    assert other.host_ifname == "veth102.0"
    assert {other.mac, other.host_mac}.isdisjoint({eth0.mac, eth0.host_mac})


def test_complete_keeps_what_the_current_config_has():
    current = netconf.parse_netif("ifname=eth0,bridge=vzbr0,mac=00:18:51:a3:3b:2c,host_ifname=veth101.7,host_mac=00:18:51:1f:7e:90")
    got = complete((Netif(name="eth0", bridge="vzbr1", mtu=9000),), current)
    assert got == (Netif(name="eth0", bridge="vzbr1", mac="00:18:51:a3:3b:2c", host_ifname="veth101.7",
                         host_mac="00:18:51:1f:7e:90", mtu=9000),)


def test_complete_keeps_by_name_not_position():
    current = complete((Netif(name="eth0", bridge="vzbr0"), Netif(name="eth1", bridge="vzbr1")))
    got = complete((Netif(name="eth1", bridge="vzbr1"), Netif(name="eth0", bridge="vzbr0")), current)
    assert got == (current[1], current[0])
    assert complete((Netif(name="eth1", bridge="vzbr1"),), current) == (current[1],)


def test_complete_prefers_what_is_asked():
    current = complete((Netif(name="eth0", bridge="vzbr0"),))
    asked = Netif(name="eth0", bridge="vzbr0", mac="02:00:00:00:00:01", host_mac="02:00:00:00:00:02", host_ifname="ct101")
    assert complete((asked,), current) == (asked,)


def test_complete_adds_an_interface_in_front_of_existing_ones():
    current = complete((Netif(name="eth0", bridge="vzbr0"),))
    got = complete((Netif(name="eth1", bridge="vzbr1"), Netif(name="eth0", bridge="vzbr0")), current)
    assert got[1] == current[0]
    assert got[0].host_ifname != got[1].host_ifname


@pytest.mark.parametrize("requested, current, param, message", [
    ((Netif(name="eth0", bridge="a"), Netif(name="eth0", bridge="b")), (), "netif[1].name", "used twice"),
    ((Netif(name="venet0", bridge="a"),), (), "netif[0].name", "venet0"),
    ((Netif(name="lo", bridge="a"),), (), "netif[0].name", "lo"),
    ((Netif(name="eth0", bridge="a", host_ifname="v1"), Netif(name="eth1", bridge="b", host_ifname="v1")), (),
     "netif[1].host_ifname", "host_ifname v1 is used twice"),
    ((Netif(name="eth0", bridge="a", mac="02:00:00:00:00:01", host_mac="02:00:00:00:00:01"),), (), "netif[0].mac", "used twice"),
    ((Netif(name="eth0", bridge="a", mac="02:00:00:00:00:01"), Netif(name="eth1", bridge="b", mac="02:00:00:00:00:01")), (),
     "netif[1].mac", "used twice"),
    ((Netif(name="eth0", bridge="a", mac="02:00:00:00:00:01"), Netif(name="eth1", bridge="b", host_mac="02:00:00:00:00:01")), (),
     "netif[1].mac", "used twice"),
    ((Netif(name="eth0", bridge="a"), Netif(name="eth1", bridge="b", mac="02:00:00:00:00:09")),
     (Netif(name="eth0", bridge="a", mac="02:00:00:00:00:09", host_ifname="veth101.0", host_mac="02:00:00:00:00:0a"),),
     "netif[1].mac", "02:00:00:00:00:09 is used twice"),
    ((Netif(name="eth0"),), (), "netif[0].bridge", "has no bridge"),
    ((Netif(name="eth0", bridge="a"), Netif(name="eth1")), (), "netif[1].bridge", "eth1 has no bridge"),
])
def test_complete_refuses_duplicates(requested, current, param, message):
    err = refused(param, complete, requested, current)
    assert message in str(err)


# ---- NetConfig ---------------------------------------------------------------------------------

def test_netconfig_from_conf():
    nc = NetConfig.from_conf("101", {"IP_ADDRESS": " 198.51.100.10  fd42:7a6b:0::10/128 10.113.0.5/24",
                                     "NETIF": "ifname=eth0,bridge=vzbr0,ip=10.2.0.20/24,gw=10.2.0.1", "HOSTNAME": "web"})
    assert nc == NetConfig("101", ("198.51.100.10", "fd42:7a6b::10", "10.113.0.5/24"),
                           (Netif(name="eth0", bridge="vzbr0", ip_address=("10.2.0.20/24",), gateway=("10.2.0.1",)),))
    assert nc
    assert nc.routed_host_ifname == "venet101"
    expected = ("198.51.100.10", "fd42:7a6b::10", "10.113.0.5/24", "10.2.0.20/24")
    assert nc.all_addresses() == [ipaddress.ip_interface(a) for a in expected]


@pytest.mark.parametrize("items", [{}, {"IP_ADDRESS": ""}, {"IP_ADDRESS": "  ", "NETIF": ""}, {"HOSTNAME": "web"}])
def test_empty_netconfig_is_false(items):
    nc = NetConfig.from_conf("101", items)
    assert nc == NetConfig("101")
    assert not nc
    assert nc.all_addresses() == []
    assert nc.routed_default_families() == set()


@pytest.mark.parametrize("items, param", [
    ({"IP_ADDRESS": "198.51.100.10 localhost"}, "IP_ADDRESS[1]"),
    ({"IP_ADDRESS": "198.51.100.10 198.51.100.10/32"}, "IP_ADDRESS"),
    ({"NETIF": "ifname=eth0,mac=nope"}, "NETIF[0].mac"),
])
def test_bad_netconfig(items, param):
    refused(param, NetConfig.from_conf, "101", items)


@pytest.mark.parametrize("ip_address, netif, expected", [
    ("198.51.100.10", "", {4}),
    ("fd42::10", "", {6}),
    ("198.51.100.10 fd42::10", "", {4, 6}),
    ("198.51.100.10 fd42::10", "ifname=eth0,ip=10.2.0.20/24,gw=10.2.0.1", {6}),
    ("198.51.100.10 fd42::10", "ifname=eth0,ip=fd43::20/64,gw6=fd43::1", {4}),
    ("198.51.100.10 fd42::10", "ifname=eth0,ip=10.2.0.20/24 fd43::20/64,gw=10.2.0.1,gw6=fd43::1", set()),
    ("198.51.100.10", "ifname=eth0,ip=fd43::20/64,gw6=fd43::1", {4}),
    ("", "ifname=eth0,ip=10.2.0.20/24,gw=10.2.0.1", set()),
    ("198.51.100.10", "ifname=eth0,ip=10.2.0.20/24", {4}),
])
def test_routed_default_families(ip_address, netif, expected):
    assert NetConfig.from_conf("101", {"IP_ADDRESS": ip_address, "NETIF": netif}).routed_default_families() == expected


# ---- conflicts ---------------------------------------------------------------------------------

MINE = NetConfig.from_conf("101", {"IP_ADDRESS": "198.51.100.10 fd42:7a6b::10",
                                   "NETIF": "ifname=eth0,bridge=vzbr0,ip=10.2.0.20/24"})


@pytest.mark.parametrize("others, expected", [
    ([], []),
    ([("102", {"IP_ADDRESS": "198.51.100.11"})], []),
    ([("102", {"IP_ADDRESS": "198.51.100.10/24"})], [("198.51.100.10", "102")]),
    ([("102", {"IP_ADDRESS": "fd42:7a6b:0:0::10/64"})], [("fd42:7a6b::10", "102")]),
    ([("102", {"NETIF": "ifname=eth0,ip=198.51.100.10/24"})], [("198.51.100.10", "102")]),
    ([("102", {"IP_ADDRESS": "10.2.0.20"})], [("10.2.0.20", "102")]),
    ([("102", {"IP_ADDRESS": "10.2.0.21"}), ("103", {"IP_ADDRESS": "198.51.100.10 fd42:7a6b::10"}),
      ("104", {"NETIF": "ifname=eth1,ip=10.2.0.20/25"})],
     [("198.51.100.10", "103"), ("fd42:7a6b::10", "103"), ("10.2.0.20", "104")]),
    ([("102", {"IP_ADDRESS": "198.51.100.10 nonsense"}), ("103", {"NETIF": "broken"})], []),
    ([("102", {"IP_ADDRESS": "198.51.100.10 nonsense"}), ("103", {"IP_ADDRESS": "198.51.100.10"})], [("198.51.100.10", "103")]),
])
def test_conflicts(others, expected):
    assert netconf.conflicts(MINE, others) == expected


def test_no_conflicts_without_addresses():
    assert netconf.conflicts(NetConfig("101"), [("102", {"IP_ADDRESS": "198.51.100.10"})]) == []
