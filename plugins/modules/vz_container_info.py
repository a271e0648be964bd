#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_container_info
short_description: List OpenVZ-style containers and their state
version_added: 0.1.0
description:
  - Reports every container that has a C(CTID.conf) (or only those named) with its state, init pid,
    host name, layout, paths and config, read from disk and C(/proc), like C(vzlist -a).
author:
  - vzkit.vz contributors (@vzkit)
extends_documentation_fragment:
  - vzkit.vz._attributes
  - vzkit.vz._attributes.actiongroup_vz
  - vzkit.vz._attributes.info_module
  - vzkit.vz._common
attributes:
  idempotent:
    support: full
  platform:
    platforms: linux
options:
  ctid:
    description:
      - Containers to report. All containers when omitted.
      - A named container that does not exist is reported with state V(absent).
    type: list
    elements: str
    aliases: [name]
seealso:
  - module: vzkit.vz.vz_container
"""

EXAMPLES = r"""
- name: List all containers
  vzkit.vz.vz_container_info:
  register: vz

- name: Show a status table
  ansible.builtin.debug:
    msg: "{{ item.ctid }} {{ item.state }} {{ item.init_pid }} {{ item.hostname }}"
  loop: "{{ vz.containers }}"

- name: Report two containers
  vzkit.vz.vz_container_info:
    ctid: ["101", web1]
"""

RETURN = r"""
containers:
  description: One entry per container, ordered by numeric ctid, then by name.
  returned: always
  type: list
  elements: dict
  contains:
    ctid:
      description: The container's id.
      type: str
      sample: "101"
    state:
      description: V(absent), V(stopped), V(mounted) or V(running).
      type: str
      sample: running
    init_pid:
      description: Host pid of the container's init while it runs, else V(null).
      type: int
      sample: 41234
    hostname:
      description: C(HOSTNAME) from the config.
      type: str
      sample: ct101.example.org
    ip_address:
      description: Routed addresses (C(IP_ADDRESS) from the config).
      type: list
      elements: str
      sample: ["198.51.100.10", "fd42:7a6b::10/64"]
    netif:
      description: Bridged interfaces (C(NETIF) from the config); see M(vzkit.vz.vz_container).
      type: list
      elements: dict
      sample: [{"name": "eth0", "bridge": "vzbr0", "mac": "02:5c:1e:8a:31:07", "host_ifname": "veth102.0",
                "host_mac": "06:9b:22:40:ae:10", "mtu": null, "ip_address": [], "gateway": [], "create_bridge": false}]
    layout:
      description: The container's layout; null when it is absent.
      type: str
      sample: simfs
    private:
      description: Path of the private area.
      type: str
      sample: /vz/private/101
    root:
      description: Path of the root area.
      type: str
      sample: /vz/root/101
    ostemplate:
      description: The template the container was created from.
      type: str
      sample: busybox
    fleet:
      description: The M(vzkit.vz.vz_fleet) fleet the container is a member of (C(VZKIT_FLEET)), or null.
      type: str
      sample: web
    config:
      description: Every key of C(CTID.conf) with its value.
      type: dict
      sample: {"HOSTNAME": "ct101.example.org"}
    console_log:
      description: Host file that receives the container's console.
      type: str
      sample: /var/log/vz/101.console.log
    id_range:
      description:
        - The host ids the container's users map to; V(null) for an identity-mapped container.
        - C(overlaps) names other containers holding some of the same host ids (a warning says so too); such a
          container is refused at start until one of them moves to a range of its own.
      type: dict
      sample: {"first_uid": 100000, "first_gid": 100000, "count": 65536, "overlaps": []}
    limits_drift:
      description:
        - Limit files of a running container whose value in the kernel no longer matches what vzkit applied;
          M(vzkit.vz.vz_container) puts them back.
      type: list
      elements: dict
      sample: [{"file": "/sys/fs/cgroup/pids/vz/101/pids.max", "applied": "100", "now": "max"}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF
from ansible_collections.vzkit.vz.plugins.module_utils._container._ensure import info
from ansible_collections.vzkit.vz.plugins.module_utils._host import ModuleHost, run_module


def argument_spec() -> dict:
    return dict(
        ctid=dict(type="list", elements="str", aliases=["name"]),
        vz_conf=dict(type="path", default=DEFAULT_VZ_CONF),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    run_module(module, lambda: dict(changed=False, containers=info(params["vz_conf"], ModuleHost(module), params["ctid"])))


if __name__ == "__main__":
    main()
