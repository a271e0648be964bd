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
  - On the C(simfs) layout only usage is reported; its quota needs ext4/xfs project quota, which vzkit
    does not manage yet, and asking for one fails with the reason.
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
      - The diff shows C(DISKSPACE), C(DISKINODES) and each changed ZFS property before and after.
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
    type: str
  diskinodes:
    description:
      - OpenVZ's C(DISKINODES). Stored in C(CTID.conf) but not enforced on ZFS, which allocates inodes as it
        needs them (a warning says so).
    type: str
  refreservation:
    description: Reserve the limit for the container in the pool (C(refreservation)), or remove the reservation.
    type: bool
  users:
    description:
      - Per-user quotas inside the container. Names are looked up in the container's own C(/etc/passwd)
        (never the host's); numbers are taken as they are. On an unprivileged container the quota is set on
        the mapped host id.
      - Users not listed keep their quota.
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
  - Needs root on the target, and the C(zfs) command for zfs-layout containers.
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
      description: Its dataset (zfs layout).
      type: str
    diskspace:
      description: C(barrier) and C(limit) in bytes (null - none); null on simfs.
      type: dict
    refreservation:
      description: Bytes reserved in the pool, or null.
      type: int
    used:
      description: Bytes the container's files use.
      type: int
    available:
      description: Bytes it can still write (zfs layout).
      type: int
    diskinodes:
      description: C(value) from the config, C(enforced) (always false on ZFS) and the C(reason).
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
  description: Before and after of C(DISKSPACE), C(DISKINODES) and each changed property.
  returned: when diff mode is on and the layout is zfs
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._host import ModuleHost, run_module
from ansible_collections.vzkit.vz.plugins.module_utils._quota import QuotaSpec, ensure


def argument_spec() -> dict:
    entry = dict(name=dict(type="str", required=True), quota=dict(type="str", required=True))
    return dict(
        ctid=dict(type="str", required=True, aliases=["name"]),
        diskspace=dict(type="str"),
        diskinodes=dict(type="str"),
        refreservation=dict(type="bool"),
        users=dict(type="list", elements="dict", options=entry),
        groups=dict(type="list", elements="dict", options=entry),
        vz_conf=dict(type="path", default="/etc/vz/vz.conf"),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, lambda: ensure(QuotaSpec.from_params(module.params), ModuleHost(module), diff=module._diff))


if __name__ == "__main__":
    main()
