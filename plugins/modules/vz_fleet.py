#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_fleet
short_description: Converge many OpenVZ-style containers on one host in one task
version_added: 0.3.0
description:
  - Converges a list of containers, each given with exactly the options of M(vzkit.vz.vz_container),
    in one module call. Each container is validated with vz_container's own argument spec and checks,
    and converged by the same code, under its own lock, as vz_container would converge it.
  - Containers converge in parallel, each in a process of its own, at most O(parallel) at once.
  - A container that is refused (a bad option) or whose converge fails fails alone; the others go on.
    The task then fails at the end, naming every failed container with its error. What a failed
    container's run made is removed by its own undo, as with vz_container.
  - With O(fleet), every listed container records the fleet's name in its C(CTID.conf)
    (C(VZKIT_FLEET)), and O(prune=true) destroys the members of that fleet that are no longer listed.
    Prune never touches a container without that key, nor one of another fleet.
  - Much faster than a C(loop) over vz_container for more than a few containers, with one module start,
    one import of the runtime, and the containers side by side (see C(bench/RESULTS.md)).
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
      - Each container reports what it would do; nothing is created, not even a lock file.
  diff_mode:
    support: full
    details:
      - Each changed container's diff (state and C(CTID.conf) before and after), headed with its ctid.
  idempotent:
    support: partial
    details:
      - A container with C(state=restarted) always restarts, as in vz_container.
  platform:
    platforms: linux
options:
  containers:
    description:
      - The containers, each a dictionary of M(vzkit.vz.vz_container)'s options (C(ctid) required,
        C(state), C(ostemplate), C(hostname), C(ip_address), C(ram), ...), validated as that module
        validates its own. Errors name the container and the option.
      - An item that is a ctid alone (a string or a number) stands for the container with that ctid and
        O(defaults) only, so that C("{{ range(101, 121) | list }}") lists twenty.
      - Each ctid may be listed once.
      - C(vz_conf) is the task's (O(vz_conf)); a container may not name another.
    type: list
    elements: raw
    required: true
  defaults:
    description:
      - vz_container options merged under every item of O(containers). An item's option replaces the
        default's whole value (a C(config) dictionary in an item replaces the default's, key for key
        merging is not done).
      - Checked on their own before any container is touched (a bad default fails the task at once, even
        with an empty O(containers)); they may not give C(ctid).
    type: dict
    default: {}
  fleet:
    description:
      - A name for this set of containers, recorded in each listed container's C(CTID.conf) as
        C(VZKIT_FLEET). 1 to 64 letters, digits, C(.), C(_) or C(-), starting with a letter or digit.
      - A listed container that is already a member of another fleet is refused (it fails alone).
      - Without it, the containers are converged and no membership is recorded.
    type: str
  prune:
    description:
      - Destroy (C(state=absent)) the members of O(fleet) that are not listed in O(containers).
      - Only containers whose C(CTID.conf) says C(VZKIT_FLEET) is O(fleet) are members; no other container
        is ever touched.
      - Not done at all when an item of O(containers) is refused (its container could look unlisted);
        a warning says so.
      - A pruned container is stopped within O(defaults)'s C(stop_timeout) when it gives one (else 60 seconds).
    type: bool
    default: false
  parallel:
    description:
      - How many containers converge at once. V(0) means twice the number of CPUs.
      - V(1) converges them one by one, in the order listed.
    type: int
    default: 0
notes:
  - Per-container results are in RV(containers); RV(summary) counts them.
  - A container's warnings are the task's warnings, prefixed with its ctid.
seealso:
  - module: vzkit.vz.vz_container
  - module: vzkit.vz.vz_container_info
"""

EXAMPLES = r"""
- name: Twenty web containers, two of them larger; members no longer listed are removed
  vzkit.vz.vz_fleet:
    fleet: web
    prune: true
    defaults:
      ostemplate: debian-12-x86_64-minimal
      state: started
      ram: 256M
      numproc: 200
    containers: "{{ range(101, 121) | list }}"

- name: The same fleet with per-container options
  vzkit.vz.vz_fleet:
    fleet: web
    defaults:
      ostemplate: debian-12-x86_64-minimal
      state: started
    containers:
      - ctid: "101"
        hostname: web101.example
        ip_address: [198.51.100.101]
        ram: 1G
      - ctid: "102"
        hostname: web102.example
        ip_address: [198.51.100.102]
  register: web

- name: Say which containers changed
  ansible.builtin.debug:
    msg: "{{ web.containers | selectattr('changed') | map(attribute='ctid') | list }}"

- name: Stop the whole fleet, four at a time
  vzkit.vz.vz_fleet:
    fleet: web
    parallel: 4
    defaults:
      state: stopped
    containers:
      - ctid: "101"
      - ctid: "102"
"""

RETURN = r"""
containers:
  description: One entry per listed container, in the order listed, then one per pruned member.
  returned: always
  type: list
  elements: dict
  contains:
    ctid:
      description: The container's id (null for an item without one).
      type: str
      sample: "101"
    changed:
      description: Whether this container changed (or in check mode would change).
      type: bool
      sample: true
    actions:
      description: What was done (or would be done) to it, in order, as vz_container reports them.
      type: list
      elements: str
      sample: ["create container 101 from template busybox (layout simfs)", "start container 101"]
    state:
      description: Its state afterwards (C(running), C(stopped), C(mounted), C(absent)); null when it failed.
      type: str
      sample: running
    pruned:
      description: Whether it is a member of O(fleet) that was not listed (and so destroyed).
      type: bool
      sample: false
    error:
      description: Why it failed (refused, or its converge failed).
      type: str
      returned: when it failed
      sample: "`ram`: 0 is not a limit; give a size above 0 with K, M, G or T"
    exception:
      description: The traceback of an unexpected error (a bug to report).
      type: str
      returned: when its converge met an unexpected error
    diff:
      description: Its diff, as vz_container returns it.
      type: list
      elements: dict
      returned: in diff mode, when it has one
summary:
  description: How many containers there were, changed, unchanged, failed, and pruned.
  returned: always
  type: dict
  sample: {"total": 20, "changed": 2, "unchanged": 18, "failed": 0, "pruned": 1}
diff:
  description: Every container's diff entries, each headed with its container.
  returned: in diff mode
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF
from ansible_collections.vzkit.vz.plugins.module_utils._container._fleet import converge_fleet
from ansible_collections.vzkit.vz.plugins.module_utils._host import ModuleHost, run_module


def argument_spec() -> dict:
    return dict(
        containers=dict(type="list", elements="raw", required=True),
        defaults=dict(type="dict", default={}),
        fleet=dict(type="str"),
        prune=dict(type="bool", default=False),
        parallel=dict(type="int", default=0),
        vz_conf=dict(type="path", default=DEFAULT_VZ_CONF),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("prune", True, ("fleet",))])
    p = module.params
    run_module(module, lambda: converge_fleet(p["containers"], ModuleHost(module), defaults=p["defaults"],
                                              fleet=p["fleet"], prune=p["prune"], parallel=p["parallel"],
                                              vz_conf=p["vz_conf"], diff=module._diff))


if __name__ == "__main__":
    main()
