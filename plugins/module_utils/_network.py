# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A running container's network through netlink (pyroute2): observe, plan steps, carry them out.

Private to vzkit.vz; may change in any release. The only file that imports pyroute2; a host without
it gets a clear error from ``require()``, and containers without networking never call in here.

Two models, both veth pairs whose container side is created directly in the container's network
namespace and whose host side carries the alias ``vzkit CTID ...`` (how we know a link is ours):

- routed (venet-style): ``venetCTID`` on the host, ``venet0`` inside. The host routes each address
  (/32, /128) to its side and answers ARP for the container through proxy_arp; inside, the addresses
  carry no prefix route, IPv4 goes out through ``default dev venet0`` and IPv6 through ``fe80::1``,
  the host side's link-local gateway. A container sends only from its own addresses (one nftables
  rule, see ``_antispoof``). Addresses get proxy ARP/NDP entries on the devices ``NEIGHBOUR_DEVS`` names.
- bridged: ``vethCTID.N`` joins a host bridge; inside, the interface has its MAC, MTU, addresses and
  gateway from the config.

Steps are planned from what netlink shows now (so drift is repaired) and from the config before and
after (so only addresses vzkit configured are removed, never ones the container added itself).
"""
from __future__ import annotations

import ipaddress
import traceback
from dataclasses import dataclass, field

from . import _antispoof as antispoof
from ._errors import VzConfigError, VzStateError, VzUnsupported
from ._netconf import ROUTED_IFNAME, NetConfig
from ._netview import RT_SCOPE_LINK, View, alias, host_prefix, owner, read_view, with_prefix

try:
    from pyroute2 import IPRoute
    from pyroute2.netlink.exceptions import NetlinkError
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None
except ImportError:
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = traceback.format_exc()

    class NetlinkError(Exception):  # pylint: disable=missing-class-docstring
        code = 0

try:
    from ansible.module_utils.basic import missing_required_lib
except ImportError:  # the runtime used outside Ansible (plugins, CLI)
    def missing_required_lib(library, **_kwargs):
        return "Failed to import the required Python library (%s)" % library

GATEWAY6 = "fe80::1"          # the host side's link-local address: the routed IPv6 gateway
IFA_F_NODAD = 0x02
IFA_F_NOPREFIXROUTE = 0x200
NTF_PROXY = 0x08
RTPROT_STATIC = 4


def require(param: str) -> None:
    if not HAS_PYROUTE2:
        raise VzUnsupported("container networking (%s)" % param, missing_required_lib("pyroute2"), param=param,
                            hint="install pyroute2 for the Python that runs the module (pip install pyroute2, "
                                 "or the python3-pyroute2 package); containers without networking do not need it",
                            exception=PYROUTE2_IMPORT_ERROR)


class Session:
    """Netlink sockets in the host's namespace and (when pid is given) in the container's."""

    def __init__(self, host, pid=None):
        require("ip_address/netif")
        self.host, self.pid = host, pid
        self.hipr = self.cipr = None

    def __enter__(self):
        self.hipr = IPRoute()
        if self.pid:
            self.cipr = IPRoute(netns="/proc/%d/ns/net" % self.pid, flags=0)
        return self

    def __exit__(self, *exc):
        for ipr in (self.cipr, self.hipr):
            if ipr is not None:
                ipr.close()

    def views(self):
        return read_view(self.hipr), read_view(self.cipr) if self.cipr else View()


# ---- planning ------------------------------------------------------------------------------------

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
    _check_host_addresses(hv, after, ours)
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
        steps.insert(0, Step("remove interface %s (and its container side)" % name, _del_link(name)))
    _plan_default_routes(cv, before, after, steps)
    if after.ip_address and warn:
        _warn_forwarding(after, warn)
    return steps


def _check_host_addresses(hv: View, after: NetConfig, ours) -> None:
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
        steps.append(Step("remove stale interface %s" % name, _del_link(name)))
        link = None
    has6 = any(":" in a for a in after.ip_address)
    if link is None:
        steps.append(Step("create routed pair %s (host) / %s (container)" % (name, ROUTED_IFNAME),
                          _create_pair(name, ROUTED_IFNAME, alias(after.ctid, "routed"), routed=True)))
        inside_addrs = set()
    else:
        inside_addrs = cv.addrs.get(inside.index, set())
    if has6 and (link is None or GATEWAY6 + "/64" not in hv.lladdrs.get(link.index, ())):
        steps.append(Step("add gateway %s on %s" % (GATEWAY6, name), _add_addr("host", name, GATEWAY6 + "/64")))
    host_routes = {dst for fam, dst, gw, oif in hv.routes if link is not None and oif == link.index}
    want = [host_prefix(a) for a in after.ip_address]
    for text, dst in zip(after.ip_address, want):
        if with_prefix(text) not in inside_addrs:
            steps.append(Step("add address %s inside (%s)" % (text, ROUTED_IFNAME),
                              _add_addr("ct", ROUTED_IFNAME, with_prefix(text), noprefixroute=True)))
        if dst not in host_routes:
            steps.append(Step("route %s to %s" % (dst, name), _add_route(name, dst)))
    for dst in sorted(host_routes - set(want)):
        if dst.endswith("/32") or dst.endswith("/128"):
            steps.append(Step("remove route %s from %s" % (dst, name), _del_route(name, dst)))
    for text in (before.ip_address if before else ()):
        if text not in after.ip_address and with_prefix(text) in inside_addrs:
            steps.append(Step("remove address %s inside (%s)" % (text, ROUTED_IFNAME),
                              _del_addr("ct", ROUTED_IFNAME, with_prefix(text))))


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
        steps.append(Step("create bridge %s" % n.bridge, _create_bridge(n.bridge)))
    elif bridge.kind != "bridge":
        raise VzConfigError("%s is a %s interface, not a bridge" % (n.bridge, bridge.kind or "plain"),
                            param=param + ".bridge", hint="name a Linux bridge")
    if link is not None and (inside is None or inside.mac != n.mac or link.mac != n.host_mac):
        steps.append(Step("recreate interface %s (its container side or a MAC changed)" % n.host_ifname,
                          _del_link(n.host_ifname)))
        link = inside = None
    if link is None:
        steps.append(Step("create interface %s (host, in %s) / %s (container)" % (n.host_ifname, n.bridge, n.name),
                          _create_pair(n.host_ifname, n.name, alias(after.ctid, "netif", n.name), netif=n)))
        have = set()
    else:
        if not bridge or link.master != bridge.index:
            steps.append(Step("move %s into bridge %s" % (n.host_ifname, n.bridge), _set_master(n.host_ifname, n.bridge)))
        if n.mtu and (link.mtu != n.mtu or inside.mtu != n.mtu):
            steps.append(Step("set MTU %d on %s and %s" % (n.mtu, n.host_ifname, n.name), _set_mtu(n.host_ifname, n.name, n.mtu)))
        have = cv.addrs.get(inside.index, set())
    for text in n.ip_address:
        if with_prefix(text) not in have:
            steps.append(Step("add address %s inside (%s)" % (text, n.name), _add_addr("ct", n.name, text)))
    old = next((o for o in (before.netifs if before else ()) if o.name == n.name), None)
    for text in (old.ip_address if old else ()):
        if text not in n.ip_address and with_prefix(text) in have:
            steps.append(Step("remove address %s inside (%s)" % (text, n.name), _del_addr("ct", n.name, text)))


def _plan_default_routes(cv: View, before, after: NetConfig, steps: list) -> None:
    want = {}
    for n in after.netifs:
        for gw in n.gateway:
            want[6 if ":" in gw else 4] = (gw, n.name)
    for version in after.routed_default_families():
        want[version] = (None if version == 4 else GATEWAY6, ROUTED_IFNAME)
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
                                  _default_route(family, gw, dev)))
        elif version in had and current is not None:
            steps.append(Step("remove the IPv%d default route inside" % version, _default_route(family, None, None)))


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
        if not _has_proxy(session.hipr, hv, ip, dev):
            steps.append(Step("answer %s for %s on %s (proxy %s)" % ("NDP" if ":" in ip else "ARP", ip, dev,
                                                                     "NDP" if ":" in ip else "ARP"),
                              _add_proxy(ip, dev)))
    for ip, dev in sorted(drop - want):
        if _has_proxy(session.hipr, hv, ip, dev):
            steps.append(Step("stop answering for %s on %s" % (ip, dev), _del_proxy(ip, dev)))


def _warn_forwarding(after: NetConfig, warn) -> None:
    if any(":" in a for a in after.ip_address) and antispoof.read_sysctl("net/ipv6/conf/all/forwarding") == "0":
        warn("container %s: IPv6 forwarding is off on this host (net.ipv6.conf.all.forwarding=0), so its IPv6 "
             "addresses reach only the host itself; the vz_host role, or that sysctl, turns it on" % after.ctid)


# ---- steps ---------------------------------------------------------------------------------------

def _index(ipr, name: str) -> int:
    found = ipr.link_lookup(ifname=name)
    if not found:
        raise VzStateError("interface %s is gone" % name, hint="run again")
    return found[0]


def _del_link(name):
    def run(s):
        try:
            s.hipr.link("del", index=_index(s.hipr, name))
        except (VzStateError, NetlinkError):
            pass  # already gone (its peer's namespace went first)
    return run


def _create_pair(host_name, ct_name, link_alias, *, routed=False, netif=None):
    def run(s):
        peer = {"ifname": ct_name, "net_ns_pid": s.pid}
        kw = {}
        if netif is not None:
            peer["address"], kw["address"] = netif.mac, netif.host_mac
            if netif.mtu:
                peer["mtu"] = kw["mtu"] = netif.mtu
        s.hipr.link("add", ifname=host_name, kind="veth", peer=peer, **kw)
        index = _index(s.hipr, host_name)
        s.hipr.link("set", index=index, ifalias=link_alias)
        if routed:
            antispoof.ensure_rule(s.host)
            antispoof.write_sysctl("net/ipv4/conf/%s/proxy_arp" % host_name, "1")
            antispoof.write_sysctl("net/ipv4/conf/%s/forwarding" % host_name, "1")
        else:
            s.hipr.link("set", index=index, master=_index(s.hipr, netif.bridge))
        s.hipr.link("set", index=index, state="up")
        s.cipr.link("set", index=_index(s.cipr, ct_name), state="up")
        s.cipr.link("set", index=_index(s.cipr, "lo"), state="up")
    return run


def _create_bridge(name):
    def run(s):
        s.hipr.link("add", ifname=name, kind="bridge")
        s.hipr.link("set", index=_index(s.hipr, name), state="up")
    return run


def _set_master(name, bridge):
    def run(s):
        s.hipr.link("set", index=_index(s.hipr, name), master=_index(s.hipr, bridge))
    return run


def _set_mtu(host_name, ct_name, mtu):
    def run(s):
        s.hipr.link("set", index=_index(s.hipr, host_name), mtu=mtu)
        s.cipr.link("set", index=_index(s.cipr, ct_name), mtu=mtu)
    return run


def _add_addr(side, dev, text, *, noprefixroute=False):
    def run(s):
        ipr = s.hipr if side == "host" else s.cipr
        iface = ipaddress.ip_interface(text)
        flags = IFA_F_NODAD | (IFA_F_NOPREFIXROUTE if noprefixroute else 0)
        ipr.addr("add", index=_index(ipr, dev), address=str(iface.ip), prefixlen=iface.network.prefixlen,
                 family=2 if iface.version == 4 else 10, flags=flags)
    return run


def _del_addr(side, dev, text):
    def run(s):
        ipr = s.hipr if side == "host" else s.cipr
        iface = ipaddress.ip_interface(text)
        ipr.addr("del", index=_index(ipr, dev), address=str(iface.ip), prefixlen=iface.network.prefixlen,
                 family=2 if iface.version == 4 else 10)
    return run


def _add_route(dev, dst):
    def run(s):
        s.hipr.route("replace", dst=dst, oif=_index(s.hipr, dev), proto=RTPROT_STATIC,
                     family=10 if ":" in dst else 2)
    return run


def _del_route(dev, dst):
    def run(s):
        s.hipr.route("del", dst=dst, oif=_index(s.hipr, dev), family=10 if ":" in dst else 2)
    return run


def _default_route(family, gateway, dev):
    def run(s):
        dst = "0.0.0.0/0" if family == 2 else "::/0"
        if dev is None:
            s.cipr.route("del", dst=dst, family=family)
            return
        kw = {"gateway": gateway} if gateway else {"scope": RT_SCOPE_LINK}
        s.cipr.route("replace", dst=dst, family=family, oif=_index(s.cipr, dev), **kw)
    return run


def _has_proxy(ipr, hv: View, ip: str, dev: str) -> bool:
    link = hv.links.get(dev)
    if link is None:
        return False
    try:
        return bool(ipr.neigh("get", dst=ip, ifindex=link.index, flags=NTF_PROXY, family=10 if ":" in ip else 2))
    except NetlinkError:
        return False


def _add_proxy(ip, dev):
    def run(s):
        if ":" in ip:
            antispoof.write_sysctl("net/ipv6/conf/%s/proxy_ndp" % dev, "1")
        s.hipr.neigh("replace", dst=ip, ifindex=_index(s.hipr, dev), flags=NTF_PROXY, family=10 if ":" in ip else 2)
    return run


def _del_proxy(ip, dev):
    def run(s):
        try:
            s.hipr.neigh("del", dst=ip, ifindex=_index(s.hipr, dev), flags=NTF_PROXY, family=10 if ":" in ip else 2)
        except NetlinkError:
            pass
    return run


def run_steps(session, steps, *, param: str = "ip_address/netif") -> None:
    for step in steps:
        try:
            step.fn(session)
        except NetlinkError as exc:
            raise VzStateError("network: %s failed: %s" % (step.desc, exc), param=param,
                               hint="see the error; the container's network is left as far as it got")


# ---- whole operations ----------------------------------------------------------------------------

def converge(host, pid: int, before, after: NetConfig, env: Env) -> list:
    """Bring a running container's network to ``after``; return the steps done (as words)."""
    with Session(host, pid) as s:
        steps = plan_steps(s, before, after, env, warn=host.warn)
        run_steps(s, steps)
    return [st.desc for st in steps]


def teardown(host, ctid: str, netconf) -> None:
    """Remove what the host holds for a container that is stopping or gone: its links, proxy entries."""
    if not HAS_PYROUTE2:
        return  # nothing can have been set up without it
    with Session(host) as s:
        hv = read_view(s.hipr, routes=False)
        for name, link in sorted(hv.links.items()):
            if owner(link.alias) == ctid:
                _del_link(name)(s)
        for text in (netconf.ip_address if netconf else ()):
            ip = str(ipaddress.ip_interface(text).ip)
            for name in sorted(hv.links):
                if _has_proxy(s.hipr, hv, ip, name):
                    _del_proxy(ip, name)(s)


def check_host(after: NetConfig, env: Env) -> None:
    """Before anything is made: the addresses are not the host's, the bridges exist or may be created."""
    require("ip_address/netif")
    with IPRoute() as ipr:
        hv = read_view(ipr, routes=False)
    _check_host_addresses(hv, after, {name for name, ln in hv.links.items() if owner(ln.alias) == after.ctid})
    for i, n in enumerate(after.netifs):
        if n.bridge not in hv.links and not (n.create_bridge or env.create_bridge):
            raise VzConfigError("bridge %s does not exist on this host" % n.bridge, param="netif[%d].bridge" % i,
                                hint="create it (the vz_host role does), or set create_bridge: true on the "
                                     "interface (or VZ_CREATE_BRIDGE=yes in vz.conf)")


__all__ = ["HAS_PYROUTE2", "require", "Env", "Step", "Session", "plan_steps", "run_steps", "converge",
           "teardown", "check_host", "neighbour_devices", "GATEWAY6"]
