#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_backup
short_description: Back up a container to one file - consistent while it runs, full or incremental
version_added: 0.2.0
description:
  - Writes one backup file of a container, as Proxmox's and OpenVZ's C(vzdump) did - C(DEST/vzkit-backup-CTID-YYYYMMDDTHHMMSSZ.tar),
    an uncompressed tar that C(tar -tvf) lists, holding the container's C(CTID.conf), its files (the payload)
    and a manifest C(manifest.json) with the format version, the layout, the source ctid and host, and each
    member's size and SHA-256.
  - C(simfs) containers - GNU C(tar) passes over the private area (owners, modes, ACLs, xattrs, sparse files,
    device nodes). A running container is read while it runs, then its cgroup is frozen for a second pass
    (C(--listed-incremental)) that holds only what changed during the first, and thawed - the freeze lasts
    for the changes, not the tree (RV(backup.freeze_seconds)).
  - C(zfs) containers - a C(zfs send) stream of a snapshot taken with the container frozen (as
    M(vzkit.vz.vz_snapshot) takes one). With O(incremental), the stream holds only what changed since the
    newest earlier backup of the container whose snapshot the dataset still has; the snapshot of the newest
    backup (C(vzkit-backup-*)) is kept on the dataset as the next one's base, older ones are destroyed.
  - The file is written as C(.NAME.partial) and renamed when complete, with mode C(0600) (it holds every file
    of the container). An interrupted run leaves only the partial file, which the next backup of the
    container removes.
  - M(vzkit.vz.vz_restore) makes a container from the file; M(vzkit.vz.vz_backup_info) lists and verifies backups.
  - The container's lock is held while the backup is made, so no other vzkit run changes it meanwhile.
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
      - Check mode reports the file it would write and the old backups O(keep) would remove, and writes nothing.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - Every run writes a new backup, as C(vzdump) does; O(keep) bounds how many are kept.
  platform:
    platforms: linux
options:
  ctid:
    description: The container to back up (on the C(simfs) or C(zfs) layout; C(zvol) containers are not backed up yet).
    type: str
    required: true
    aliases: [name]
  dest:
    description:
      - The directory that receives the backup file; it must exist, and must not lie inside the container's
        private or root area.
    type: path
    required: true
  incremental:
    description:
      - C(zfs) containers - send only what changed since the newest earlier backup of this container in O(dest)
        whose snapshot the dataset still has; without one, a full backup is made (its RV(actions) say so).
      - A restore of an incremental backup reads the backups it is built on from the same directory.
      - Ignored for C(simfs) containers, whose backups are always whole.
    type: bool
    default: false
  keep:
    description:
      - After the backup is written, remove the oldest backups of this container that this host made in O(dest)
        beyond the newest O(keep) - except those a kept incremental backup is built on. Only files named as
        backups of this container, whose manifests name this host, are ever removed.
      - With O(incremental), each backup is built on the one before, so the chain only ends at a full backup -
        make one now and then (O(incremental=false)) for O(keep) to have old chains to remove.
      - Omit to remove none.
    type: int
  compression:
    description: How the payload is compressed (C(zstd) and C(gzip) are Debian's programs of those names).
    type: str
    choices: [zstd, gzip, none]
    default: zstd
seealso:
  - module: vzkit.vz.vz_restore
  - module: vzkit.vz.vz_backup_info
  - module: vzkit.vz.vz_snapshot
"""

EXAMPLES = r"""
- name: Back up container 101 to /var/backups/vz, keeping its seven newest backups
  vzkit.vz.vz_backup:
    ctid: "101"
    dest: /var/backups/vz
    keep: 7

- name: Nightly incremental backup of a zfs container, a full one on Sundays
  vzkit.vz.vz_backup:
    ctid: "102"
    dest: /var/backups/vz
    incremental: "{{ now().weekday() != 6 }}"
    keep: 14
  register: backup

- name: Say how long the container was frozen
  ansible.builtin.debug:
    msg: "{{ backup.backup.path }}: frozen {{ backup.backup.freeze_seconds }} s"
"""

RETURN = r"""
backup:
  description:
    - The backup file written (in check mode, the one that would be - only RV(backup.path), RV(backup.ctid),
      RV(backup.layout), RV(backup.incremental) and RV(backup.created_iso)).
  returned: always
  type: dict
  contains:
    path:
      description: The file.
      type: str
      sample: /var/backups/vz/vzkit-backup-101-20261207T020000Z.tar
    ctid:
      description: The container backed up.
      type: str
    host:
      description: The host name of the host that made it.
      type: str
    layout:
      description: The container's layout.
      type: str
      sample: simfs
    kind:
      description: C(tar) (simfs - GNU tar passes) or C(zfs-send) (zfs - a C(zfs send) stream).
      type: str
    created:
      description: When it was started, in seconds since the epoch.
      type: float
    created_iso:
      description: The same in ISO 8601, UTC.
      type: str
      sample: "2026-12-07T02:00:00Z"
    compression:
      description: How the payload is compressed.
      type: str
    running:
      description: Whether the container was running (and so was frozen for the consistent part).
      type: bool
    freeze_seconds:
      description: How long the container was frozen (0 when it was not running).
      type: float
      sample: 0.031
    incremental:
      description: Whether the backup is incremental (built on RV(backup.base)).
      type: bool
    base:
      description: The file name of the backup it is built on, or null.
      type: str
    snapshot:
      description: C(zfs) - the snapshot sent (kept on the dataset as the next incremental's base).
      type: str
    size:
      description: The file's size in bytes.
      type: int
    payload_bytes:
      description: The bytes of the container's files in it, as compressed.
      type: int
    members:
      description: The members of the file with their sizes and SHA-256, as the manifest lists them.
      type: list
      elements: dict
removed:
  description: The older backup files removed (or, in check mode, that would be) because of O(keep).
  returned: always
  type: list
  elements: str
actions:
  description: The steps planned (check mode) or done, in order, in words.
  returned: always
  type: list
  elements: str
  sample: ["back up container 101 to /var/backups/vz/vzkit-backup-101-20261207T020000Z.tar (running: a pass while it runs, a final pass with it frozen)"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF
from ansible_collections.vzkit.vz.plugins.module_utils._host import ModuleHost, run_module
from ansible_collections.vzkit.vz.plugins.module_utils._backup._dump import COMPRESSIONS, BackupSpec, ensure


def argument_spec() -> dict:
    return dict(
        ctid=dict(type="str", required=True, aliases=["name"]),
        dest=dict(type="path", required=True),
        incremental=dict(type="bool", default=False),
        keep=dict(type="int"),
        compression=dict(type="str", default="zstd", choices=list(COMPRESSIONS)),
        vz_conf=dict(type="path", default=DEFAULT_VZ_CONF),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, lambda: ensure(BackupSpec.from_params(module.params), ModuleHost(module)))


if __name__ == "__main__":
    main()
