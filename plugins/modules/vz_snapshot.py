#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_snapshot
short_description: Snapshots of zfs- and zvol-layout containers - consistent, rolled back without loss, cloned
version_added: 0.1.0
description:
  - Takes, destroys and rolls back ZFS snapshots of a container on the C(zfs) layout (its dataset) or the C(zvol)
    layout (its volume), and clones a new container from one, through the C(zfs) command (OpenZFS 2.x, or
    zfs-fuse for the C(zfs) layout).
  - A running container's snapshot is consistent - its cgroup is frozen around C(sync) and C(zfs snapshot),
    so none of its processes writes while it is taken - and the container runs on afterwards. On the C(zvol)
    layout the filesystem on the volume is frozen as well (C(FIFREEZE), as C(fsfreeze) does), so the snapshot
    holds a clean filesystem.
  - Rolling back to a snapshot that is not the latest keeps the newer ones unless O(destroy_newer) is set.
    The snapshot is cloned, promoted and put in the container's place, and the former state - with
    the newer snapshots - is kept in C(PARENT/.CTID.vzkit-branch-N), whose snapshots stay listed by
    M(vzkit.vz.vz_snapshot_info) and can be rolled back to. A C(zvol) container cannot keep them so - there,
    rolling back past newer snapshots needs O(destroy_newer).
  - Runs on one container serialize through its lock with M(vzkit.vz.vz_container).
author:
  - vzkit.vz contributors (@vzkit)
extends_documentation_fragment:
  - vzkit.vz._attributes
  - vzkit.vz._attributes.actiongroup_vz
  - vzkit.vz._common
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff lists the container's snapshot names before and after.
  idempotent:
    support: partial
    details:
      - O(state=rolled_back) always rolls back (and restarts a running container), as O(state=restarted)
        of M(vzkit.vz.vz_container) always restarts - what a container wrote since the snapshot is what
        a rollback discards. The other states change nothing when run again.
  platform:
    platforms: linux
options:
  ctid:
    description: The container (on the C(zfs) or C(zvol) layout).
    type: str
    required: true
  name:
    description:
      - The snapshot's name (the part after C(@)); letters, digits, C(-), C(_), C(.) and C(:).
    type: str
    required: true
  state:
    description:
      - V(present) takes the snapshot if the container has none of that name.
      - V(absent) destroys it (refused while a container is cloned from it).
      - V(rolled_back) stops the container if it runs, rolls its dataset back to the snapshot, and starts
        it again if it was running.
      - V(cloned) makes a new, stopped container O(target_ctid) from the snapshot, with its own identity -
        no machine-id (a new one is made at its first start), no SSH host keys, host name O(target_hostname)
        or none, no addresses, new MAC addresses, and its own id range when the source is unprivileged.
        Its dataset is a ZFS clone (see its C(origin)). Nothing happens when O(target_ctid) is already a
        clone of this snapshot.
    type: str
    choices: [present, absent, rolled_back, cloned]
    default: present
  recursive:
    description: With O(state=present), snapshot the container's child datasets too (C(zfs snapshot -r)).
    type: bool
    default: false
  destroy_newer:
    description:
      - With O(state=rolled_back), destroy the snapshots newer than the one rolled back to (C(zfs rollback -r))
        instead of keeping them in a branch. Refused when one of them has clones.
    type: bool
    default: false
  target_ctid:
    description: With O(state=cloned), the id of the new container.
    type: str
  target_hostname:
    description: With O(state=cloned), the new container's host name.
    type: str
  stop_timeout:
    description: With O(state=rolled_back), seconds to wait for a running container's init to shut down.
    type: int
    default: 60
  keep:
    description:
      - With O(state=present), keep only the newest O(keep) snapshots of the container that M(vzkit.vz.vz_snapshot)
        took (counting this one), destroying the older ones - as a rotation of daily snapshots does.
      - Never destroyed - snapshots taken by hand (C(zfs snapshot)), those of M(vzkit.vz.vz_backup)
        (C(vzkit-backup-*)), snapshots taken before vzkit marked its own (0.2.0), and snapshots a container is
        cloned from. Each snapshot this module takes carries the ZFS user property C(vzkit:taken-by=vz_snapshot).
      - Omit to destroy none.
    type: int
    version_added: 0.2.0
notes:
  - Needs root on the target, the C(zfs) command and a container created with O(vzkit.vz.vz_container#module:layout=zfs)
    or O(vzkit.vz.vz_container#module:layout=zvol).
seealso:
  - module: vzkit.vz.vz_snapshot_info
  - module: vzkit.vz.vz_container
  - module: vzkit.vz.vz_quota
"""

EXAMPLES = r"""
- name: Snapshot a running container (frozen for the instant the snapshot takes)
  vzkit.vz.vz_snapshot:
    ctid: "101"
    name: before-upgrade

- name: Roll back to it; newer snapshots are kept in a branch
  vzkit.vz.vz_snapshot:
    ctid: "101"
    name: before-upgrade
    state: rolled_back

- name: Roll back and throw the newer snapshots away
  vzkit.vz.vz_snapshot:
    ctid: "101"
    name: before-upgrade
    state: rolled_back
    destroy_newer: true

- name: Daily snapshot, keeping the seven newest
  vzkit.vz.vz_snapshot:
    ctid: "101"
    name: "daily-{{ now(utc=true, fmt='%Y%m%d') }}"
    keep: 7

- name: A new container from the snapshot, with its own identity
  vzkit.vz.vz_snapshot:
    ctid: "101"
    name: before-upgrade
    state: cloned
    target_ctid: "102"
    target_hostname: ct102.example.org

- name: Destroy the snapshot
  vzkit.vz.vz_snapshot:
    ctid: "101"
    name: before-upgrade
    state: absent
"""

RETURN = r"""
snapshot:
  description: The snapshot after the run (in check mode, as it would be); null when absent or not yet taken in check mode.
  returned: always
  type: dict
  contains:
    ctid:
      description: The container.
      type: str
      sample: "101"
    name:
      description: The snapshot's name.
      type: str
      sample: before-upgrade
    snapshot:
      description: Its full ZFS name.
      type: str
      sample: vz/private/101@before-upgrade
    dataset:
      description: The dataset holding it - the container's, or a branch a rollback kept.
      type: str
      sample: vz/private/101
    current:
      description: Whether it belongs to the container's current dataset (false for a kept branch).
      type: bool
    creation:
      description: When it was taken, in seconds since the epoch.
      type: int
    creation_iso:
      description: The same in ISO 8601, UTC.
      type: str
      sample: "2026-11-22T23:40:00Z"
    used:
      description: Bytes held by the snapshot alone.
      type: int
    taken_by:
      description: C(vz_snapshot), C(vz_backup) or C(vz_migrate) for a snapshot vzkit took (from 0.2.0), null for one taken otherwise.
      type: str
      version_added: 0.2.0
target_ctid:
  description: The new container's id.
  returned: when O(state=cloned)
  type: str
actions:
  description: The steps planned (check mode) or done, in order, in words.
  returned: always
  type: list
  elements: str
  sample: ["snapshot vz/private/101@before-upgrade (running container frozen)"]
diff:
  description: The container's snapshot names before and after.
  returned: when diff mode is on
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF
from ansible_collections.vzkit.vz.plugins.module_utils._host import ModuleHost, run_module
from ansible_collections.vzkit.vz.plugins.module_utils._snapshots import STATES, SnapshotSpec, ensure


def argument_spec() -> dict:
    return dict(
        ctid=dict(type="str", required=True),
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=list(STATES)),
        recursive=dict(type="bool", default=False),
        destroy_newer=dict(type="bool", default=False),
        target_ctid=dict(type="str"),
        target_hostname=dict(type="str"),
        stop_timeout=dict(type="int", default=60),
        keep=dict(type="int"),
        vz_conf=dict(type="path", default=DEFAULT_VZ_CONF),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("state", "cloned", ["target_ctid"])])
    run_module(module, lambda: ensure(SnapshotSpec.from_params(module.params), ModuleHost(module), diff=module._diff))


if __name__ == "__main__":
    main()
