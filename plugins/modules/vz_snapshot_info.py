#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_snapshot_info
short_description: List the snapshots of zfs- and zvol-layout containers
version_added: 0.1.0
description:
  - Lists the ZFS snapshots of containers on the C(zfs) and C(zvol) layouts, oldest first, with creation time and the
    space each holds - those of the container's dataset and those a rollback kept in a branch.
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
    description: Containers whose snapshots to list; every zfs- and zvol-layout container when omitted.
    type: list
    elements: str
    aliases: [name]
seealso:
  - module: vzkit.vz.vz_snapshot
"""

EXAMPLES = r"""
- name: List the snapshots of container 101
  vzkit.vz.vz_snapshot_info:
    ctid: ["101"]
  register: snaps

- name: Show them
  ansible.builtin.debug:
    msg: "{{ item.name }} {{ item.creation_iso }} {{ item.used }}"
  loop: "{{ snaps.snapshots }}"
"""

RETURN = r"""
snapshots:
  description: One entry per snapshot, per container, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    ctid:
      description: The container.
      type: str
    name:
      description: The snapshot's name.
      type: str
    snapshot:
      description: Its full ZFS name.
      type: str
    dataset:
      description: The dataset holding it.
      type: str
    current:
      description: Whether it belongs to the container's current dataset (false for a branch a rollback kept).
      type: bool
    creation:
      description: Seconds since the epoch.
      type: int
    creation_iso:
      description: The same in ISO 8601, UTC.
      type: str
    used:
      description: Bytes held by the snapshot alone.
      type: int
    taken_by:
      description: C(vz_snapshot), C(vz_backup) or C(vz_migrate) for a snapshot vzkit took (from 0.2.0), null for one taken otherwise.
      type: str
      version_added: 0.2.0
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF
from ansible_collections.vzkit.vz.plugins.module_utils._host import ModuleHost, run_module
from ansible_collections.vzkit.vz.plugins.module_utils._snapshots import info


def argument_spec() -> dict:
    return dict(
        ctid=dict(type="list", elements="str", aliases=["name"]),
        vz_conf=dict(type="path", default=DEFAULT_VZ_CONF),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    run_module(module, lambda: dict(changed=False, snapshots=info(params["vz_conf"], ModuleHost(module), params["ctid"])))


if __name__ == "__main__":
    main()
