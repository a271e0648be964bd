#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_backup_info
short_description: List, and verify, the container backups in a directory
version_added: 0.2.0
description:
  - Lists the backup files that M(vzkit.vz.vz_backup) wrote to a directory, oldest first, with what each
    manifest says - container, layout, kind, creation time, the backup it is built on, sizes.
  - With O(verify), each file is read through and its members checked against the SHA-256 sums of its
    manifest, as M(vzkit.vz.vz_restore) does before it writes anything.
  - A file named as a backup that cannot be read (truncated, corrupt, another format) is listed with
    RV(backups[].valid=false) and the reason, never left out.
author:
  - vzkit.vz contributors (@vzkit)
extends_documentation_fragment:
  - vzkit.vz._attributes
  - vzkit.vz._attributes.actiongroup_vz
  - vzkit.vz._attributes.info_module
attributes:
  idempotent:
    support: full
  platform:
    platforms: linux
options:
  dest:
    description: The directory holding the backups.
    type: path
    required: true
  ctid:
    description: Containers whose backups to list; all when omitted.
    type: list
    elements: str
    aliases: [name]
  verify:
    description: Read every file through and check its SHA-256 sums (reads all of each file).
    type: bool
    default: false
seealso:
  - module: vzkit.vz.vz_backup
  - module: vzkit.vz.vz_restore
"""

EXAMPLES = r"""
- name: Verify the backups of container 101
  vzkit.vz.vz_backup_info:
    dest: /var/backups/vz
    ctid: ["101"]
    verify: true
  register: found

- name: Fail when one is damaged
  ansible.builtin.assert:
    that: found.backups | rejectattr('valid') | list | length == 0
"""

RETURN = r"""
backups:
  description: The backups, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file.
      type: str
    ctid:
      description: The container backed up.
      type: str
    valid:
      description:
        - With O(verify), whether every member matched its manifest; without, null for a readable file.
        - False, with RV(backups[].error), for a file that cannot be read as a backup.
      type: bool
    error:
      description: What is wrong with the file.
      returned: when RV(backups[].valid) is false
      type: str
    host:
      description: The host that made it.
      type: str
    layout:
      description: The container's layout then.
      type: str
    kind:
      description: C(tar) (GNU tar passes) or C(zfs-send) (a C(zfs send) stream).
      type: str
    created:
      description: Seconds since the epoch.
      type: float
    created_iso:
      description: The same in ISO 8601, UTC.
      type: str
    compression:
      description: How the payload is compressed.
      type: str
    running:
      description: Whether the container was running.
      type: bool
    freeze_seconds:
      description: How long it was frozen.
      type: float
    incremental:
      description: Whether it is built on another backup.
      type: bool
    base:
      description: The file name of the backup it is built on, or null.
      type: str
    snapshot:
      description: C(zfs) - the snapshot it sent.
      type: str
    size:
      description: The file's size in bytes.
      type: int
    payload_bytes:
      description: The bytes of the container's files in it, as compressed.
      type: int
    members:
      description: Its members with their sizes and SHA-256.
      type: list
      elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._host import run_module
from ansible_collections.vzkit.vz.plugins.module_utils._backup._archive import info


def argument_spec() -> dict:
    return dict(
        dest=dict(type="path", required=True),
        ctid=dict(type="list", elements="str", aliases=["name"]),
        verify=dict(type="bool", default=False),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    run_module(module, lambda: dict(changed=False, backups=info(params["dest"], params["ctid"], verify=params["verify"])))


if __name__ == "__main__":
    main()
