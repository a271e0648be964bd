# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container state machine's network part: checks before a change, live changes in the plan.

Private to vzkit.vz; may change in any release. ``_container.plan`` calls ``check_network_config``
when the config's network keys change (addresses are the container's own) and ``plan_network`` at
the end (a start needs pyroute2 and the bridges; a running container's network is changed in place).
"""
from __future__ import annotations

from .._config import ConfFile, configs_in
from .._errors import VzConfigError
from . import _config as netconf


def netif_dicts(items) -> list:
    """NETIF as the modules return it (empty when unreadable: reported when the container is managed)."""
    return [_netif_dict(n) for n in _netifs_or_none(items)]


def net_config(ctid: str, conf) -> netconf.NetConfig:
    return netconf.NetConfig.from_conf(ctid, conf.items() if conf is not None else {})


def check_network_config(spec, ctx, old, new) -> None:
    """Addresses are the container's own: not twice in its config, not in another container's."""
    items = new.items()
    if old is not None and all(old.get(k) == items.get(k) for k in ("IP_ADDRESS", "NETIF")):
        return
    after = net_config(ctx.ctid, new)
    seen = set()
    for addr in after.all_addresses():
        if addr.ip in seen:
            raise VzConfigError("%s is given both as a routed and as an interface address" % addr.ip, param="ip_address",
                                hint="give each address once, in ip_address or in a netif's ip_address")
        seen.add(addr.ip)
    others = [(ctid, conf.items()) for ctid, conf in configs_in(ctx.globals.conf_dir, exclude=ctx.ctid)]
    routed = {str(netconf.parse_address(a, param="ip_address").ip) for a in after.ip_address}
    for ip, other in netconf.conflicts(after, others):
        raise VzConfigError("%s is already used by container %s" % (ip, other),
                            param="ip_address" if ip in routed else "netif", hint="give each container its own addresses")
    netlink, wiring = _wiring()
    if spec.ip_address:
        netlink.require("ip_address")
    if spec.netif:
        netlink.require("netif")
    if after and netlink.HAS_PYROUTE2:
        wiring.check_host(after, ctx.net_env())


def plan_network(ctx, obs, p) -> None:
    """A start needs what the network will need; a running container that stays running gets its
    network changed (or repaired) in place."""
    if p.conf_after is None:
        return
    after = net_config(ctx.ctid, ConfFile.parse(p.conf_after))
    if any(c.op == "start" for c in p.changes):
        if after:
            netlink, wiring = _wiring()
            netlink.require("ip_address" if after.ip_address else "netif")
            wiring.check_host(after, ctx.net_env())
        return
    before = net_config(ctx.ctid, obs.conf)
    if not obs.running or any(c.op == "stop" for c in p.changes) or not (before or after):
        return
    netlink, wiring = _wiring()
    with netlink.Session(ctx.host, obs.record.pid) as session:
        steps = wiring.plan_steps(session, before, after, ctx.net_env(), warn=p.warnings.append)
    if steps:
        p.network_steps = steps
        p.add("network", list(before.ip_address) + [n.name for n in before.netifs],
              list(after.ip_address) + [n.name for n in after.netifs],
              "network of running container %s: %s" % (ctx.ctid, "; ".join(s.desc for s in steps)), "network_live")


def preload() -> None:
    """Import now what a container with a network needs (pyroute2 too): done once before forking many."""
    netlink, _wiring_steps = _wiring()
    netlink.load()


def _wiring() -> tuple:
    """The netlink session and the wiring steps: only a container with a network needs them (a module
    call compiles what it imports: see _container/__init__.py)."""
    from . import _netlink as netlink
    from . import _steps as wiring
    return netlink, wiring


def _netifs_or_none(items) -> tuple:
    try:
        return netconf.parse_netif(items.get("NETIF"))
    except VzConfigError:
        return ()  # an unreadable NETIF is reported when the container is managed, not when listed


def _netif_dict(n) -> dict:
    return {"name": n.name, "bridge": n.bridge, "mac": n.mac, "host_ifname": n.host_ifname, "host_mac": n.host_mac,
            "mtu": n.mtu, "ip_address": list(n.ip_address), "gateway": list(n.gateway),
            "create_bridge": n.create_bridge}


__all__ = ["net_config", "check_network_config", "plan_network", "netif_dicts"]
