# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host-side settings of routed containers: the anti-spoofing rule (nftables) and sysctls.

Private to vzkit.vz; may change in any release. One rule, in table ``inet vzkit``, drops any packet
from a routed container (``venet*`` on the host) whose source address the host would not route back
to that same interface - the venet promise that a container sends only from its own addresses, for
both families (rp_filter covers only IPv4, and systemd hosts set it to loose mode).
"""
from __future__ import annotations

import json

from .._errors import VzUnsupported
from ._config import ROUTED_PREFIX

NFT_TABLE = ("inet", "vzkit")
NFT_CHAIN = "antispoof"
NFT_COMMENT = "vzkit: routed containers send only from their own addresses"
NFT_SCRIPT = """table inet vzkit {
  chain antispoof { type filter hook prerouting priority raw; policy accept; }
}
flush chain inet vzkit antispoof
add rule inet vzkit antispoof iifname "%s*" fib saddr . iif oif missing counter drop comment "%s"
""" % (ROUTED_PREFIX, NFT_COMMENT)


def ensure_rule(host) -> None:
    nft = host.which("nft")
    if not nft:
        raise VzUnsupported("routed addresses (anti-spoofing)", "the nft command (Debian package nftables)",
                            param="ip_address", hint="install nftables; vzkit adds one rule in table inet vzkit")
    res = host.run([nft, "-j", "list", "chain", NFT_TABLE[0], NFT_TABLE[1], NFT_CHAIN], check=False)
    if res.rc == 0 and has_rule(res.stdout):
        return
    host.run([nft, "-f", "-"], data=NFT_SCRIPT.encode("ascii"))


def has_rule(nft_json: str) -> bool:
    try:
        items = json.loads(nft_json).get("nftables", [])
    except ValueError:
        return False
    return any("rule" in it and it["rule"].get("comment") == NFT_COMMENT for it in items)


def read_sysctl(path: str):
    try:
        with open("/proc/sys/" + path, encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return None


def write_sysctl(path: str, value: str) -> None:
    if read_sysctl(path) != value:
        with open("/proc/sys/" + path, "w", encoding="ascii") as fh:
            fh.write(value)


__all__ = ["ensure_rule", "has_rule", "read_sysctl", "write_sysctl", "NFT_TABLE", "NFT_CHAIN", "NFT_COMMENT", "NFT_SCRIPT"]
