#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_quota
short_description: Two-level disk quota of a container, and its usage
version_added: 0.1.0
description:
  - Sets a container's first-level quota (the container as a whole, OpenVZ's C(DISKSPACE)) and its
    second-level quotas (per user and per group inside it), and reports its usage - as C(vzquota) and
    C(vzctl set --diskspace --quotaugidlimit) did on OpenVZ.
  - On the C(zfs) layout the first level is the dataset's C(refquota) (optionally reserved with
    C(refreservation)) and the second level its C(userquota@UID) / C(groupquota@GID) properties.
  - On the C(zvol) layout the first level is the volume's size (O(diskspace)'s limit; grown online, shrunk
    offline on ext4 only, as M(vzkit.vz.vz_zvol) does) and the second level the user and group quota of the
    container's own filesystem on it (ext4 made with the C(quota) feature, mounted C(usrquota,grpquota); xfs
    mounted C(uquota,gquota)).
  - On the C(simfs) layout the first level is ext4/xfs project quota. The container's files carry its own
    project id (C(DISK_PROJID) in C(CTID.conf), given at creation, or here to a container made before the
    filesystem kept project quota, whose files are then tagged once); C(DISKSPACE) and C(DISKINODES) become
    the id's soft and hard limits, and C(df) inside the container shows the quota as the size of its root.
    The host filesystem needs ext4's C(quota,project) features and the C(prjquota) mount option, or xfs's
    C(pquota) mount option; where they are missing, usage alone is reported, and asking for a quota fails
    naming what to add.
  - The container's root is held to the simfs project limits too (it has no C(CAP_SYS_RESOURCE) over the host's
    filesystem). A write past a simfs limit fails with C(EDQUOT) ("Disk quota exceeded") on ext4 but with
    C(ENOSPC) ("No space left on device") on xfs, which reports project quota as a full filesystem.
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
      - The diff shows C(DISKSPACE), C(DISKINODES), C(QUOTATIME) and each changed ZFS property (zfs) or the
        project id (simfs) before and after.
  idempotent:
    support: full
  platform:
    platforms: linux
options:
  ctid:
    description: The container.
    type: str
    required: true
    aliases: [name]
  diskspace:
    description:
      - First-level quota in OpenVZ's C(DISKSPACE) syntax - C(LIMIT) or C(BARRIER:LIMIT), in 1K blocks
        unless a suffix (C(K), C(M), C(G), C(T)) is given; V(unlimited) removes it. Stored in C(CTID.conf).
      - On ZFS the limit becomes C(refquota), so writes inside stop at it (snapshots do not count against
        it). ZFS has no soft limit - a lower barrier is stored and reported, not enforced. Sizes are compared
        in bytes, so V(10G) and V(10485760) are the same request.
      - On zvol the limit is the volume's size (grown online; shrunk offline, ext4 only); a lower barrier is
        stored, not enforced. It cannot be V(unlimited).
      - On simfs the barrier is the project's soft limit (writes past it succeed until the grace time,
        O(quotatime), runs out) and the limit its hard limit, both in whole KiB.
    type: str
  diskinodes:
    description:
      - OpenVZ's C(DISKINODES), C(LIMIT) or C(BARRIER:LIMIT) in files and directories. On simfs the
        project's inode soft and hard limits. Stored in C(CTID.conf) but not enforced on ZFS, which allocates
        inodes as it needs them (a warning says so).
    type: str
  quotatime:
    description:
      - OpenVZ's C(QUOTATIME), in seconds - how long writes past a barrier (of O(diskspace) or O(diskinodes))
        are allowed. Stored in C(CTID.conf).
      - On simfs it is set as the project quota grace time of the host filesystem. The kernel keeps one per
        filesystem, not per container, so it applies to every container on that filesystem (a warning says so).
        V(0) means the kernel's default (a week).
      - On ZFS, which has no soft limit, it is stored, not enforced (a warning says so).
    type: str
  refreservation:
    description:
      - Reserve the limit for the container in the pool (C(refreservation)), or remove the reservation.
      - Only on the C(zfs) layout.
    type: bool
  users:
    description:
      - Per-user quotas inside the container. Names are looked up in the container's own C(/etc/passwd)
        (never the host's); numbers are taken as they are. On an unprivileged container the quota is set on
        the mapped host id.
      - Users not listed keep their quota.
      - On the C(zfs) and C(zvol) layouts; a simfs container's files share the host filesystem's user quota.
    type: list
    elements: dict
    suboptions:
      name:
        description: User name or uid inside the container.
        type: str
        required: true
      quota:
        description: Limit (with C(K), C(M), C(G), C(T)), or V(none) to remove it.
        type: str
        required: true
  groups:
    description: Per-group quotas inside the container, as O(users) with its C(/etc/group).
    type: list
    elements: dict
    suboptions:
      name:
        description: Group name or gid inside the container.
        type: str
        required: true
      quota:
        description: Limit (with C(K), C(M), C(G), C(T)), or V(none) to remove it.
        type: str
        required: true
notes:
  - Needs root on the target, and the C(zfs) command for zfs- and zvol-layout containers.
  - Project quota on simfs needs Linux 5.14 or later (C(quotactl_fd)); no quota tools are needed.
seealso:
  - module: vzkit.vz.vz_container
  - module: vzkit.vz.vz_snapshot
"""

EXAMPLES = r"""
- name: Limit container 101 to 10 GiB
  vzkit.vz.vz_quota:
    ctid: "101"
    diskspace: 10G

- name: OpenVZ syntax, in 1K blocks, with the space reserved in the pool
  vzkit.vz.vz_quota:
    ctid: "101"
    diskspace: "9437184:10485760"
    refreservation: true

- name: Second level - one user and one group inside the container
  vzkit.vz.vz_quota:
    ctid: "101"
    users:
      - {name: alice, quota: 1G}
      - {name: "1001", quota: none}
    groups:
      - {name: www-data, quota: 5G}

- name: A simfs container on ext4 (quota,project; mounted with prjquota) or xfs (pquota) - soft and hard limits
  vzkit.vz.vz_quota:
    ctid: "102"
    diskspace: 9G:10G
    diskinodes: "200000:220000"
    quotatime: "86400"

- name: Report usage only
  vzkit.vz.vz_quota:
    ctid: "101"
  register: usage
"""

RETURN = r"""
quota:
  description: The container's quota and usage after the run (in check mode, as it would be).
  returned: always
  type: dict
  contains:
    ctid:
      description: The container.
      type: str
    layout:
      description: Its layout.
      type: str
    dataset:
      description: Its dataset or volume (zfs and zvol layouts).
      type: str
    filesystem:
      description: The host filesystem of a simfs container's private area - C(type), C(mount_point), C(source).
      type: dict
      sample: {type: ext4, mount_point: /vz, source: /dev/sdb1}
    projid:
      description: The project id of a simfs container's files (simfs, where the filesystem keeps project quota).
      type: int
      sample: 101
    quotatime:
      description: The filesystem's project quota grace time in seconds (simfs, where enforced).
      type: int
    volume:
      description: A zvol container's volume, as M(vzkit.vz.vz_zvol) returns it.
      type: dict
    grace_ends:
      description:
        - When a simfs container's grace time runs out (epoch seconds) for C(blocks) and C(inodes), or null
          while it is under its barrier.
      type: dict
    diskspace:
      description: C(barrier) and C(limit) in bytes (null - none); null on a simfs filesystem without project quota.
      type: dict
    refreservation:
      description: Bytes reserved in the pool, or null.
      type: int
    used:
      description: Bytes the container's files use.
      type: int
    available:
      description: Bytes it can still write before its limit (null - no limit, or usage only on simfs).
      type: int
    diskinodes:
      description:
        - C(value) from the config and C(enforced) - always false on ZFS, with the C(reason); on simfs where
          enforced, also the C(barrier), C(limit) and files C(used); where not, the C(reason) names what the
          filesystem lacks.
      type: dict
    users:
      description: Users of the container with a quota or any usage - C(name), C(id), C(host_id), C(quota), C(used).
      type: list
      elements: dict
    groups:
      description: The same for groups.
      type: list
      elements: dict
actions:
  description: The steps planned (check mode) or done, in words.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after of C(DISKSPACE), C(DISKINODES), C(QUOTATIME) and each changed property (zfs) or C(DISK_PROJID) (simfs).
  returned: when diff mode is on, except for a simfs container on a filesystem without project quota
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF
from ansible_collections.vzkit.vz.plugins.module_utils._host import ModuleHost, run_module
from ansible_collections.vzkit.vz.plugins.module_utils._quota._ensure import ensure
from ansible_collections.vzkit.vz.plugins.module_utils._quota._request import QuotaSpec


def argument_spec() -> dict:
    entry = dict(name=dict(type="str", required=True), quota=dict(type="str", required=True))
    return dict(
        ctid=dict(type="str", required=True, aliases=["name"]),
        diskspace=dict(type="str"),
        diskinodes=dict(type="str"),
        quotatime=dict(type="str"),
        refreservation=dict(type="bool"),
        users=dict(type="list", elements="dict", options=entry),
        groups=dict(type="list", elements="dict", options=entry),
        vz_conf=dict(type="path", default=DEFAULT_VZ_CONF),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, lambda: ensure(QuotaSpec.from_params(module.params), ModuleHost(module), diff=module._diff))


if __name__ == "__main__":
    main()
