#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_restore
short_description: Make a container from a backup file - under its old ctid or a new one, on simfs or zfs
version_added: 0.2.0
description:
  - Creates a container from a file that M(vzkit.vz.vz_backup) wrote, as C(vzrestore) and C(pct restore) do.
  - Before anything is written, the file - and, for an incremental backup, each backup it is built on, read
    from the same directory - is checked against the SHA-256 sums of its manifest; a corrupt or truncated
    file fails naming itself, and nothing changes.
  - The container is made as M(vzkit.vz.vz_container) makes one - its private area is filled beside its
    final place, its config written, and the area renamed into place; an interrupted run leaves only the
    partial area, which the next run removes (a run cut between the config and the rename is named by the
    next one, which says what to remove).
  - A C(simfs) backup restores onto C(simfs) or C(zfs); a C(zfs) backup onto C(zfs).
  - An existing container is never overwritten - the run fails, unless that container is this very backup's
    restore (its config records the backup as C(VZKIT_RESTORED_FROM)), in which case nothing changes.
  - An unprivileged container gets a free id range on this host (its old one when restored under its own
    ctid and that range is free); its files are shifted to it.
author:
  - vzkit.vz contributors (@vzkit)
extends_documentation_fragment:
  - vzkit.vz._attributes
  - vzkit.vz._attributes.actiongroup_vz
  - vzkit.vz._common
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the manifest and reports the steps; the SHA-256 sums are checked only in a real run.
  diff_mode:
    support: none
  idempotent:
    support: full
  platform:
    platforms: linux
options:
  backup:
    description: The backup file (an absolute path).
    type: path
    required: true
  ctid:
    description: The new container's id; the backed-up container's own when omitted.
    type: str
    aliases: [name]
  layout:
    description: The new container's layout; the backed-up container's when omitted.
    type: str
    choices: [simfs, zfs]
  zfs_dataset:
    description:
      - Layout C(zfs) - the parent dataset of the new container's dataset; C(VE_ZFS_DATASET) of O(vz_conf) when
        omitted.
    type: str
  reset_identity:
    description:
      - Give the new container an identity of its own, as a clone from M(vzkit.vz.vz_snapshot) gets one - no
        C(/etc/machine-id), SSH host keys, host name or addresses; new MAC addresses; no fleet membership.
      - Defaults to true when O(ctid) differs from the backed-up container's (a copy), false when it is the same
        (the container come back).
    type: bool
  hostname:
    description: The new container's host name (set after O(reset_identity)).
    type: str
  state:
    description:
      - V(present) leaves the restored container stopped; V(started) starts it, as M(vzkit.vz.vz_container) does.
    type: str
    choices: [present, started]
    default: present
seealso:
  - module: vzkit.vz.vz_backup
  - module: vzkit.vz.vz_backup_info
  - module: vzkit.vz.vz_container
"""

EXAMPLES = r"""
- name: Bring container 101 back from its backup, and start it
  vzkit.vz.vz_restore:
    backup: /var/backups/vz/vzkit-backup-101-20261207T020000Z.tar
    state: started

- name: A copy of it as container 201 on zfs, with its own identity and host name
  vzkit.vz.vz_restore:
    backup: /var/backups/vz/vzkit-backup-101-20261207T020000Z.tar
    ctid: "201"
    layout: zfs
    zfs_dataset: vz/private
    hostname: ct201.example
"""

RETURN = r"""
container:
  description: The restored container (in check mode, as it would be).
  returned: always
  type: dict
  contains:
    ctid:
      description: Its id.
      type: str
    state:
      description: C(stopped) or C(running) (C(mounted) if it was mounted by hand since).
      type: str
    layout:
      description: Its layout.
      type: str
    private:
      description: Its private area.
      type: str
      returned: except in check mode
    hostname:
      description: Its host name, or null.
      type: str
      returned: except in check mode
    restored_from:
      description: The file name of the backup it was restored from.
      type: str
actions:
  description: The steps planned (check mode) or done, in order, in words.
  returned: always
  type: list
  elements: str
  sample:
    - verify vzkit-backup-101-20261207T020000Z.tar (sha256 of 312 MiB)
    - restore container 201 from /var/backups/vz/vzkit-backup-101-20261207T020000Z.tar (simfs full backup of container 101
      onto layout zfs, with a new identity)
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF
from ansible_collections.vzkit.vz.plugins.module_utils._host import ModuleHost, run_module
from ansible_collections.vzkit.vz.plugins.module_utils._backup._restore import LAYOUTS, STATES, RestoreSpec, ensure


def argument_spec() -> dict:
    return dict(
        backup=dict(type="path", required=True),
        ctid=dict(type="str", aliases=["name"]),
        layout=dict(type="str", choices=list(LAYOUTS)),
        zfs_dataset=dict(type="str"),
        reset_identity=dict(type="bool"),
        hostname=dict(type="str"),
        state=dict(type="str", default="present", choices=list(STATES)),
        vz_conf=dict(type="path", default=DEFAULT_VZ_CONF),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, lambda: ensure(RestoreSpec.from_params(module.params), ModuleHost(module)))


if __name__ == "__main__":
    main()
