#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_template_info
short_description: List the OS template caches of OpenVZ-style containers
version_added: 0.1.0
description:
  - Lists the caches in C(TEMPLATE/cache) with their path, size, format, checksum and metadata,
    like C(vzpkg list).
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
options: {}
seealso:
  - module: vzkit.vz.vz_template
"""

EXAMPLES = r"""
- name: List template caches
  vzkit.vz.vz_template_info:
  register: caches

- name: Show their names
  ansible.builtin.debug:
    msg: "{{ caches.templates | map(attribute='name') | list }}"
"""

RETURN = r"""
templates:
  description: One entry per cache, sorted by name.
  returned: always
  type: list
  elements: dict
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
      description: Its size in bytes.
      type: int
      sample: 110164755
    format:
      description: Its compression.
      type: str
      sample: zst
    checksum:
      description: SHA-256 from its metadata (null when it has none, e.g. a cache made by hand).
      type: str
      sample: 9f2c...
    metadata:
      description: The keys of its C(NAME.meta) file.
      type: dict
      sample: {"DISTRIBUTION": "debian", "RELEASE": "12"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF
from ansible_collections.vzkit.vz.plugins.module_utils._host import run_module

from ansible_collections.vzkit.vz.plugins.module_utils._template_state import template_info


def argument_spec() -> dict:
    return dict(vz_conf=dict(type="path", default=DEFAULT_VZ_CONF))


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, lambda: dict(changed=False, templates=template_info(module.params["vz_conf"])))


if __name__ == "__main__":
    main()
