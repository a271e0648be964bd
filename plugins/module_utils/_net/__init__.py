# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Containers' networking. Private to vzkit.vz; may change in any release.

- ``_config``: ``IP_ADDRESS`` and ``NETIF`` as the config says them: parsed, checked, rendered (pure).
- ``_plan``: what a container's plan needs of its network: addresses its own, a live change of a running
  container's network as one change of the plan.
- ``_steps``: the steps that wire a running container (veths, addresses, routes, proxy entries), planned
  from what netlink shows and the config before and after.
- ``_view``: what netlink shows of a namespace, as plain data.
- ``_netlink``: the only pyroute2 importer: sockets, and the call behind each step.
- ``_antispoof``: the nftables rule that keeps a routed container to its own source addresses.
"""
