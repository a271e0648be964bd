# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A container's network as its config says it: ``IP_ADDRESS`` and ``NETIF``, parsed and rendered.

Private to vzkit.vz; may change in any release. Pure (no netlink, no pyroute2): validation of the
module's options, the OpenVZ value syntax, interface names and stable MAC addresses. ``_steps``
turns a ``NetConfig`` into interfaces, addresses and routes.

- ``IP_ADDRESS="198.51.100.10 fd42:7a6b::10/64"``: routed (venet-style) addresses, space separated,
  with a prefix only when it is not a host prefix (/32, /128).
- ``NETIF="ifname=eth0,bridge=vzbr0,mac=..,host_ifname=veth101.0,host_mac=..;ifname=eth1,..."``:
  bridged interfaces as vzctl writes them, plus vzkit's ``mtu``, ``ip`` (space separated), ``gw``,
  ``gw6`` and ``create_bridge=yes``.
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, replace

from .._errors import VzConfigError

ROUTED_IFNAME = "venet0"  # the routed interface inside, as OpenVZ's venet device was called
ROUTED_PREFIX = "venet"   # host side of routed pairs; the anti-spoofing rule matches on it
IFNAME_RE = re.compile(r"(?!\.{1,2}\Z)[A-Za-z0-9_.-]{1,15}")
MAC_RE = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
NETIF_KEYS = ("ifname", "bridge", "mac", "host_ifname", "host_mac", "mtu", "ip", "gw", "gw6", "create_bridge")


# ---- addresses ---------------------------------------------------------------------------------

def parse_address(text, *, param: str):
    """One address with an optional prefix, as an ip_interface; rejects what a container cannot own."""
    raw = str(text).strip()
    try:
        iface = ipaddress.ip_interface(raw)
    except ValueError:
        raise VzConfigError("%r is not an IP address" % raw, param=param,
                            hint="give an IPv4 or IPv6 address, optionally with /prefix (198.51.100.10/24)")
    ip = iface.ip
    if ip.is_loopback or ip.is_multicast or ip.is_unspecified or ip.is_link_local:
        raise VzConfigError("%s is a loopback, multicast, unspecified or link-local address" % raw, param=param,
                            hint="give a unicast address the container can own")
    if iface.network.prefixlen == 0:
        raise VzConfigError("%s has prefix length 0" % raw, param=param, hint="give a prefix from 1 to %d" % ip.max_prefixlen)
    return iface


def format_address(iface) -> str:
    """The canonical text: compressed, and no prefix when it is a host prefix."""
    if iface.network.prefixlen == iface.ip.max_prefixlen:
        return str(iface.ip)
    return "%s/%d" % (iface.ip, iface.network.prefixlen)


def parse_address_list(values, *, param: str) -> tuple:
    """Canonical address texts, in the order given; each address at most once."""
    out, seen = [], {}
    for i, value in enumerate(values):
        iface = parse_address(value, param="%s[%d]" % (param, i))
        if iface.ip in seen:
            raise VzConfigError("%s is listed twice (%s and %s)" % (iface.ip, seen[iface.ip], value), param=param,
                                hint="list each address once")
        seen[iface.ip] = value
        out.append(format_address(iface))
    return tuple(out)


# ---- bridged interfaces ------------------------------------------------------------------------

@dataclass(frozen=True)
class Netif:
    """One bridged interface: ``name`` inside, ``host_ifname`` on the host (in ``bridge``)."""

    name: str
    bridge: str | None = None
    mac: str | None = None
    host_ifname: str | None = None
    host_mac: str | None = None
    mtu: int | None = None
    ip_address: tuple = ()
    gateway: tuple = ()  # at most one per family
    create_bridge: bool = False

    def render(self) -> str:
        parts = [("ifname", self.name), ("bridge", self.bridge), ("mac", self.mac),
                 ("host_ifname", self.host_ifname), ("host_mac", self.host_mac),
                 ("mtu", str(self.mtu) if self.mtu else None), ("ip", " ".join(self.ip_address) or None)]
        for gw in self.gateway:
            parts.append(("gw6" if ":" in gw else "gw", gw))
        if self.create_bridge:
            parts.append(("create_bridge", "yes"))
        return ",".join("%s=%s" % (k, v) for k, v in parts if v)


def validate_ifname(name, *, param: str) -> str:
    text = str(name)
    if not IFNAME_RE.fullmatch(text):
        raise VzConfigError("%r is not an interface name" % text, param=param,
                            hint="use 1 to 15 letters, digits, '.', '-' or '_'")
    return text


def validate_mac(mac, *, param: str) -> str:
    text = str(mac).strip().lower().replace("-", ":")
    if not MAC_RE.fullmatch(text):
        raise VzConfigError("%r is not a MAC address" % mac, param=param, hint="use six hex pairs, e.g. 02:00:5e:10:00:01")
    if text == "00:00:00:00:00:00":
        raise VzConfigError("%s is not a usable MAC address" % text, param=param, hint="give a unicast address, or leave it out")
    if int(text[:2], 16) & 1:
        raise VzConfigError("%s is a multicast MAC address" % text, param=param,
                            hint="the first byte must be even; 02:xx:.. marks a locally administered address")
    return text


def _mtu(value, *, param: str):
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not re.fullmatch(r"\d+", text) or not 68 <= int(text) <= 65535:
        raise VzConfigError("%s is not an MTU" % text, param=param, hint="give a whole number from 68 to 65535")
    return int(text)


def _gateways(values, addresses, *, param: str) -> tuple:
    out, families = [], set()
    nets = [ipaddress.ip_interface(a).network for a in addresses]
    for value in values:
        try:
            gw = ipaddress.ip_address(str(value).strip())
        except ValueError:
            raise VzConfigError("%r is not an IP address" % value, param=param, hint="give the router's IPv4 and/or IPv6 address")
        if gw.version in families:
            raise VzConfigError("two IPv%d gateways" % gw.version, param=param, hint="give at most one IPv4 and one IPv6 gateway")
        families.add(gw.version)
        if not any(gw in net for net in nets if net.version == gw.version):
            raise VzConfigError("gateway %s is not on this interface's networks (%s)" % (gw, " ".join(addresses) or "none"),
                                param=param, hint="give ip_address with a prefix that contains the gateway")
        out.append(str(gw))
    return tuple(sorted(out, key=lambda g: ":" in g))  # IPv4 first, as NETIF stores them (gw=, then gw6=)


def netif_from_dict(d: dict, *, param: str) -> Netif:
    """One entry of the ``netif`` option (or of a parsed NETIF value), validated."""
    name = validate_ifname(d.get("name") or d.get("ifname") or "", param=param + ".name")
    addresses = parse_address_list(_as_list(d.get("ip_address")), param=param + ".ip_address")
    bridge = d.get("bridge")
    host_ifname = d.get("host_ifname")
    if host_ifname:
        host_ifname = validate_ifname(host_ifname, param=param + ".host_ifname")
        if host_ifname.startswith(ROUTED_PREFIX):
            raise VzConfigError("%s starts with %r, which is kept for routed interfaces" % (host_ifname, ROUTED_PREFIX),
                                param=param + ".host_ifname", hint="pick another name (vzkit's default is vethCTID.N)")
    create = d.get("create_bridge")
    return Netif(name=name, bridge=validate_ifname(bridge, param=param + ".bridge") if bridge else None,
                 mac=validate_mac(d["mac"], param=param + ".mac") if d.get("mac") else None,
                 host_ifname=host_ifname or None,
                 host_mac=validate_mac(d["host_mac"], param=param + ".host_mac") if d.get("host_mac") else None,
                 mtu=_mtu(d.get("mtu"), param=param + ".mtu"), ip_address=addresses,
                 gateway=_gateways(_as_list(d.get("gateway")), addresses, param=param + ".gateway"),
                 create_bridge=create in (True, "yes", "true"))


def _as_list(value) -> list:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return value.split()
    return list(value)


def parse_netif(text) -> tuple:
    """NETIF's value as Netif entries (vzctl's syntax: ';' between interfaces, ',' between keys)."""
    out = []
    for i, chunk in enumerate(c for c in (text or "").split(";") if c.strip()):
        d, param = {}, "NETIF[%d]" % i
        for pair in chunk.split(","):
            key, sep, value = pair.partition("=")
            key = key.strip()
            if not sep or key not in NETIF_KEYS:
                raise VzConfigError("%r is not a NETIF setting" % pair, param=param,
                                    hint="use %s=VALUE, separated by ','" % "|".join(NETIF_KEYS))
            d[key] = value.strip()
        d["ip_address"] = d.pop("ip", None)
        d["gateway"] = [g for g in (d.pop("gw", None), d.pop("gw6", None)) if g]
        out.append(netif_from_dict(d, param=param))
    return tuple(out)


def render_netif(netifs) -> str:
    return ";".join(n.render() for n in netifs)


# ---- names and MACs ----------------------------------------------------------------------------

def _short(prefix: str, ctid: str, suffix: str = "") -> str:
    name = prefix + ctid + suffix
    if len(name) <= 15:
        return name
    digest = hashlib.sha256(ctid.encode("utf-8")).hexdigest()
    return prefix + digest[:15 - len(prefix) - len(suffix)] + suffix


def routed_host_ifname(ctid: str) -> str:
    """Host side of a container's routed pair: venetCTID (hashed when the ctid is too long)."""
    return _short(ROUTED_PREFIX, ctid)


def netif_host_ifname(ctid: str, index: int) -> str:
    """Host side of a bridged interface: vethCTID.N, as vzctl names it."""
    return _short("veth", ctid, ".%d" % index)


def derive_mac(seed: str) -> str:
    """A locally administered unicast MAC derived from seed (stable: same seed, same MAC).

    Seeded with the host's machine id, the ctid and the interface, as systemd-nspawn does: stable
    across restarts and re-creation, different for each container, interface and host.
    """
    raw = bytearray(hashlib.sha256(seed.encode("utf-8")).digest()[:6])
    raw[0] = (raw[0] & 0xFE) | 0x02
    return ":".join("%02x" % b for b in raw)


def complete_netifs(requested, current, *, ctid: str, machine_id: str) -> tuple:
    """The requested interfaces with MACs and host names filled in, kept from current when set there."""
    by_name = {n.name: n for n in current}
    kept = {n.name: n.host_ifname or (by_name[n.name].host_ifname if n.name in by_name else None) for n in requested}
    taken = {h for h in kept.values() if h}
    out, names, hosts, macs = [], set(), set(), set()
    for i, n in enumerate(requested):
        old = by_name.get(n.name)
        host_ifname = kept[n.name] or _free_host_ifname(ctid, i, taken)
        n = replace(n, host_ifname=host_ifname,
                    mac=n.mac or (old.mac if old else None) or derive_mac("%s/%s/%s/ct" % (machine_id, ctid, n.name)),
                    host_mac=n.host_mac or (old.host_mac if old else None)
                    or derive_mac("%s/%s/%s/host" % (machine_id, ctid, n.name)))
        param = "netif[%d]" % i
        if n.name in names or n.name in (ROUTED_IFNAME, "lo"):
            raise VzConfigError("interface name %s is used twice (or is lo/%s)" % (n.name, ROUTED_IFNAME),
                                param=param + ".name", hint="give each interface its own name")
        if n.host_ifname in hosts:
            raise VzConfigError("host_ifname %s is used twice" % n.host_ifname, param=param + ".host_ifname",
                                hint="give each interface its own host_ifname")
        if n.mac in macs or n.host_mac in macs or n.mac == n.host_mac:
            raise VzConfigError("MAC address %s is used twice" % n.mac, param=param + ".mac",
                                hint="give each side of each interface its own MAC, or leave them out")
        if not n.bridge:
            raise VzConfigError("interface %s has no bridge" % n.name, param=param + ".bridge",
                                hint="name the host bridge the interface joins")
        names.add(n.name)
        hosts.add(n.host_ifname)
        macs.update((n.mac, n.host_mac))
        out.append(n)
    return tuple(out)


def _free_host_ifname(ctid: str, index: int, taken: set) -> str:
    """vethCTID.N for the interface's position, or the next free N when that name is taken."""
    n = index
    while netif_host_ifname(ctid, n) in taken:
        n += 1
    taken.add(netif_host_ifname(ctid, n))
    return netif_host_ifname(ctid, n)


# ---- the whole network of one container --------------------------------------------------------

@dataclass(frozen=True)
class NetConfig:
    ctid: str
    ip_address: tuple = ()   # routed addresses, canonical texts
    netifs: tuple = ()       # Netif entries, complete

    @classmethod
    def from_conf(cls, ctid: str, items: dict) -> "NetConfig":
        return cls(ctid, parse_address_list((items.get("IP_ADDRESS") or "").split(), param="IP_ADDRESS"),
                   parse_netif(items.get("NETIF")))

    def __bool__(self) -> bool:
        return bool(self.ip_address or self.netifs)

    @property
    def routed_host_ifname(self) -> str:
        return routed_host_ifname(self.ctid)

    def all_addresses(self) -> list:
        """Every address of the container (routed and bridged), as ip_interface objects."""
        out = [ipaddress.ip_interface(a) for a in self.ip_address]
        for n in self.netifs:
            out.extend(ipaddress.ip_interface(a) for a in n.ip_address)
        return out

    def routed_default_families(self) -> set:
        """Families whose default route goes through the routed pair: a bridged gateway wins."""
        gw = {ipaddress.ip_address(g).version for n in self.netifs for g in n.gateway}
        return {ipaddress.ip_interface(a).version for a in self.ip_address} - gw


def conflicts(netconf: NetConfig, others) -> list:
    """(address, other ctid) for each of this container's addresses another container's config holds.

    ``others`` is (ctid, config items) of every other container.
    """
    mine = {a.ip for a in netconf.all_addresses()}
    out = []
    for ctid, items in others:
        try:
            theirs = NetConfig.from_conf(ctid, items).all_addresses()
        except VzConfigError:
            continue  # their own config's problem, reported when they are managed
        out.extend((str(a.ip), ctid) for a in theirs if a.ip in mine)
    return out


__all__ = ["NetConfig", "Netif", "parse_address", "parse_address_list", "format_address", "parse_netif",
           "render_netif", "netif_from_dict", "complete_netifs", "routed_host_ifname", "netif_host_ifname",
           "derive_mac", "conflicts", "validate_ifname", "validate_mac", "ROUTED_IFNAME", "ROUTED_PREFIX"]
