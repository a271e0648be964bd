#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_container_exec
short_description: Run a command inside a running OpenVZ-style container
version_added: 0.1.0
description:
  - Runs a command inside a running container as its root user, like C(vzctl exec).
  - The command is confined exactly like the container's init. It joins the container's cgroups and
    all its namespaces (its user namespace first, so it holds capabilities only there), gets the
    same capability bounding set and seccomp filter, and runs in the container's root directory.
    C(nsenter) from the host does none of that.
  - Like M(ansible.builtin.command), it always reports a change and does not run in check mode.
author:
  - vzkit.vz contributors (@vzkit)
extends_documentation_fragment:
  - vzkit.vz._attributes
  - vzkit.vz._attributes.actiongroup_vz
  - vzkit.vz._common
attributes:
  check_mode:
    support: none
  diff_mode:
    support: none
  idempotent:
    support: none
  platform:
    platforms: linux
options:
  ctid:
    description: The container's id; it must be running.
    type: str
    required: true
    aliases: [name]
  argv:
    description:
      - The command and its arguments, run without a shell. Mutually exclusive with O(command).
    type: list
    elements: str
  command:
    description:
      - The command as one string, run by the container's C(/bin/sh -c). Mutually exclusive with O(argv).
    type: str
  chdir:
    description: Directory inside the container to run the command in.
    type: str
    default: /
  env:
    description:
      - Environment of the command. When omitted, the container init's environment
        (C(PATH), C(HOME=/), C(TERM), C(container=vzkit)).
    type: dict
  stdin:
    description: Text to feed to the command's standard input.
    type: str
  timeout:
    description: Seconds after which the command (and everything it started) is killed; V(0) for none.
    type: int
    default: 0
notes:
  - A non-zero exit status fails the task; use O(argv)/O(command) with C(failed_when) to test for failures.
seealso:
  - module: vzkit.vz.vz_container
"""

EXAMPLES = r"""
- name: Show the processes of container 101
  vzkit.vz.vz_container_exec:
    ctid: "101"
    argv: [ps, -ef]

- name: Run a shell pipeline inside
  vzkit.vz.vz_container_exec:
    ctid: "101"
    command: "grep -c processor /proc/cpuinfo && hostname"

- name: Feed a script on standard input, with a time limit
  vzkit.vz.vz_container_exec:
    ctid: "101"
    argv: [/bin/sh]
    stdin: |
      echo hello from $(hostname)
    timeout: 30
"""

RETURN = r"""
rc:
  description: Exit status of the command; 128 + N when signal N ended it (137 for SIGKILL, as a shell reports it).
  returned: always
  type: int
  sample: 0
stdout:
  description: Standard output of the command.
  returned: always
  type: str
  sample: "ct101.example.org\n"
stderr:
  description: Standard error of the command.
  returned: always
  type: str
  sample: ""
stdout_lines:
  description: RV(stdout) split into lines.
  returned: always
  type: list
  elements: str
stderr_lines:
  description: RV(stderr) split into lines.
  returned: always
  type: list
  elements: str
timed_out:
  description: Whether the command was killed because O(timeout) passed.
  returned: always
  type: bool
  sample: false
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF
from ansible_collections.vzkit.vz.plugins.module_utils._container._inside import exec_command
from ansible_collections.vzkit.vz.plugins.module_utils._host import run_module


def argument_spec() -> dict:
    return dict(
        ctid=dict(type="str", required=True, aliases=["name"]),
        argv=dict(type="list", elements="str"),
        command=dict(type="str"),
        chdir=dict(type="str", default="/"),
        env=dict(type="dict"),
        stdin=dict(type="str"),
        timeout=dict(type="int", default=0),
        vz_conf=dict(type="path", default=DEFAULT_VZ_CONF),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=False,
                           mutually_exclusive=[("argv", "command")], required_one_of=[("argv", "command")])
    run_module(module, lambda: run(module))


def run(module) -> dict:
    p = module.params
    res = exec_command(p["ctid"], p["vz_conf"], p["argv"] or ["/bin/sh", "-c", p["command"]],
                       stdin=(p["stdin"] or "").encode("utf-8"), env=p["env"], cwd=p["chdir"], timeout=p["timeout"])
    res.update(changed=True, stdout_lines=res["stdout"].splitlines(), stderr_lines=res["stderr"].splitlines())
    if res["rc"] != 0:
        res.update(failed=True, msg="command exited with %d%s" % (res["rc"], " (timed out)" if res["timed_out"] else ""))
    return res


if __name__ == "__main__":
    main()
