# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of _net._steps: ownership, planning from hand-built netlink views, nftables text.

A ``View`` is what netlink would show of one namespace; the plans are compared as their words.
Nothing here opens a netlink socket.
"""
from __future__ import annotations

import ipaddress
import json
from dataclasses import replace

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError, VzStateError
from ansible_collections.vzkit.vz.plugins.module_utils._net import _antispoof as antispoof
from ansible_collections.vzkit.vz.plugins.module_utils._net import _steps as network
from ansible_collections.vzkit.vz.plugins.module_utils._net import _view as netview
from ansible_collections.vzkit.vz.plugins.module_utils._net._config import NetConfig, Netif
from ansible_collections.vzkit.vz.plugins.module_utils._net._steps import Env
from ansible_collections.vzkit.vz.plugins.module_utils._net._view import Link, View

CT_MAC, HOST_MAC = "02:00:5e:10:00:01", "06:00:5e:10:00:01"


def link(index, name, *, kind="veth", alias=None, mac=None, mtu=1500, master=0, up=True) -> Link:
    return Link(index=index, name=name, kind=kind, alias=alias, mac=mac, mtu=mtu, master=master, up=up)


def view(*links, addrs=None, lladdrs=None, routes=()) -> View:
    return View(links={ln.name: ln for ln in links}, addrs={k: set(v) for k, v in (addrs or {}).items()},
                lladdrs={k: set(v) for k, v in (lladdrs or {}).items()}, routes=list(routes))


def descs(steps) -> list:
    assert all(isinstance(s, network.Step) for s in steps)
    return [s.desc for s in steps]


def routed(*addresses, ctid="101") -> NetConfig:
    return NetConfig(ctid, tuple(addresses))


# ---- ownership ---------------------------------------------------------------------------------

@pytest.mark.parametrize("link_alias, expected", [
    ("vzkit 101 routed", "101"),
    ("vzkit 101 netif eth0", "101"),
    ("vzkit web-1.x netif eth1", "web-1.x"),
    ("  vzkit   101   routed  ", "101"),
    ("vzkit 101", None),
    ("vzkit", None),
    ("", None),
    (None, None),
    ("uplink to the rack switch", None),
    ("VZKIT 101 routed", None),
    ("vzkit101 routed x", None),
])
def test_owner(link_alias, expected):
    assert netview.owner(link_alias) == expected


@pytest.mark.parametrize("ctid, what, expected", [
    ("101", ("routed",), "vzkit 101 routed"),
    ("101", ("netif", "eth0"), "vzkit 101 netif eth0"),
    ("x" * 64, ("netif", "eth1"), "vzkit %s netif eth1" % ("x" * 64)),
])
def test_alias_is_owned(ctid, what, expected):
    assert netview.alias(ctid, *what) == expected
    assert netview.owner(netview.alias(ctid, *what)) == ctid


# ---- views -------------------------------------------------------------------------------------

def test_view_lookups():
    v = view(link(1, "lo", kind=None), link(2, "venet0"),
             routes=[(2, "198.51.100.0/24", None, 2), (2, "0.0.0.0/0", None, 2), (10, "::/0", "fe80::1", 2)])
    assert v.by_index(2).name == "venet0"
    assert v.by_index(9) is None
    assert v.default_route(2) == (None, 2)
    assert v.default_route(10) == ("fe80::1", 2)
    assert View().default_route(2) is None
    assert View() == View(links={}, addrs={}, lladdrs={}, routes=[])


def test_env_defaults():
    assert Env() == Env(neighbour_devs="detect", create_bridge=False)


# ---- the host's own addresses ------------------------------------------------------------------

HOST = view(link(1, "lo", kind=None), link(2, "eth0", kind=None, mac="52:54:00:12:34:56"), link(3, "vzbr0", kind="bridge"),
            link(7, "venet101", alias="vzkit 101 routed"), link(8, "venet102", alias="vzkit 102 routed"),
            addrs={1: ["127.0.0.1/8", "::1/128"], 2: ["198.51.100.2/24", "fd42:7a6b::2/64"], 3: ["10.2.0.1/24"],
                   7: ["198.51.100.10/32"], 8: ["198.51.100.11/32"], 99: ["10.113.0.1/24"]})


@pytest.mark.parametrize("after", [
    routed("198.51.100.10"),
    routed("198.51.100.12", "fd42:7a6b::10", "10.2.0.2/24"),
    routed("10.113.0.1"),  # on a link netlink no longer lists
    NetConfig("101", (), (Netif(name="eth0", bridge="vzbr0", ip_address=("10.2.0.2/24",)),)),
    NetConfig("101"),
])
def test_check_host_addresses_allows(after):
    network.check_addresses(HOST, after, {"venet101"})


@pytest.mark.parametrize("after, ours, message", [
    (routed("198.51.100.2"), {"venet101"}, "198.51.100.2 is an address of this host (on eth0)"),
    (routed("198.51.100.9", "fd42:7a6b:0:0::2/64"), {"venet101"}, "fd42:7a6b::2 is an address of this host (on eth0)"),
    (routed("198.51.100.10"), set(), "198.51.100.10 is an address of this host (on venet101)"),
    (routed("198.51.100.11"), {"venet101"}, "198.51.100.11 is an address of this host (on venet102)"),
    (NetConfig("101", (), (Netif(name="eth0", bridge="vzbr0", ip_address=("10.2.0.1/24",)),)), {"venet101"},
     "10.2.0.1 is an address of this host (on vzbr0)"),
])
def test_check_host_addresses_refuses(after, ours, message):
    with pytest.raises(VzConfigError) as exc:
        network.check_addresses(HOST, after, ours)
    assert message in str(exc.value)
    assert exc.value.details["hint"]


# ---- neighbour devices -------------------------------------------------------------------------

NEIGH = view(link(1, "lo", kind=None), link(2, "eth0", kind=None), link(3, "eth1", kind=None, up=False),
             link(4, "vzbr0", kind="bridge"), link(5, "enp1s0", kind=None, master=4),
             link(7, "venet101", alias="vzkit 101 routed"), link(8, "veth102.0", alias="vzkit 102 netif eth0", master=4),
             addrs={1: ["127.0.0.1/8"], 2: ["198.51.100.2/24", "fd42:7a6b::2/64"], 3: ["10.113.0.2/24"],
                    4: ["10.2.0.1/24", "198.51.0.1/16"], 5: ["10.1.0.1/16"], 7: ["10.7.0.1/16"], 8: ["10.8.0.1/16"]})


@pytest.mark.parametrize("setting, ip, expected", [
    ("detect", "198.51.100.10", ["eth0", "vzbr0"]),
    ("detect", "198.51.7.7", ["vzbr0"]),
    ("detect", "fd42:7a6b::10", ["eth0"]),
    ("detect", "fd43::10", []),
    ("detect", "10.2.0.50", ["vzbr0"]),
    ("detect", "10.113.0.9", ["eth1"]),
    ("detect", "127.0.0.5", []),
    ("detect", "10.1.0.9", []),
    ("detect", "10.7.0.9", []),
    ("detect", "10.8.0.9", []),
    ("detect", "100.64.0.1", []),
    (None, "198.51.100.10", ["eth0", "vzbr0"]),
    ("", "198.51.100.10", ["eth0", "vzbr0"]),
    ("all", "198.51.100.10", ["eth0", "vzbr0"]),
    ("all", "fd43::10", ["eth0", "vzbr0"]),
    ("none", "198.51.100.10", []),
    ("eth1 eth0", "198.51.100.10", ["eth1", "eth0"]),
    ("eth0 nosuchdev", "fd42:7a6b::10", ["eth0"]),
    ("nosuchdev", "198.51.100.10", []),
])
def test_neighbour_devices(setting, ip, expected):
    assert network.neighbour_devices(NEIGH, ipaddress.ip_address(ip), Env(neighbour_devs=setting)) == expected


# ---- routed pair -------------------------------------------------------------------------------

ROUTED_HOST_LINK = link(7, "venet101", alias="vzkit 101 routed")
ROUTED_CT_LINK = link(2, "venet0")


def routed_views(*, host_routes=(), inside=(), ll=("fe80::1/64", "fe80::d4a1:1ff:fe2b:3c4d/64"), host_link=ROUTED_HOST_LINK,
                 ct_link=ROUTED_CT_LINK):
    hv = view(link(1, "lo", kind=None), link(2, "eth0", kind=None), *([host_link] if host_link else []),
              addrs={2: ["198.51.100.2/24"]}, lladdrs={host_link.index: ll} if host_link else {},
              routes=[(10 if ":" in d else 2, d, None, 7) for d in host_routes] + [(2, "198.51.100.0/24", None, 2)])
    cv = view(link(1, "lo", kind=None), *([ct_link] if ct_link else []), addrs={2: inside} if ct_link else {})
    return hv, cv


CREATE_PAIR = "create routed pair venet101 (host) / venet0 (container)"
ADD_GW6 = "add gateway fe80::1 on venet101"


@pytest.mark.parametrize("views, before, after, expected", [
    (routed_views(host_link=None, ct_link=None), None, routed("198.51.100.10"),
     [CREATE_PAIR, "add address 198.51.100.10 inside (venet0)", "route 198.51.100.10/32 to venet101"]),
    (routed_views(host_link=None, ct_link=None), None, routed("198.51.100.10", "fd42:7a6b::10", "10.113.0.5/24"),
     [CREATE_PAIR, ADD_GW6,
      "add address 198.51.100.10 inside (venet0)", "route 198.51.100.10/32 to venet101",
      "add address fd42:7a6b::10 inside (venet0)", "route fd42:7a6b::10/128 to venet101",
      "add address 10.113.0.5/24 inside (venet0)", "route 10.113.0.5/32 to venet101"]),
    # everything in place
    (routed_views(host_routes=["198.51.100.10/32", "fd42:7a6b::10/128", "10.113.0.5/32", "fe80::/64"],
                  inside=["198.51.100.10/32", "fd42:7a6b::10/128", "10.113.0.5/24"]),
     routed("198.51.100.10", "fd42:7a6b::10", "10.113.0.5/24"), routed("198.51.100.10", "fd42:7a6b::10", "10.113.0.5/24"), []),
    # drift: a route and an address gone, the IPv6 gateway gone
    (routed_views(host_routes=["198.51.100.10/32"], inside=["fd42:7a6b::10/128"], ll=["fe80::d4a1:1ff:fe2b:3c4d/64"]),
     routed("198.51.100.10", "fd42:7a6b::10"), routed("198.51.100.10", "fd42:7a6b::10"),
     [ADD_GW6, "add address 198.51.100.10 inside (venet0)", "route fd42:7a6b::10/128 to venet101"]),
    # no IPv6 address: no gateway wanted, a missing one is no drift
    (routed_views(host_routes=["198.51.100.10/32"], inside=["198.51.100.10/32"], ll=[]),
     routed("198.51.100.10"), routed("198.51.100.10"), []),
    # the host side is left from an earlier start: its container side is gone
    (routed_views(host_routes=["198.51.100.10/32"], ct_link=None), routed("198.51.100.10"), routed("198.51.100.10"),
     ["remove stale interface venet101", CREATE_PAIR, "add address 198.51.100.10 inside (venet0)",
      "route 198.51.100.10/32 to venet101"]),
    # an address removed, one added; routes other than host routes stay
    (routed_views(host_routes=["198.51.100.10/32", "198.51.100.11/32", "fd42:7a6b::11/128", "fe80::/64", "10.0.0.0/8"],
                  inside=["198.51.100.10/32", "198.51.100.11/32", "fd42:7a6b::11/128"]),
     routed("198.51.100.10", "198.51.100.11", "fd42:7a6b::11"), routed("198.51.100.10", "198.51.100.12"),
     ["add address 198.51.100.12 inside (venet0)", "route 198.51.100.12/32 to venet101",
      "remove route 198.51.100.11/32 from venet101", "remove route fd42:7a6b::11/128 from venet101",
      "remove address 198.51.100.11 inside (venet0)", "remove address fd42:7a6b::11 inside (venet0)"]),
    # addresses the container added itself stay; only what vzkit configured is removed
    (routed_views(host_routes=["198.51.100.10/32"], inside=["198.51.100.10/32", "198.51.100.99/32", "10.9.0.1/24"]),
     routed("198.51.100.10"), routed("198.51.100.10"), []),
    # a routed address whose prefix changed: the new one is added, the old one removed, the route stays
    (routed_views(host_routes=["10.113.0.5/32"], inside=["10.113.0.5/24"]), routed("10.113.0.5/24"), routed("10.113.0.5"),
     ["add address 10.113.0.5 inside (venet0)", "remove address 10.113.0.5/24 inside (venet0)"]),
    # a before address the container no longer holds is not removed twice
    (routed_views(host_routes=["198.51.100.10/32"], inside=["198.51.100.10/32"]), routed("198.51.100.10", "198.51.100.11"),
     routed("198.51.100.10"), []),
])
def test_plan_routed(views, before, after, expected):
    hv, cv = views
    steps = []
    network._plan_routed(hv, cv, before, after, steps)
    assert descs(steps) == expected


@pytest.mark.parametrize("host_alias", [None, "", "vzkit 102 routed", "someone else's"])
def test_plan_routed_refuses_a_foreign_host_interface(host_alias):
    hv, cv = routed_views(host_link=link(7, "venet101", alias=host_alias))
    with pytest.raises(VzStateError) as exc:
        network._plan_routed(hv, cv, None, routed("198.51.100.10"), [])
    assert exc.value.details["param"] == "ip_address"
    assert "venet101 exists and is not container 101's" in str(exc.value)


# ---- bridged interfaces ------------------------------------------------------------------------

ETH0 = Netif(name="eth0", bridge="vzbr0", mac=CT_MAC, host_ifname="veth101.0", host_mac=HOST_MAC,
             ip_address=("198.51.100.20/24", "fd42:7a6b::20/64"), gateway=("198.51.100.1",))
BRIDGE = link(3, "vzbr0", kind="bridge", mac="52:54:00:aa:bb:cc")
HOST_SIDE = link(8, "veth101.0", alias="vzkit 101 netif eth0", mac=HOST_MAC, master=3)
CT_SIDE = link(2, "eth0", mac=CT_MAC)
CREATE_ETH0 = "create interface veth101.0 (host, in vzbr0) / eth0 (container)"
ADD_BOTH = ["add address 198.51.100.20/24 inside (eth0)", "add address fd42:7a6b::20/64 inside (eth0)"]


def netif_views(*, bridge=BRIDGE, host_side=HOST_SIDE, ct_side=CT_SIDE, inside=("198.51.100.20/24", "fd42:7a6b::20/64")):
    hv = view(link(1, "lo", kind=None), link(2, "eth0", kind=None), *[ln for ln in (bridge, host_side) if ln])
    cv = view(link(1, "lo", kind=None), *([ct_side] if ct_side else []), addrs={ct_side.index: inside} if ct_side else {})
    return hv, cv


def with_netif(n: Netif, ctid="101") -> NetConfig:
    return NetConfig(ctid, (), (n,))


@pytest.mark.parametrize("views, before, n, env, expected", [
    (netif_views(host_side=None, ct_side=None), None, ETH0, Env(), [CREATE_ETH0] + ADD_BOTH),
    (netif_views(), with_netif(ETH0), ETH0, Env(), []),
    (netif_views(), None, ETH0, Env(), []),
    # the bridge is missing and may be created
    (netif_views(bridge=None, host_side=None, ct_side=None), None, replace(ETH0, create_bridge=True), Env(),
     ["create bridge vzbr0", CREATE_ETH0] + ADD_BOTH),
    (netif_views(bridge=None, host_side=None, ct_side=None), None, ETH0, Env(create_bridge=True),
     ["create bridge vzbr0", CREATE_ETH0] + ADD_BOTH),
    (netif_views(bridge=None), None, ETH0, Env(create_bridge=True), ["create bridge vzbr0", "move veth101.0 into bridge vzbr0"]),
    # a MAC changed, or the container side is gone: the pair is made again
    (netif_views(ct_side=link(2, "eth0", mac="02:00:5e:10:00:99")), with_netif(ETH0), ETH0, Env(),
     ["recreate interface veth101.0 (its container side or a MAC changed)", CREATE_ETH0] + ADD_BOTH),
    (netif_views(host_side=link(8, "veth101.0", alias="vzkit 101 netif eth0", mac="06:00:5e:10:00:99", master=3)),
     with_netif(ETH0), ETH0, Env(),
     ["recreate interface veth101.0 (its container side or a MAC changed)", CREATE_ETH0] + ADD_BOTH),
    (netif_views(ct_side=None), with_netif(ETH0), ETH0, Env(),
     ["recreate interface veth101.0 (its container side or a MAC changed)", CREATE_ETH0] + ADD_BOTH),
    # out of its bridge, or in another one
    (netif_views(host_side=link(8, "veth101.0", alias="vzkit 101 netif eth0", mac=HOST_MAC, master=0)), None, ETH0, Env(),
     ["move veth101.0 into bridge vzbr0"]),
    (netif_views(host_side=link(8, "veth101.0", alias="vzkit 101 netif eth0", mac=HOST_MAC, master=4)), None, ETH0, Env(),
     ["move veth101.0 into bridge vzbr0"]),
    # MTU
    (netif_views(), None, replace(ETH0, mtu=9000), Env(), ["set MTU 9000 on veth101.0 and eth0"]),
    (netif_views(host_side=link(8, "veth101.0", alias="vzkit 101 netif eth0", mac=HOST_MAC, master=3, mtu=9000)), None,
     replace(ETH0, mtu=9000), Env(), ["set MTU 9000 on veth101.0 and eth0"]),
    (netif_views(host_side=link(8, "veth101.0", alias="vzkit 101 netif eth0", mac=HOST_MAC, master=3, mtu=9000),
                 ct_side=link(2, "eth0", mac=CT_MAC, mtu=9000)), None, replace(ETH0, mtu=9000), Env(), []),
    (netif_views(host_side=link(8, "veth101.0", alias="vzkit 101 netif eth0", mac=HOST_MAC, master=3, mtu=9000)), None,
     ETH0, Env(), []),
    # addresses: vzkit's old ones go, the container's own stay
    (netif_views(inside=["198.51.100.21/24", "fd42:7a6b::20/64", "10.9.0.1/24"]),
     with_netif(replace(ETH0, ip_address=("198.51.100.21/24", "fd42:7a6b::20/64"))), ETH0, Env(),
     ["add address 198.51.100.20/24 inside (eth0)", "remove address 198.51.100.21/24 inside (eth0)"]),
    (netif_views(inside=["198.51.100.20/24"]), with_netif(ETH0), replace(ETH0, ip_address=(), gateway=()), Env(),
     ["remove address 198.51.100.20/24 inside (eth0)"]),
    (netif_views(inside=[]), with_netif(ETH0), replace(ETH0, ip_address=(), gateway=()), Env(), []),
    # host-prefix addresses: netlink shows them with their /32 or /128, the config without
    pytest.param(netif_views(inside=["198.51.100.20/32", "fd42:7a6b::20/128"]), None,
                 replace(ETH0, ip_address=("198.51.100.20", "fd42:7a6b::20"), gateway=()), Env(), [], id="host-prefix-in-place"),
    pytest.param(netif_views(inside=["198.51.100.20/32"]), with_netif(replace(ETH0, ip_address=("198.51.100.20",), gateway=())),
                 replace(ETH0, ip_address=(), gateway=()), Env(), ["remove address 198.51.100.20 inside (eth0)"],
                 id="host-prefix-removed"),
])
def test_plan_netif(views, before, n, env, expected):
    hv, cv = views
    steps = []
    network._plan_netif(hv, cv, before, with_netif(n), 0, n, env, steps)
    assert descs(steps) == expected


@pytest.mark.parametrize("views, n, error, param, message", [
    (netif_views(bridge=None, host_side=None, ct_side=None), ETH0, VzConfigError, "netif[2].bridge",
     "bridge vzbr0 does not exist on this host"),
    (netif_views(bridge=link(3, "vzbr0", kind=None), host_side=None, ct_side=None), ETH0, VzConfigError, "netif[2].bridge",
     "vzbr0 is a plain interface, not a bridge"),
    (netif_views(bridge=link(3, "vzbr0", kind="veth"), host_side=None, ct_side=None), ETH0, VzConfigError, "netif[2].bridge",
     "vzbr0 is a veth interface, not a bridge"),
    (netif_views(host_side=link(8, "veth101.0", alias=None, mac=HOST_MAC, master=3)), ETH0, VzStateError,
     "netif[2].host_ifname", "host interface veth101.0 exists and is not container 101's"),
    (netif_views(host_side=link(8, "veth101.0", alias="vzkit 102 netif eth0", mac=HOST_MAC, master=3)), ETH0, VzStateError,
     "netif[2].host_ifname", "host interface veth101.0 exists and is not container 101's"),
])
def test_plan_netif_refuses(views, n, error, param, message):
    hv, cv = views
    with pytest.raises(error) as exc:
        network._plan_netif(hv, cv, None, with_netif(n), 2, n, Env(), [])
    assert exc.value.details["param"] == param
    assert message in str(exc.value)
    assert exc.value.details["hint"]


# ---- default routes inside ---------------------------------------------------------------------

def ct_view(*routes, venet=True, eth0=True) -> View:
    links = [link(1, "lo", kind=None)] + ([link(2, "venet0")] if venet else []) + ([link(3, "eth0")] if eth0 else [])
    return view(*links, routes=list(routes) + [(2, "10.2.0.0/24", None, 3)])


V4_VENET = (2, "0.0.0.0/0", None, 2)
V6_VENET = (10, "::/0", "fe80::1", 2)
V4_ETH0 = (2, "0.0.0.0/0", "10.2.0.1", 3)
V6_ETH0 = (10, "::/0", "fd43::1", 3)
BRIDGED4 = "ifname=eth0,bridge=vzbr0,ip=10.2.0.20/24,gw=10.2.0.1"
BRIDGED6 = "ifname=eth0,bridge=vzbr0,ip=fd43::20/64,gw6=fd43::1"
BRIDGED46 = "ifname=eth0,bridge=vzbr0,ip=10.2.0.20/24 fd43::20/64,gw=10.2.0.1,gw6=fd43::1"
SET4_VENET = "set the IPv4 default route inside: dev venet0"
SET6_VENET = "set the IPv6 default route inside: via fe80::1 dev venet0"
SET4_ETH0 = "set the IPv4 default route inside: via 10.2.0.1 dev eth0"
SET6_ETH0 = "set the IPv6 default route inside: via fd43::1 dev eth0"
DEL4 = "remove the IPv4 default route inside"
DEL6 = "remove the IPv6 default route inside"


def conf(ip_address="", netif="") -> NetConfig:
    return NetConfig.from_conf("101", {"IP_ADDRESS": ip_address, "NETIF": netif})


@pytest.mark.parametrize("cv, before, after, expected", [
    (ct_view(), None, conf(), []),
    (ct_view(), None, conf("198.51.100.10"), [SET4_VENET]),
    (ct_view(), None, conf("198.51.100.10 fd42::10"), [SET4_VENET, SET6_VENET]),
    (ct_view(V4_VENET, V6_VENET), conf("198.51.100.10 fd42::10"), conf("198.51.100.10 fd42::10"), []),
    (ct_view(venet=False), None, conf("198.51.100.10 fd42::10"), [SET4_VENET, SET6_VENET]),
    # drift: through another device or gateway
    (ct_view(V4_ETH0, (10, "::/0", "fe80::2", 2)), None, conf("198.51.100.10 fd42::10"), [SET4_VENET, SET6_VENET]),
    # a bridged gateway takes its family from the routed pair
    (ct_view(V4_VENET, V6_VENET), conf("198.51.100.10 fd42::10"), conf("198.51.100.10 fd42::10", BRIDGED4), [SET4_ETH0]),
    (ct_view(V4_VENET, V6_VENET), conf("198.51.100.10 fd42::10"), conf("198.51.100.10 fd42::10", BRIDGED6), [SET6_ETH0]),
    (ct_view(V4_ETH0, V6_ETH0), None, conf("198.51.100.10 fd42::10", BRIDGED46), []),
    (ct_view(), None, conf("", BRIDGED46), [SET4_ETH0, SET6_ETH0]),
    (ct_view(eth0=False), None, conf("", BRIDGED4), [SET4_ETH0]),
    # and gives it back when it goes
    (ct_view(V4_ETH0, V6_VENET), conf("198.51.100.10 fd42::10", BRIDGED4), conf("198.51.100.10 fd42::10"), [SET4_VENET]),
    # a family vzkit no longer routes loses its default route
    (ct_view(V4_VENET, V6_VENET), conf("198.51.100.10 fd42::10"), conf(), [DEL4, DEL6]),
    (ct_view(V4_VENET, V6_VENET), conf("198.51.100.10 fd42::10"), conf("198.51.100.10"), [DEL6]),
    (ct_view(V4_ETH0), conf("", BRIDGED4), conf("", "ifname=eth0,bridge=vzbr0,ip=10.2.0.20/24"), [DEL4]),
    (ct_view(V4_VENET), conf("198.51.100.10 fd42::10"), conf("198.51.100.10"), []),
    # default routes vzkit never set are the container's own
    (ct_view(V4_ETH0, V6_ETH0), None, conf(), []),
    (ct_view(V4_ETH0, V6_ETH0), conf("", "ifname=eth0,bridge=vzbr0,ip=10.2.0.20/24"), conf(), []),
    (ct_view(V6_ETH0), conf("198.51.100.10"), conf("198.51.100.10"), [SET4_VENET]),
])
def test_plan_default_routes(cv, before, after, expected):
    steps = []
    network._plan_default_routes(cv, before, after, steps)
    assert descs(steps) == expected


# ---- nftables ----------------------------------------------------------------------------------

def nft_json(*items) -> str:
    return json.dumps({"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
                                    {"table": {"family": "inet", "name": "vzkit", "handle": 3}},
                                    {"chain": {"family": "inet", "table": "vzkit", "name": "antispoof", "handle": 1,
                                               "type": "filter", "hook": "prerouting", "prio": -300, "policy": "accept"}}]
                      + list(items)})


def rule(comment=None, handle=2) -> dict:
    r = {"family": "inet", "table": "vzkit", "chain": "antispoof", "handle": handle, "expr": [
        {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "venet*"}},
        {"match": {"op": "==", "left": {"fib": {"result": "oif", "flags": ["saddr", "iif"]}}, "right": False}},
        {"counter": {"packets": 0, "bytes": 0}}, {"drop": None}]}
    if comment is not None:
        r["comment"] = comment
    return {"rule": r}


@pytest.mark.parametrize("text, expected", [
    (nft_json(rule(antispoof.NFT_COMMENT)), True),
    (nft_json(rule("something else"), rule(antispoof.NFT_COMMENT, handle=5)), True),
    (nft_json(), False),
    (nft_json(rule()), False),
    (nft_json(rule("something else")), False),
    (nft_json(rule(antispoof.NFT_COMMENT.upper())), False),
    ('{"nftables": []}', False),
    ("{}", False),
    ("", False),
    ("Error: No such file or directory", False),
    ('{"nftables": [', False),
])
def test_has_rule(text, expected):
    assert antispoof.has_rule(text) is expected


def test_nft_script():
    lines = antispoof.NFT_SCRIPT.splitlines()
    assert lines == [
        "table inet vzkit {",
        "  chain antispoof { type filter hook prerouting priority raw; policy accept; }",
        "}",
        "flush chain inet vzkit antispoof",
        'add rule inet vzkit antispoof iifname "venet*" fib saddr . iif oif missing counter drop '
        'comment "vzkit: routed containers send only from their own addresses"',
    ]
    assert antispoof.NFT_SCRIPT.endswith("\n")
    antispoof.NFT_SCRIPT.encode("ascii")
    assert antispoof.NFT_TABLE == ("inet", "vzkit") and antispoof.NFT_CHAIN == "antispoof"
    assert '"' not in antispoof.NFT_COMMENT and len(antispoof.NFT_COMMENT) <= 128  # nft's comment limit


# ---- small helpers -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, host, with_prefix", [
    ("198.51.100.10", "198.51.100.10/32", "198.51.100.10/32"),
    ("198.51.100.10/24", "198.51.100.10/32", "198.51.100.10/24"),
    ("fd42:7a6b::10", "fd42:7a6b::10/128", "fd42:7a6b::10/128"),
    ("fd42:7a6b::10/64", "fd42:7a6b::10/128", "fd42:7a6b::10/64"),
])
def test_prefix_helpers(text, host, with_prefix):
    assert netview.host_prefix(text) == host
    assert netview.with_prefix(text) == with_prefix
