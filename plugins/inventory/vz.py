# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: vz
short_description: The containers of vzkit hosts, reached through their hosts
version_added: 0.2.0
author:
  - vzkit.vz contributors (@vzkit)
description:
  - Lists the containers of the given hosts with one call per host (C(vzlist -a -j) over the host's SSH
    connection, or run on the controller for a C(local) host), and makes each an inventory host that
    the vzkit.vz.vz connection reaches through its host, with no sshd inside.
  - Every container is in the groups C(vz_STATE) (C(vz_running), C(vz_stopped), C(vz_mounted)),
    C(vz_layout_LAYOUT), C(vz_ostemplate_TEMPLATE) and C(vz_host_HOST), and a member of a
    M(vzkit.vz.vz_fleet) fleet in C(vz_fleet_FLEET) (names made safe for groups), with O(group_prefix)
    in place of C(vz_).
  - Its variable C(vz_container) holds what vzkit.vz.vz_container_info returns for it; O(compose),
    O(groups) and O(keyed_groups) can use it, as in every constructed inventory.
  - The inventory file's name must end in C(vz.yml) or C(vz.yaml).
requirements:
  - On each host, the vzlist command of the vzkit.vz.vz_host role.
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; this file is for it.
    type: str
    required: true
    choices: [vzkit.vz.vz]
  hosts:
    description:
      - The vzkit hosts whose containers are listed.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The host's name in group names and container names.
        type: str
        required: true
      address:
        description: How the host's connection reaches it (becomes the containers' C(vz_host)); by default O(hosts[].name).
        type: str
      connection:
        description: C(ssh), or C(local) for the controller itself (see the vzkit.vz.vz connection).
        type: str
        default: ssh
        choices: [ssh, local]
      user:
        description: The user to log in to the host as (C(vz_host_user)).
        type: str
      port:
        description: The host's SSH port (C(vz_host_port)).
        type: int
      private_key_file:
        description: The key to log in to the host with (C(vz_host_private_key_file)).
        type: path
      ssh_args:
        description: More arguments for the SSH command line (C(vz_host_ssh_args)).
        type: str
      sudo:
        description: Run vzlist and vzctl through C(sudo -n) on the host (C(vz_host_sudo)).
        type: bool
        default: false
      vzlist:
        description: The vzlist command on the host.
        type: str
        default: vzlist
      vzctl:
        description: The vzctl command on the host (C(vzctl) of the vzkit.vz.vz connection).
        type: str
        default: vzctl
  name_format:
    description:
      - The inventory name of a container, from C({host}) (the host's O(hosts[].name)), C({ctid}) and
        C({hostname}) (its host name, or its ctid when it has none).
    type: str
    default: "{host}-{ctid}"
  group_prefix:
    description: What the names of the groups this plugin makes start with.
    type: str
    default: vz_
"""

EXAMPLES = r"""
# inventory/containers.vz.yml
plugin: vzkit.vz.vz
hosts:
  - name: node1
    address: 192.0.2.10
  - name: node2
    address: node2.example.com
    user: deploy
    sudo: true
keyed_groups:
  - key: vz_container.config.ONBOOT | default('no')
    prefix: onboot
compose:
  ansible_python_interpreter: "'/usr/bin/python3'"
"""

import json
import re
import shlex

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.playbook.play_context import PlayContext
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.plugins.loader import connection_loader

# a host's options -> the vzkit.vz.vz connection's variable (and ansible.builtin.ssh's option)
CONNECTION_VARS = {"address": ("vz_host", "host"), "user": ("vz_host_user", "remote_user"),
                   "port": ("vz_host_port", "port"), "private_key_file": ("vz_host_private_key_file", "private_key_file"),
                   "ssh_args": ("vz_host_ssh_args", "ssh_extra_args")}


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "vzkit.vz.vz"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("vz.yml", "vz.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        hosts = [self._host_spec(h) for h in self.get_option("hosts")]
        names = [h["name"] for h in hosts]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise AnsibleParserError("hosts: %s named more than once; every host needs a name of its own" % ", ".join(twice))
        key = self.get_cache_key(path)
        use_cache = cache and self.get_option("cache")
        listed = None
        if use_cache:
            try:
                listed = self._cache[key]
            except KeyError:
                listed = None
        if listed is None:
            listed = {h["name"]: self._list(h) for h in hosts}
        if self.get_option("cache"):
            self._cache[key] = listed
        for h in hosts:
            for container in listed.get(h["name"], []):
                self._add(h, container)

    @staticmethod
    def _host_spec(raw) -> dict:
        if not isinstance(raw, dict) or not raw.get("name"):
            raise AnsibleParserError("hosts: every item needs a name (the vzkit host's name), got %r" % (raw,))
        h = {"connection": "ssh", "sudo": False, "vzlist": "vzlist", "vzctl": "vzctl"}
        h.update({k: v for k, v in raw.items() if v is not None})
        unknown = set(h) - set(CONNECTION_VARS) - {"name", "connection", "sudo", "vzlist", "vzctl"}
        if unknown:
            raise AnsibleParserError("hosts: item %s has unknown options %s" % (h["name"], ", ".join(sorted(unknown))))
        if h["connection"] not in ("ssh", "local"):
            raise AnsibleParserError("hosts: item %s: connection must be ssh or local" % h["name"])
        try:
            h["sudo"] = boolean(h["sudo"], strict=True)
        except TypeError:
            raise AnsibleParserError("hosts: item %s: sudo must be true or false, not %r" % (h["name"], h["sudo"])) from None
        h.setdefault("address", h["name"])
        return h

    def _list(self, h) -> list:
        """The host's containers, as vzlist -a -j prints them, through the host's connection."""
        direct = {} if h["connection"] == "local" else {
            ssh: h[ours] for ours, (_var, ssh) in CONNECTION_VARS.items() if h.get(ours) is not None}
        connection = connection_loader.get(h["connection"], PlayContext())
        connection.set_options(direct=direct)
        argv = shlex.split(h["vzlist"]) + ["-a", "-j"]
        if h["sudo"]:
            argv = ["sudo", "-n", "--"] + argv
        try:
            rc, stdout, stderr = connection._connect().exec_command(" ".join(shlex.quote(a) for a in argv), sudoable=False)
        except AnsibleError as exc:
            raise AnsibleError("vzkit host %s: cannot be reached: %s" % (h["name"], exc)) from None
        finally:
            connection.close()
        if rc:
            raise AnsibleError("vzkit host %s: %s failed (rc %d): %s"
                               % (h["name"], " ".join(argv), rc, to_text(stderr).strip() or to_text(stdout).strip()))
        try:
            return json.loads(to_text(stdout))
        except ValueError as exc:
            raise AnsibleError("vzkit host %s: vzlist -j gave no JSON (%s): %s" % (h["name"], exc, to_text(stdout)[:200])) from None

    def _group(self, *parts) -> str:
        return re.sub(r"[^A-Za-z0-9_]", "_", self.get_option("group_prefix") + "_".join(str(p) for p in parts))

    def _add(self, h, container) -> None:
        name = self.get_option("name_format").format(host=h["name"], ctid=container["ctid"],
                                                     hostname=container.get("hostname") or container["ctid"])
        self.inventory.add_host(name)
        hostvars = {"ansible_connection": "vzkit.vz.vz", "vz_ctid": container["ctid"], "vz_host_name": h["name"],
                    "vz_host_connection": h["connection"], "vz_host_sudo": h["sudo"], "vzctl": h["vzctl"],
                    "vz_container": container}
        if h["connection"] != "local":
            hostvars.update({var: h[ours] for ours, (var, _ssh) in CONNECTION_VARS.items() if h.get(ours) is not None})
        for var, value in hostvars.items():
            self.inventory.set_variable(name, var, value)
        groups = [self._group(container["state"]), self._group("layout", container.get("layout") or "none"),
                  self._group("ostemplate", container.get("ostemplate") or "none"), self._group("host", h["name"])]
        if container.get("fleet"):
            groups.append(self._group("fleet", container["fleet"]))
        for group in groups:
            self.inventory.add_group(group)
            self.inventory.add_child(group, name)
        strict = self.get_option("strict")
        self._set_composite_vars(self.get_option("compose"), hostvars, name, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), hostvars, name, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, name, strict=strict)
