# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The steps that wire a running container's network: planned from what netlink shows and from the
config before and after, then run through ``_netlink``. Private to vzkit.vz; may change in any release.

Steps are planned from what netlink shows now (so drift is repaired) and from the config before and
after (so only addresses vzkit configured are removed, never ones the container added itself).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from .._errors import VzConfigError, VzStateError
from ._config import ROUTED_IFNAME, NetConfig
from ._netlink import Session, require, run_steps
from ._view import View, alias, host_prefix, owner, read_view, with_prefix
from . import _antispoof as antispoof
from . import _netlink as netlink


@dataclass(frozen=True)
class Step:
    """One change: what it does in words, and the call that does it (fn(session))."""

    desc: str
    fn: object = field(compare=False, repr=False)


@dataclass(frozen=True)
class Env:
    """The host-wide settings that shape a container's network (from vz.conf)."""

    neighbour_devs: str = "detect"   # detect, all, none, or device names
    create_bridge: bool = False


def plan_steps(session, before: NetConfig | None, after: NetConfig, env: Env, *, warn=None) -> list:
    """The steps that take the container's network from what netlink shows to what ``after`` says."""
    hv, cv = session.views()
    steps = []
    ours = {name for name, ln in hv.links.items() if owner(ln.alias) == after.ctid}
    wanted = set()
    check_addresses(hv, after, ours)
    if after.ip_address:
        wanted.add(after.routed_host_ifname)
        _plan_routed(hv, cv, before, after, steps)
        _plan_neighbours(session, hv, before, after, env, steps, warn)
    elif before and before.ip_address:
        _plan_neighbours(session, hv, before, after, env, steps, warn)
    for i, n in enumerate(after.netifs):
        wanted.add(n.host_ifname)
        _plan_netif(hv, cv, before, after, i, n, env, steps)
    for name in sorted(ours - wanted):
        steps.insert(0, Step("remove interface %s (and its container side)" % name, netlink.del_link(name)))
    _plan_default_routes(cv, before, after, steps)
    if after.ip_address and warn:
        _warn_forwarding(after, warn)
    return steps


def check_addresses(hv: View, after: NetConfig, ours) -> None:
    mine = {a.ip: a for a in after.all_addresses()}
    routed = {ipaddress.ip_interface(a).ip for a in after.ip_address}
    for index, addrs in hv.addrs.items():
        link = hv.by_index(index)
        if link is None or link.name in ours:
            continue
        for text in addrs:
            ip = ipaddress.ip_interface(text).ip
            if ip in mine:
                raise VzConfigError("%s is an address of this host (on %s)" % (ip, link.name),
                                    param="ip_address" if ip in routed else "netif",
                                    hint="give the container an address the host does not use itself")


def _plan_routed(hv: View, cv: View, before, after: NetConfig, steps: list) -> None:
    name = after.routed_host_ifname
    link, inside = hv.links.get(name), cv.links.get(ROUTED_IFNAME)
    if link is not None and owner(link.alias) != after.ctid:
        raise VzStateError("host interface %s exists and is not container %s's" % (name, after.ctid), param="ip_address",
                           hint="remove or rename that interface; vzkit names the routed pair venetCTID")
    if link is not None and inside is None:  # left over from an earlier start: its peer is elsewhere
        steps.append(Step("remove stale interface %s" % name, netlink.del_link(name)))
        link = None
    has6 = any(":" in a for a in after.ip_address)
    if link is None:
        steps.append(Step("create routed pair %s (host) / %s (container)" % (name, ROUTED_IFNAME),
                          netlink.create_pair(name, ROUTED_IFNAME, alias(after.ctid, "routed"), routed=True)))
        inside_addrs = set()
    else:
        inside_addrs = cv.addrs.get(inside.index, set())
    if has6 and (link is None or netlink.GATEWAY6 + "/64" not in hv.lladdrs.get(link.index, ())):
        steps.append(Step("add gateway %s on %s" % (netlink.GATEWAY6, name), netlink.add_addr("host", name, netlink.GATEWAY6 + "/64")))
    host_routes = {dst for fam, dst, gw, oif in hv.routes if link is not None and oif == link.index}
    want = [host_prefix(a) for a in after.ip_address]
    for text, dst in zip(after.ip_address, want):
        if with_prefix(text) not in inside_addrs:
            steps.append(Step("add address %s inside (%s)" % (text, ROUTED_IFNAME),
                              netlink.add_addr("ct", ROUTED_IFNAME, with_prefix(text), noprefixroute=True)))
        if dst not in host_routes:
            steps.append(Step("route %s to %s" % (dst, name), netlink.add_route(name, dst)))
    for dst in sorted(host_routes - set(want)):
        if dst.endswith("/32") or dst.endswith("/128"):
            steps.append(Step("remove route %s from %s" % (dst, name), netlink.del_route(name, dst)))
    for text in (before.ip_address if before else ()):
        if text not in after.ip_address and with_prefix(text) in inside_addrs:
            steps.append(Step("remove address %s inside (%s)" % (text, ROUTED_IFNAME),
                              netlink.del_addr("ct", ROUTED_IFNAME, with_prefix(text))))


def _plan_netif(hv: View, cv: View, before, after: NetConfig, i: int, n, env: Env, steps: list) -> None:
    param = "netif[%d]" % i
    link, inside, bridge = hv.links.get(n.host_ifname), cv.links.get(n.name), hv.links.get(n.bridge)
    if link is not None and owner(link.alias) != after.ctid:
        raise VzStateError("host interface %s exists and is not container %s's" % (n.host_ifname, after.ctid),
                           param=param + ".host_ifname", hint="pick another host_ifname, or remove that interface")
    if bridge is None:
        if not (n.create_bridge or env.create_bridge):
            raise VzConfigError("bridge %s does not exist on this host" % n.bridge, param=param + ".bridge",
                                hint="create it (the vz_host role does), or set create_bridge: true on the interface "
                                     "(or VZ_CREATE_BRIDGE=yes in vz.conf)")
        steps.append(Step("create bridge %s" % n.bridge, netlink.create_bridge(n.bridge)))
    elif bridge.kind != "bridge":
        raise VzConfigError("%s is a %s interface, not a bridge" % (n.bridge, bridge.kind or "plain"),
                            param=param + ".bridge", hint="name a Linux bridge")
    if link is not None and (inside is None or inside.mac != n.mac or link.mac != n.host_mac):
        steps.append(Step("recreate interface %s (its container side or a MAC changed)" % n.host_ifname,
                          netlink.del_link(n.host_ifname)))
        link = inside = None
    if link is None:
        steps.append(Step("create interface %s (host, in %s) / %s (container)" % (n.host_ifname, n.bridge, n.name),
                          netlink.create_pair(n.host_ifname, n.name, alias(after.ctid, "netif", n.name), netif=n)))
        have = set()
    else:
        if not bridge or link.master != bridge.index:
            steps.append(Step("move %s into bridge %s" % (n.host_ifname, n.bridge), netlink.set_master(n.host_ifname, n.bridge)))
        if n.mtu and (link.mtu != n.mtu or inside.mtu != n.mtu):
            steps.append(Step("set MTU %d on %s and %s" % (n.mtu, n.host_ifname, n.name), netlink.set_mtu(n.host_ifname, n.name, n.mtu)))
        have = cv.addrs.get(inside.index, set())
    for text in n.ip_address:
        if with_prefix(text) not in have:
            steps.append(Step("add address %s inside (%s)" % (text, n.name), netlink.add_addr("ct", n.name, text)))
    old = next((o for o in (before.netifs if before else ()) if o.name == n.name), None)
    for text in (old.ip_address if old else ()):
        if text not in n.ip_address and with_prefix(text) in have:
            steps.append(Step("remove address %s inside (%s)" % (text, n.name), netlink.del_addr("ct", n.name, text)))


def _plan_default_routes(cv: View, before, after: NetConfig, steps: list) -> None:
    want = {}
    for n in after.netifs:
        for gw in n.gateway:
            want[6 if ":" in gw else 4] = (gw, n.name)
    for version in after.routed_default_families():
        want[version] = (None if version == 4 else netlink.GATEWAY6, ROUTED_IFNAME)
    had = set()
    if before:
        had = {6 if ":" in gw else 4 for n in before.netifs for gw in n.gateway} | before.routed_default_families()
    for version in (4, 6):
        family = 2 if version == 4 else 10
        current = cv.default_route(family)
        if version in want:
            gw, dev = want[version]
            link = cv.links.get(dev)
            if current is None or link is None or current != (gw, link.index):
                steps.append(Step("set the IPv%d default route inside: %s" % (version, "via %s dev %s" % (gw, dev) if gw else "dev " + dev),
                                  netlink.default_route(family, gw, dev)))
        elif version in had and current is not None:
            steps.append(Step("remove the IPv%d default route inside" % version, netlink.default_route(family, None, None)))


def neighbour_devices(hv: View, ip, env: Env) -> list:
    """The host devices that answer ARP/NDP for a routed address (vzctl's NEIGHBOUR_DEVS)."""
    setting = (env.neighbour_devs or "detect").split()
    candidates = [ln for ln in hv.links.values()
                  if ln.name != "lo" and owner(ln.alias) is None and not ln.master]
    if setting == ["none"]:
        return []
    if setting == ["all"]:
        return sorted(ln.name for ln in candidates if ln.up)
    if setting == ["detect"]:
        return sorted(ln.name for ln in candidates
                      if any(ip in ipaddress.ip_interface(a).network for a in hv.addrs.get(ln.index, ())
                             if ipaddress.ip_interface(a).version == ip.version))
    return [d for d in setting if d in hv.links]


def _plan_neighbours(session, hv: View, before, after: NetConfig, env: Env, steps: list, warn) -> None:
    want = set()
    for text in after.ip_address:
        ip = ipaddress.ip_interface(text).ip
        for dev in neighbour_devices(hv, ip, env):
            want.add((str(ip), dev))
    drop = set()
    for text in (before.ip_address if before else ()):
        if text not in after.ip_address:
            ip = str(ipaddress.ip_interface(text).ip)
            drop.update((ip, ln.name) for ln in hv.links.values())
    for ip, dev in sorted(want):
        if not netlink.has_proxy(session.hipr, hv, ip, dev):
            steps.append(Step("answer %s for %s on %s (proxy %s)" % ("NDP" if ":" in ip else "ARP", ip, dev,
                                                                     "NDP" if ":" in ip else "ARP"),
                              netlink.add_proxy(ip, dev)))
    for ip, dev in sorted(drop - want):
        if netlink.has_proxy(session.hipr, hv, ip, dev):
            steps.append(Step("stop answering for %s on %s" % (ip, dev), netlink.del_proxy(ip, dev)))


def _warn_forwarding(after: NetConfig, warn) -> None:
    if any(":" in a for a in after.ip_address) and antispoof.read_sysctl("net/ipv6/conf/all/forwarding") == "0":
        warn("container %s: IPv6 forwarding is off on this host (net.ipv6.conf.all.forwarding=0), so its IPv6 "
             "addresses reach only the host itself; the vz_host role, or that sysctl, turns it on" % after.ctid)


def converge(host, pid: int, before, after: NetConfig, env: Env) -> list:
    """Bring a running container's network to ``after``; return the steps done (as words)."""
    with Session(host, pid) as s:
        steps = plan_steps(s, before, after, env, warn=host.warn)
        run_steps(s, steps)
    return [st.desc for st in steps]


def check_host(after: NetConfig, env: Env) -> None:
    """Before anything is made: the addresses are not the host's, the bridges exist or may be created."""
    require("ip_address/netif")
    with netlink.IPRoute() as ipr:
        hv = read_view(ipr, routes=False)
    check_addresses(hv, after, {name for name, ln in hv.links.items() if owner(ln.alias) == after.ctid})
    for i, n in enumerate(after.netifs):
        if n.bridge not in hv.links and not (n.create_bridge or env.create_bridge):
            raise VzConfigError("bridge %s does not exist on this host" % n.bridge, param="netif[%d].bridge" % i,
                                hint="create it (the vz_host role does), or set create_bridge: true on the "
                                     "interface (or VZ_CREATE_BRIDGE=yes in vz.conf)")


__all__ = ["Env", "Step", "plan_steps", "converge", "check_host", "neighbour_devices", "check_addresses"]
