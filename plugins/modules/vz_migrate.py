#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_migrate
short_description: Move a container to another vzkit host over SSH, with a short downtime
version_added: 0.2.0
description:
  - Moves a container from the host this task runs on to another host that runs vzkit, as OpenVZ's C(vzmigrate)
    did. The destination is reached with C(ssh) as O(dest_user), and runs C(vzctl migrate-receive) there (the
    M(vzkit.vz.vz_host) role installs C(vzctl)).
  - C(simfs) containers - C(rsync) passes of the private area (owners as numbers, hard links, ACLs, xattrs,
    sparse files) into a partial area on the destination. C(zfs) containers - C(zfs send) of a snapshot taken
    with the container frozen, then incremental ones, received into a partial dataset there. C(rsync) and
    C(zfs) must be installed on both hosts.
  - While the container runs, O(passes) passes copy it (each one only what changed since the one before);
    then it is stopped, a last pass copies what changed meanwhile, and the destination makes the container of
    what arrived - with the same config, limits, addresses and MACs, its id range there (the same one when it
    is free, else its files are shifted to a free one) - and starts it when it ran here. A simfs container's
    disk quota (project id) is the destination's own - set it there with M(vzkit.vz.vz_quota). RV(migration.downtime_seconds)
    is the time from the stop here to the destination's answer that it runs.
  - The source is destroyed only once the destination has the container (running, when it ran here), or kept
    stopped with O(keep_source).
  - An interrupted run leaves the source intact - if it dies while the container is stopped for the last pass,
    a guard process it started beforehand starts the container again - and a re-run resumes from what reached
    the destination (C(rsync) sends only what differs; C(zfs) sends from the newest snapshot both sides have).
  - The container's lock is held here for the whole run.
author:
  - vzkit.vz contributors (@vzkit)
extends_documentation_fragment:
  - vzkit.vz._attributes
  - vzkit.vz._attributes.actiongroup_vz
  - vzkit.vz._common
attributes:
  check_mode:
    support: partial
    details:
      - Check mode asks the destination what it has of the container (C(vzctl migrate-receive status), which
        changes nothing there) and reports the steps; it copies and changes nothing.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - A container already moved (gone from here - or kept and stopped with O(keep_source) - and on the
        destination from this host) is reported unchanged.
  platform:
    platforms: linux
options:
  ctid:
    description: The container to move (on the C(simfs) or C(zfs) layout).
    type: str
    required: true
    aliases: [name]
  dest:
    description: The destination host, as C(ssh) reaches it (a name or an address).
    type: str
    required: true
  dest_ctid:
    description: The container's id on the destination; O(ctid) when omitted.
    type: str
  dest_user:
    description: The SSH user on the destination; with a user other than C(root), set O(dest_sudo).
    type: str
    default: root
  dest_port:
    description: The destination's SSH port; C(ssh)'s own choice when omitted.
    type: int
  private_key_file:
    description: The SSH key to log in with; C(ssh)'s own choice when omitted.
    type: path
  ssh_args:
    description: More C(ssh) options, for example C(-o UserKnownHostsFile=/path).
    type: list
    elements: str
    default: []
  dest_sudo:
    description:
      - Run C(vzctl) and C(rsync) on the destination through C(sudo -n) (the user needs a sudoers rule for them;
        such a rule is as good as root on that host).
    type: bool
    default: false
  dest_vzctl:
    description: The destination's C(vzctl) command.
    type: str
    default: vzctl
  dest_vz_conf:
    description: The destination's C(vz.conf); its C(vzctl)'s own default when omitted.
    type: path
  dest_zfs_dataset:
    description: C(zfs) containers - the parent dataset on the destination; its C(VE_ZFS_DATASET) when omitted.
    type: str
  passes:
    description:
      - How many passes copy the container while it runs, before it is stopped for the last one.
        More passes make the last one, and so the downtime, smaller when the container writes a lot.
    type: int
    default: 2
  keep_source:
    description: Keep the container here, stopped, instead of destroying it (one copy runs at a time).
    type: bool
    default: false
  stop_timeout:
    description: Seconds to wait for the container's init to shut down here before it is killed.
    type: int
    default: 60
notes:
  - Live migration (CRIU checkpoint and restore instead of stop and start) is not offered yet.
seealso:
  - module: vzkit.vz.vz_backup
  - module: vzkit.vz.vz_container
"""

EXAMPLES = r"""
- name: Move container 101 to node2
  vzkit.vz.vz_migrate:
    ctid: "101"
    dest: node2.example.org
  register: moved

- name: Say what it cost
  ansible.builtin.debug:
    msg: "{{ moved.migration.bytes_sent }} bytes in {{ moved.migration.passes | length }} passes, down {{ moved.migration.downtime_seconds }} s"

- name: Copy 102 to node3 as 202 through a sudo user, keeping the source stopped
  vzkit.vz.vz_migrate:
    ctid: "102"
    dest: node3.example.org
    dest_ctid: "202"
    dest_user: vzadmin
    dest_sudo: true
    keep_source: true
"""

RETURN = r"""
migration:
  description: What was moved and what it cost (in check mode, only RV(migration.ctid), RV(migration.dest), RV(migration.dest_ctid), RV(migration.layout)).
  returned: always
  type: dict
  contains:
    ctid:
      description: The container here.
      type: str
    dest:
      description: The destination host.
      type: str
    dest_ctid:
      description: Its id there.
      type: str
    layout:
      description: Its layout.
      type: str
    passes:
      description: Each pass - its number, bytes sent, seconds, whether the container ran (C(running)) or not, and for C(zfs) the snapshot it was sent from.
      type: list
      elements: dict
      sample: [{"pass": 1, "bytes": 52428800, "seconds": 3.1, "container": "running"}]
    bytes_sent:
      description: The bytes of all passes.
      type: int
    downtime_seconds:
      description: From the stop here to the destination's answer (0 for a container that was not running).
      type: float
    downtime_parts:
      description:
        - Where the downtime went, in seconds - C(stop) (the container's init shutting down here), C(last_pass)
          (what changed since the pass before), C(finish) (the destination making and starting the container).
        - Empty for a container that was not running.
      type: dict
      sample: {"stop": 1.2, "last_pass": 0.4, "finish": 0.9}
    state:
      description: The container's state on the destination.
      type: str
      sample: running
    source:
      description: C(destroyed), C(kept) (stopped), or C(absent) when an earlier run had moved it.
      type: str
actions:
  description: The steps planned (check mode) or done, in order, in words.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF
from ansible_collections.vzkit.vz.plugins.module_utils._host import ModuleHost, run_module
from ansible_collections.vzkit.vz.plugins.module_utils._migrate._send import MigrateSpec, ensure


def argument_spec() -> dict:
    return dict(
        ctid=dict(type="str", required=True, aliases=["name"]),
        dest=dict(type="str", required=True),
        dest_ctid=dict(type="str"),
        dest_user=dict(type="str", default="root"),
        dest_port=dict(type="int"),
        private_key_file=dict(type="path"),
        ssh_args=dict(type="list", elements="str", default=[]),
        dest_sudo=dict(type="bool", default=False),
        dest_vzctl=dict(type="str", default="vzctl"),
        dest_vz_conf=dict(type="path"),
        dest_zfs_dataset=dict(type="str"),
        passes=dict(type="int", default=2, no_log=False),  # (a count of copy passes, not a password)
        keep_source=dict(type="bool", default=False),
        stop_timeout=dict(type="int", default=60),
        vz_conf=dict(type="path", default=DEFAULT_VZ_CONF),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, lambda: ensure(MigrateSpec.from_params(module.params), ModuleHost(module)))


if __name__ == "__main__":
    main()
