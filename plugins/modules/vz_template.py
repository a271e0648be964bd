#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_template
short_description: Build, import or remove OS template caches for OpenVZ-style containers
version_added: 0.1.0
description:
  - Manages the template cache C(TEMPLATE/cache/NAME.tar.zst) (or C(.tar.xz), C(.tar.gz)) that
    M(vzkit.vz.vz_container) creates containers from, like OpenVZ's C(vzpkg) and C(vztmpl-dl).
  - A cache is built with C(debootstrap) on the host, packed from an existing root directory, or
    imported from a tarball. It is packed with numeric owners, ACLs and extended attributes. The
    tree's machine-id, host name and SSH host keys are left out, so every container gets its own.
  - A metadata file C(NAME.meta) beside the cache records distribution, release, architecture, init
    system, source, build date, size and SHA-256.
  - A cache only ever appears complete. A build killed part-way leaves only C(.NAME.vzkit-build) or
    C(NAME.tar.*.partial), which the next run of the same name removes.
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
      - The diff shows whether the cache exists, its path and its checksum, before and after.
  idempotent:
    support: partial
    details:
      - An existing cache is kept as it is (not compared with the options) unless O(force=true),
        which always rebuilds it.
  platform:
    platforms: linux
options:
  name:
    description:
      - Name of the cache, OpenVZ style C(distro-version-arch[-flavour]), for example V(debian-12-x86_64-minimal).
    type: str
    required: true
  state:
    description:
      - V(present) builds the cache when it is missing; V(absent) removes it and its metadata.
    type: str
    choices: [present, absent]
    default: present
  source:
    description:
      - V(debootstrap) builds a Debian (or derivative) tree with C(debootstrap) on the host.
      - V(directory) packs the root tree at O(path) as it is.
      - V(tarball) imports the tar archive at O(path) (any compression tar knows), unpacking and repacking it.
    type: str
    choices: [debootstrap, directory, tarball]
    default: debootstrap
  suite:
    description: The distribution's suite for O(source=debootstrap), for example V(bookworm). Required then.
    type: str
  variant:
    description: The debootstrap variant.
    type: str
    choices: [minbase, buildd, fakechroot]
    default: minbase
  packages:
    description: Extra packages to include with O(source=debootstrap).
    type: list
    elements: str
    default: []
  init:
    description:
      - Init system to install with O(source=debootstrap). V(systemd) adds C(systemd-sysv), V(sysvinit)
        adds C(sysvinit-core), V(none) adds nothing (the tree then needs its own C(/sbin/init)).
    type: str
    choices: [systemd, sysvinit, none]
    default: systemd
  mirror:
    description: The archive debootstrap downloads from.
    type: str
    default: http://deb.debian.org/debian
  arch:
    description: Debian architecture to build for. Defaults to the host's (C(dpkg --print-architecture)).
    type: str
  path:
    description: The root directory (O(source=directory)) or the tarball (O(source=tarball)); absolute.
    type: path
  compression:
    description: How the cache is compressed. V(zst) unpacks fastest.
    type: str
    choices: [zst, xz, gz]
    default: zst
  force:
    description: Rebuild the cache even if it exists.
    type: bool
    default: false
notes:
  - Building with debootstrap needs the C(debootstrap) package and the mirror reachable from the host.
seealso:
  - module: vzkit.vz.vz_template_info
  - module: vzkit.vz.vz_container
"""

EXAMPLES = r"""
- name: Debian 12 with systemd, built with debootstrap
  vzkit.vz.vz_template:
    name: debian-12-x86_64-minimal
    suite: bookworm
    packages: [iproute2, procps]

- name: Debian 12 with sysvinit
  vzkit.vz.vz_template:
    name: debian-12-x86_64-sysvinit
    suite: bookworm
    init: sysvinit

- name: Pack an existing root directory
  vzkit.vz.vz_template:
    name: custom-1-x86_64-app
    source: directory
    path: /srv/rootfs/app

- name: Import a tarball
  vzkit.vz.vz_template:
    name: alpine-3.20-x86_64
    source: tarball
    path: /srv/images/alpine-minirootfs-3.20.0-x86_64.tar.gz

- name: Rebuild, as xz
  vzkit.vz.vz_template:
    name: debian-12-x86_64-minimal
    suite: bookworm
    compression: xz
    force: true

- name: Remove a cache
  vzkit.vz.vz_template:
    name: debian-12-x86_64-minimal
    state: absent
"""

RETURN = r"""
template:
  description: The cache after the run (in check mode, as it would be); RV(template.path) is null when absent.
  returned: always
  type: dict
  contains:
    name:
      description: The cache's name.
      type: str
      sample: debian-12-x86_64-minimal
    path:
      description: The cache file.
      type: str
      sample: /vz/template/cache/debian-12-x86_64-minimal.tar.zst
    size:
      description: Its size in bytes (null in check mode before a build).
      type: int
      sample: 110164755
    format:
      description: Its compression, V(zst), V(xz), V(gz) or V(tar).
      type: str
      sample: zst
    checksum:
      description: SHA-256 of the cache file, from its metadata.
      type: str
      sample: 9f2c...
    metadata:
      description: The keys of C(NAME.meta) (DISTRIBUTION, RELEASE, ARCH, INIT, SOURCE, BUILD_DATE, SHA256, SIZE, ...).
      type: dict
      sample: {"DISTRIBUTION": "debian", "RELEASE": "12", "ARCH": "x86_64", "INIT": "systemd"}
actions:
  description: The steps planned (check mode) or done, in words.
  returned: always
  type: list
  elements: str
  sample: ["build template cache debian-12-x86_64-minimal: debootstrap bookworm (minbase) from http://deb.debian.org/debian, zst"]
diff:
  description: Whether the cache exists, its path and checksum, before and after.
  returned: when diff mode is on
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF
from ansible_collections.vzkit.vz.plugins.module_utils._host import ModuleHost, run_module
from ansible_collections.vzkit.vz.plugins.module_utils._template_state import ensure_template
from ansible_collections.vzkit.vz.plugins.module_utils._templates import TemplateSpec


def argument_spec() -> dict:
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        source=dict(type="str", default="debootstrap", choices=["debootstrap", "directory", "tarball"]),
        suite=dict(type="str"),
        variant=dict(type="str", default="minbase", choices=["minbase", "buildd", "fakechroot"]),
        packages=dict(type="list", elements="str", default=[]),
        init=dict(type="str", default="systemd", choices=["systemd", "sysvinit", "none"]),
        mirror=dict(type="str", default="http://deb.debian.org/debian"),
        arch=dict(type="str"),
        path=dict(type="path"),
        compression=dict(type="str", default="zst", choices=["zst", "xz", "gz"]),
        force=dict(type="bool", default=False),
        vz_conf=dict(type="path", default=DEFAULT_VZ_CONF),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("source", "directory", ("path",)), ("source", "tarball", ("path",))])
    run_module(module, lambda: ensure_template(TemplateSpec.from_params(module.params), ModuleHost(module),
                                               module.params["vz_conf"], diff=module._diff))


if __name__ == "__main__":
    main()
