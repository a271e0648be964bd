#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_zvol
short_description: The ZFS volume of a zvol-layout container - size, compression, and what it is
version_added: 0.1.0
description:
  - A C(zvol) container lives on a ZFS volume of its own, as in the classic OpenVZ-on-ZFS recipe - a GPT label,
    one partition, and ext4 made as ploop makes it (or xfs), mounted as the private area. The volume is made with
    the container (M(vzkit.vz.vz_container) with O(vzkit.vz.vz_container#module:layout=zvol) and its C(zvol)
    option); this module changes it afterwards and reports it.
  - O(size) grows the volume, its partition and its filesystem, online while the container runs. Shrinking is
    done only while the container is stopped and only on ext4 (C(e2fsck -f), C(resize2fs), then the partition
    and the volume), and only when the new size leaves room above what is in use; xfs cannot shrink. Anything
    else is refused with the reason, before anything changes.
  - O(volblocksize), O(sparse) and O(fs) are fixed when the volume is made. Given here, they are compared with
    the volume's, and a difference is an error - never a false change, never a re-creation.
  - A filesystem that fails to mount is repaired once (C(e2fsck -p), C(xfs_repair)) and the result is reported
    as a warning; one that needs a human is left alone, with the command to run.
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
      - The diff shows C(volsize) and C(compression) before and after.
  idempotent:
    support: full
  platform:
    platforms: linux
options:
  ctid:
    description: The container (of layout C(zvol)).
    type: str
    required: true
    aliases: [name]
  size:
    description:
      - The volume's size (C(K), C(M), C(G), C(T)), rounded up to whole MiB; its filesystem gets all of it but
        2 MiB (the GPT). Stored as C(DISKSPACE) in C(CTID.conf), the container's first-level quota.
    type: str
  compression:
    description:
      - The volume's C(compression) (V(lz4), V(zstd), V(off), ...). It applies to data written from then on.
    type: str
  volblocksize:
    description: Compared with the volume's C(volblocksize) (V(4K) to V(128K)); fixed at creation.
    type: str
  sparse:
    description: Compared with the volume (sparse - no C(refreservation)); fixed at creation.
    type: bool
  fs:
    description: Compared with the volume's filesystem; fixed at creation.
    type: str
    choices: [ext4, xfs]
notes:
  - Needs root on the target, OpenZFS (zvols; zfs-fuse has none), udev (the C(/dev/zvol) links), and C(sfdisk),
    C(partx), C(blkid) and C(e2fsprogs) or C(xfsprogs), all in Debian's C(fdisk), C(util-linux), C(e2fsprogs) and
    C(xfsprogs) packages.
seealso:
  - module: vzkit.vz.vz_container
  - module: vzkit.vz.vz_quota
  - module: vzkit.vz.vz_snapshot
"""

EXAMPLES = r"""
- name: A container on a 10G sparse volume with 16K blocks and ext4 (made by vz_container)
  vzkit.vz.vz_container:
    ctid: "101"
    layout: zvol
    zfs_dataset: tank/vz
    ostemplate: debian-12-amd64-minimal
    zvol: {size: 10G, sparse: true, volblocksize: 16K, fs: ext4, compression: lz4}
    state: started

- name: Grow it to 20G while it runs
  vzkit.vz.vz_zvol:
    ctid: "101"
    size: 20G

- name: Make sure it is what the playbook expects, and read its figures
  vzkit.vz.vz_zvol:
    ctid: "101"
    volblocksize: 16K
    fs: ext4
  register: vol

- name: Shrink it (ext4, container stopped)
  vzkit.vz.vz_zvol:
    ctid: "101"
    size: 12G
"""

RETURN = r"""
zvol:
  description: The volume after the run (in check mode, as it would be).
  returned: always
  type: dict
  contains:
    ctid:
      description: The container.
      type: str
    dataset:
      description: The volume.
      type: str
      sample: tank/vz/101
    device:
      description: Its block device link.
      type: str
      sample: /dev/zvol/tank/vz/101
    partition:
      description: The partition holding the filesystem.
      type: str
      sample: /dev/zvol/tank/vz/101-part1
    volsize:
      description: The volume's size in bytes.
      type: int
    volblocksize:
      description: Its block size in bytes.
      type: int
      sample: 16384
    sparse:
      description: Whether it has no C(refreservation).
      type: bool
    compression:
      description: Its compression.
      type: str
    fs:
      description: The filesystem on it.
      type: str
      sample: ext4
    fs_size:
      description: The filesystem's size in bytes, or null when it is not mounted.
      type: int
    fs_used:
      description: Bytes in use on it, or null when it is not mounted.
      type: int
    mounted:
      description: Whether the filesystem is mounted at the private area.
      type: bool
    running:
      description: Whether the container's root area is mounted (it runs, or is in state mounted).
      type: bool
actions:
  description: The steps planned (check mode) or done, in words.
  returned: always
  type: list
  elements: str
diff:
  description: C(volsize) and C(compression) before and after.
  returned: when diff mode is on
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF
from ansible_collections.vzkit.vz.plugins.module_utils._host import ModuleHost, run_module
from ansible_collections.vzkit.vz.plugins.module_utils._zvol import ZvolSpec, ensure


def argument_spec() -> dict:
    return dict(
        ctid=dict(type="str", required=True, aliases=["name"]),
        size=dict(type="str"),
        compression=dict(type="str"),
        volblocksize=dict(type="str"),
        sparse=dict(type="bool"),
        fs=dict(type="str", choices=["ext4", "xfs"]),
        vz_conf=dict(type="path", default=DEFAULT_VZ_CONF),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, lambda: ensure(ZvolSpec.from_params(module.params), ModuleHost(module), diff=module._diff))


if __name__ == "__main__":
    main()
