# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What netlink shows of a network namespace, as plain data: links, addresses, main-table routes.

Private to vzkit.vz; may change in any release. ``read_view`` takes an open pyroute2 socket from
``_netlink`` (the only pyroute2 importer) and returns ``View``; everything else here is pure, so
plans are computed, and tested, from plain data.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

IFF_UP = 0x01
RT_SCOPE_LINK = 253


def alias(ctid: str, *what) -> str:
    return " ".join(("vzkit", ctid) + what)


def owner(link_alias) -> str | None:
    """The ctid a host link belongs to, from its alias, or None when it is not vzkit's."""
    words = (link_alias or "").split()
    return words[1] if len(words) >= 3 and words[0] == "vzkit" else None


@dataclass(frozen=True)
class Link:
    index: int
    name: str
    kind: str | None
    alias: str | None
    mac: str | None
    mtu: int
    master: int
    up: bool


@dataclass
class View:
    """What netlink shows of one namespace: links by name, addresses and main-table routes."""

    links: dict = field(default_factory=dict)
    addrs: dict = field(default_factory=dict)    # link index -> set of "ip/prefix" (global scope)
    lladdrs: dict = field(default_factory=dict)  # link index -> set of "ip/prefix" (link scope)
    routes: list = field(default_factory=list)   # (family, dst "ip/len", gateway or None, oif)

    def by_index(self, index):
        return next((ln for ln in self.links.values() if ln.index == index), None)

    def default_route(self, family: int):
        return next(((gw, oif) for fam, dst, gw, oif in self.routes if fam == family and dst.endswith("/0")), None)


def links_of(ipr) -> dict:
    out = {}
    for msg in ipr.get_links():
        info = msg.get_attr("IFLA_LINKINFO")
        name = msg.get_attr("IFLA_IFNAME")
        out[name] = Link(msg["index"], name, info.get_attr("IFLA_INFO_KIND") if info else None,
                         msg.get_attr("IFLA_IFALIAS"), msg.get_attr("IFLA_ADDRESS"), msg.get_attr("IFLA_MTU") or 0,
                         msg.get_attr("IFLA_MASTER") or 0, bool(msg["flags"] & IFF_UP))
    return out


def read_view(ipr, *, routes: bool = True) -> View:
    view = View(links=links_of(ipr))
    for msg in ipr.get_addr():
        text = "%s/%d" % (msg.get_attr("IFA_ADDRESS"), msg["prefixlen"])
        if msg["scope"] == 0:
            view.addrs.setdefault(msg["index"], set()).add(text)
        elif msg["scope"] == RT_SCOPE_LINK:
            view.lladdrs.setdefault(msg["index"], set()).add(text)
    if routes:
        for family in (2, 10):
            for msg in ipr.get_routes(family=family, table=254):
                dst = msg.get_attr("RTA_DST") or ("0.0.0.0" if family == 2 else "::")
                view.routes.append((family, "%s/%d" % (dst, msg["dst_len"]), msg.get_attr("RTA_GATEWAY"),
                                    msg.get_attr("RTA_OIF")))
    return view


def host_prefix(text: str) -> str:
    """The host route of an address: ADDRESS/32 or /128."""
    ip = ipaddress.ip_interface(text).ip
    return "%s/%d" % (ip, ip.max_prefixlen)


def with_prefix(text: str) -> str:
    """An address as netlink reports it: always with its prefix length."""
    iface = ipaddress.ip_interface(text)
    return "%s/%d" % (iface.ip, iface.network.prefixlen)


__all__ = ["Link", "View", "read_view", "links_of", "alias", "owner", "host_prefix", "with_prefix", "IFF_UP", "RT_SCOPE_LINK"]
