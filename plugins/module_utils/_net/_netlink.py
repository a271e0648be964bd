# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A running container's network through netlink (pyroute2): the sockets, and the steps' calls.

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

Which steps a container needs is ``_steps``' decision; each step's call is here.
"""
from __future__ import annotations

import importlib.util
import ipaddress
import traceback

from . import _antispoof as antispoof
from .._errors import VzStateError, VzUnsupported
from ._view import RT_SCOPE_LINK, View, owner, read_view

# pyroute2 is imported on first use (require): its import takes about 0.1 s, which a request without
# networking (vzctl exec, status, a container without addresses) never pays. Until then NetlinkError is
# a stand-in that nothing raises; require() puts pyroute2's own in its place.
HAS_PYROUTE2 = importlib.util.find_spec("pyroute2") is not None
PYROUTE2_IMPORT_ERROR = None if HAS_PYROUTE2 else "ModuleNotFoundError: No module named 'pyroute2'\n"
IPRoute = None


class NetlinkError(Exception):  # pylint: disable=missing-class-docstring
    code = 0


def load() -> bool:
    """Import pyroute2 now (what the network needs); whether it is there."""
    global IPRoute, NetlinkError, HAS_PYROUTE2, PYROUTE2_IMPORT_ERROR  # pylint: disable=global-statement
    if IPRoute is None and HAS_PYROUTE2:
        try:
            from pyroute2 import IPRoute as iproute
            from pyroute2.netlink.exceptions import NetlinkError as netlink_error
        except ImportError:
            HAS_PYROUTE2, PYROUTE2_IMPORT_ERROR = False, traceback.format_exc()
        else:
            IPRoute, NetlinkError = iproute, netlink_error
    return HAS_PYROUTE2


def missing_required_lib(library: str) -> str:
    """Ansible's words for a missing library (imported only then: ansible's basic takes 35 ms to load)."""
    try:
        from ansible.module_utils.basic import missing_required_lib as ansible_words
    except ImportError:  # the runtime used outside Ansible (plugins, CLI)
        return "Failed to import the required Python library (%s)" % library
    return ansible_words(library)


GATEWAY6 = "fe80::1"          # the host side's link-local address: the routed IPv6 gateway
IFA_F_NODAD = 0x02
IFA_F_NOPREFIXROUTE = 0x200
NTF_PROXY = 0x08
RTPROT_STATIC = 4


def require(param: str) -> None:
    """pyroute2, loaded; or the error that says the option needs it."""
    if not (HAS_PYROUTE2 and load()):
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


# ---- steps ---------------------------------------------------------------------------------------

def _index(ipr, name: str) -> int:
    found = ipr.link_lookup(ifname=name)
    if not found:
        raise VzStateError("interface %s is gone" % name, hint="run again")
    return found[0]


def del_link(name):
    def run(s):
        try:
            s.hipr.link("del", index=_index(s.hipr, name))
        except (VzStateError, NetlinkError):
            pass  # already gone (its peer's namespace went first)
    return run


def create_pair(host_name, ct_name, link_alias, *, routed=False, netif=None):
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


def create_bridge(name):
    def run(s):
        s.hipr.link("add", ifname=name, kind="bridge")
        s.hipr.link("set", index=_index(s.hipr, name), state="up")
    return run


def set_master(name, bridge):
    def run(s):
        s.hipr.link("set", index=_index(s.hipr, name), master=_index(s.hipr, bridge))
    return run


def set_mtu(host_name, ct_name, mtu):
    def run(s):
        s.hipr.link("set", index=_index(s.hipr, host_name), mtu=mtu)
        s.cipr.link("set", index=_index(s.cipr, ct_name), mtu=mtu)
    return run


def add_addr(side, dev, text, *, noprefixroute=False):
    def run(s):
        ipr = s.hipr if side == "host" else s.cipr
        iface = ipaddress.ip_interface(text)
        flags = IFA_F_NODAD | (IFA_F_NOPREFIXROUTE if noprefixroute else 0)
        ipr.addr("add", index=_index(ipr, dev), address=str(iface.ip), prefixlen=iface.network.prefixlen,
                 family=2 if iface.version == 4 else 10, flags=flags)
    return run


def del_addr(side, dev, text):
    def run(s):
        ipr = s.hipr if side == "host" else s.cipr
        iface = ipaddress.ip_interface(text)
        ipr.addr("del", index=_index(ipr, dev), address=str(iface.ip), prefixlen=iface.network.prefixlen,
                 family=2 if iface.version == 4 else 10)
    return run


def add_route(dev, dst):
    def run(s):
        s.hipr.route("replace", dst=dst, oif=_index(s.hipr, dev), proto=RTPROT_STATIC,
                     family=10 if ":" in dst else 2)
    return run


def del_route(dev, dst):
    def run(s):
        s.hipr.route("del", dst=dst, oif=_index(s.hipr, dev), family=10 if ":" in dst else 2)
    return run


def default_route(family, gateway, dev):
    def run(s):
        dst = "0.0.0.0/0" if family == 2 else "::/0"
        if dev is None:
            s.cipr.route("del", dst=dst, family=family)
            return
        kw = {"gateway": gateway} if gateway else {"scope": RT_SCOPE_LINK}
        s.cipr.route("replace", dst=dst, family=family, oif=_index(s.cipr, dev), **kw)
    return run


def has_proxy(ipr, hv: View, ip: str, dev: str) -> bool:
    link = hv.links.get(dev)
    if link is None:
        return False
    try:
        return bool(ipr.neigh("get", dst=ip, ifindex=link.index, flags=NTF_PROXY, family=10 if ":" in ip else 2))
    except NetlinkError:
        return False


def add_proxy(ip, dev):
    def run(s):
        if ":" in ip:
            antispoof.write_sysctl("net/ipv6/conf/%s/proxy_ndp" % dev, "1")
        s.hipr.neigh("replace", dst=ip, ifindex=_index(s.hipr, dev), flags=NTF_PROXY, family=10 if ":" in ip else 2)
    return run


def del_proxy(ip, dev):
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


def teardown(host, ctid: str, netconf) -> None:
    """Remove what the host holds for a container that is stopping or gone: its links, proxy entries."""
    if not (HAS_PYROUTE2 and load()):
        return  # nothing can have been set up without it
    with Session(host) as s:
        hv = read_view(s.hipr, routes=False)
        for name, link in sorted(hv.links.items()):
            if owner(link.alias) == ctid:
                del_link(name)(s)
        for text in (netconf.ip_address if netconf else ()):
            ip = str(ipaddress.ip_interface(text).ip)
            for name in sorted(hv.links):
                if has_proxy(s.hipr, hv, ip, name):
                    del_proxy(ip, name)(s)


__all__ = ["HAS_PYROUTE2", "require", "Session", "run_steps", "teardown", "GATEWAY6", "NetlinkError", "IPRoute",
           "del_link", "create_pair", "create_bridge", "set_master", "set_mtu", "add_addr", "del_addr", "add_route",
           "del_route", "default_route", "has_proxy", "add_proxy", "del_proxy",
           "IFA_F_NODAD", "IFA_F_NOPREFIXROUTE", "NTF_PROXY", "RTPROT_STATIC"]
