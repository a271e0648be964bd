# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: vz
short_description: Run tasks inside a vzkit container, through its host's own connection
version_added: 0.2.0
author:
  - vzkit.vz contributors (@vzkit)
description:
  - Runs tasks inside a container on a vzkit host that Ansible reaches through its ordinary
    connection (SSH, or C(local) when the controller is the host). The container needs no sshd, and
    nothing installed beyond what the tasks themselves need (Python, for modules).
  - Every command runs through the host's C(vzctl exec), confined exactly as the container's init
    (user namespace, capability bounding set, seccomp, cgroups), as the container's root.
  - Files are copied with the host's C(vzctl push) and C(vzctl pull); over SSH they are staged on the
    host for the moment of the copy (in the login user's home, or O(vz_host_tmpdir)), so a file is
    streamed, never held whole in memory on either side. Paths resolve inside the container's own tree (a link planted there cannot
    lead out of it), and a file lands owned by the container's root, mapped as its other files are.
  - The vzkit.vz.vz inventory plugin sets these options for every container it lists.
  - C(become) works inside the container (C(become_user) with C(sudo) or C(su) there). The tasks start as
    the container's root, so no password is asked, and the become password is not used.
requirements:
  - On the host, the vzctl command of the vzkit.vz.vz_host role (C(vz_host_cli=true), the default).
extends_documentation_fragment:
  - ansible.builtin.connection_pipelining
options:
  vz_ctid:
    description:
      - The container to run tasks in, by its id on the host.
    type: str
    required: true
    vars:
      - name: vz_ctid
      - name: ansible_vz_ctid
  vz_host:
    description:
      - The host the container runs on, as its connection reaches it (address or name).
      - Needed unless O(vz_host_connection=local).
    type: str
    vars:
      - name: vz_host
      - name: ansible_vz_host
  vz_host_connection:
    description:
      - How the host is reached. C(ssh) is ansible.builtin.ssh, with its own settings from
        C(ansible.cfg) and the environment (control persistence, arguments, timeouts);
        C(local) runs the host's commands on the controller, which then is the host.
    type: str
    default: ssh
    choices: [ssh, local]
    vars:
      - name: vz_host_connection
      - name: ansible_vz_host_connection
  vz_host_user:
    description:
      - The user to log in to the host as over SSH; by default, the SSH connection's own default
        (C(remote_user) of C(ansible.cfg), or SSH's).
      - A user other than root needs O(vz_host_sudo).
    type: str
    vars:
      - name: vz_host_user
      - name: ansible_vz_host_user
  vz_host_port:
    description:
      - The host's SSH port; by default, SSH's.
    type: int
    vars:
      - name: vz_host_port
      - name: ansible_vz_host_port
  vz_host_private_key_file:
    description:
      - The key to log in to the host with.
    type: path
    vars:
      - name: vz_host_private_key_file
      - name: ansible_vz_host_private_key_file
  vz_host_ssh_args:
    description:
      - More arguments for the SSH command line to the host (as ansible.builtin.ssh's C(ssh_extra_args)),
        for example C(-o UserKnownHostsFile=/etc/ansible/vz_known_hosts).
    type: str
    vars:
      - name: vz_host_ssh_args
      - name: ansible_vz_host_ssh_args
  vz_host_sudo:
    description:
      - Run vzctl through C(sudo -n) on the host, for a login user other than root. The user needs
        password-less sudo for the vzctl command; files pulled out of a container then belong to that user.
      - Sudo for vzctl is root on the host (vzctl creates containers and writes host files); grant it as root.
    type: bool
    default: false
    vars:
      - name: vz_host_sudo
      - name: ansible_vz_host_sudo
  vzctl:
    description:
      - The vzctl command on the host (a command line; split as a shell would).
    type: str
    default: vzctl
    vars:
      - name: vzctl
      - name: ansible_vzctl
  vz_host_tmpdir:
    description:
      - The host directory where a file copied in or out is staged, under a random name, for the
        moment of the copy. By default, the home directory of the user logged in to the host (private to
        that user). Over SSH only.
    type: str
    vars:
      - name: vz_host_tmpdir
      - name: ansible_vz_host_tmpdir
notes:
  - Tasks run as the container's root; C(remote_user) does not apply inside (use C(become_user)).
  - A container that is not running makes the host unreachable, with vzctl's one-line reason.
seealso:
  - name: docs/cli.md
    description: the vzctl and vzlist commands this plugin drives.
    link: https://github.com/vzkit/vz/blob/main/docs/cli.md
"""

EXAMPLES = r"""
# With an inventory that says how to reach each container, for example (INI):
#   [containers]
#   web1 vz_ctid=101
#   db1  vz_ctid=102 vz_host_user=deploy vz_host_sudo=true
#   [containers:vars]
#   ansible_connection=vzkit.vz.vz
#   vz_host=host1.example.com
# or with the vzkit.vz.vz inventory plugin, which sets all of it:
- name: Files and commands inside the containers, no sshd in them
  hosts: containers
  tasks:
    - name: Copy the application in
      ansible.builtin.copy:
        src: app.tar.gz
        dest: /srv/app.tar.gz
        mode: "0644"

    - name: Run a command as a user of the container
      ansible.builtin.command: id -un
      become: true
      become_user: www-data
      changed_when: false

- name: On the host itself (the controller is the host)
  hosts: localhost
  tasks:
    - name: Read the container's host name
      ansible.builtin.command: hostname
      delegate_to: ct101
      changed_when: false
      vars:
        ansible_connection: vzkit.vz.vz
        vz_ctid: "101"
        vz_host_connection: local
"""

import secrets
import shlex

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.playbook.play_context import PlayContext
from ansible.plugins.connection import ConnectionBase
from ansible.plugins.loader import connection_loader
from ansible.utils.display import Display

display = Display()

# the options of ansible.builtin.ssh that this plugin's host options set
HOST_OPTIONS = {"vz_host": "host", "vz_host_user": "remote_user", "vz_host_port": "port",
                "vz_host_private_key_file": "private_key_file", "vz_host_ssh_args": "ssh_extra_args"}


class Connection(ConnectionBase):
    """Tasks inside a vzkit container: its host's connection, and the host's vzctl."""

    transport = "vzkit.vz.vz"
    has_pipelining = True
    default_user = "root"  # inside the container, whatever user logs in to the host

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._host = None

    def _connect(self):
        if not self._connected:
            self._host = self._host_connection()
            display.vvv("ESTABLISH VZ CONNECTION TO CONTAINER %s THROUGH %s"
                        % (self.get_option("vz_ctid"), self.get_option("vz_host") or "the controller"),
                        host=self._container_name())
            self._connected = True
        return self

    def _container_name(self) -> str:
        return "%s:%s" % (self.get_option("vz_host") or "localhost", self.get_option("vz_ctid"))

    def _host_connection(self):
        kind = self.get_option("vz_host_connection")
        direct = {}
        if kind != "local":
            if not self.get_option("vz_host"):
                raise AnsibleError("the vzkit.vz.vz connection needs vz_host (the host the container %s runs on), "
                                   "or vz_host_connection: local" % self.get_option("vz_ctid"))
            direct = {ssh: self.get_option(ours) for ours, ssh in HOST_OPTIONS.items() if self.get_option(ours) is not None}
        context = PlayContext()
        context.remote_addr = self.get_option("vz_host") or "localhost"
        host = connection_loader.get(kind, context)
        host.set_options(direct=direct)
        return host._connect()

    def _vzctl(self, *args) -> str:
        """A vzctl command line for the host's shell, through sudo when asked."""
        argv = shlex.split(self.get_option("vzctl")) + list(args)
        if self.get_option("vz_host_sudo"):
            argv = ["sudo", "-n", "--"] + argv
        return " ".join(shlex.quote(a) for a in argv)

    def _on_host(self, cmd: str, in_data=None, *, what: str):
        """Run cmd on the host; a failure of vzctl or of the host's sudo itself (not of the command inside)
        is the connection's: the container is then unreachable, with the one line that says why."""
        rc, stdout, stderr = self._host.exec_command(cmd, in_data=in_data, sudoable=False)
        if rc in (1, 2, 126, 127):
            first = to_text(stderr, errors="surrogate_or_replace").split("\n", 1)[0]
            if self._refused_on_host(first):
                raise AnsibleConnectionFailure("%s in container %s failed: %s" % (what, self._container_name(), first))
        return rc, stdout, stderr

    def _refused_on_host(self, line: str) -> bool:
        """vzctl's own refusal names the container first, its usage error ends in its --help; a missing
        vzctl is the host shell's "not found"; the host's sudo speaks only when asked for. (A command
        inside that prints the same words makes its own container unreachable, nothing more.)"""
        vzctl = shlex.split(self.get_option("vzctl"))[0]
        return (line.startswith("vzctl: container %s" % self.get_option("vz_ctid"))
                or (line.startswith("vzctl") and line.endswith(" --help)"))
                or line.endswith(("%s: not found" % vzctl, "%s: command not found" % vzctl))
                or (bool(self.get_option("vz_host_sudo")) and line.startswith("sudo: ")))

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        display.vvv("EXEC %s" % cmd, host=self._container_name())
        rc, stdout, stderr = self._on_host(self._vzctl("exec", self.get_option("vz_ctid"), "--", cmd), in_data, what="exec")
        if sudoable and self.become and self.become.success:
            # become inside asks nothing of the container's root: only its success marker to remove
            stdout = self.become.strip_become_success(stdout) if to_bytes(self.become.success) in stdout else stdout
        return rc, stdout, stderr

    def _staged(self) -> str:
        """A name for a staged copy on the host: random, in the login user's home (a relative path, which
        SFTP, SCP and the shell all resolve there) or in vz_host_tmpdir."""
        name = ".vzkit-copy-%s" % secrets.token_hex(8)
        where = self.get_option("vz_host_tmpdir")
        return "%s/%s" % (where.rstrip("/"), name) if where else name

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        display.vvv("PUT %s TO %s" % (in_path, out_path), host=self._container_name())
        if self.get_option("vz_host_connection") == "local":
            self._copy("push", in_path, out_path)
            return
        staged = self._staged()
        try:
            self._host.put_file(in_path, staged)
        except Exception:
            self._host.exec_command("rm -f %s" % shlex.quote(staged), sudoable=False)  # (what got there)
            raise
        # pushed and removed in one command: one round trip to the host
        self._copy("push", staged, out_path, then="rm -f %s" % shlex.quote(staged))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        display.vvv("FETCH %s TO %s" % (in_path, out_path), host=self._container_name())
        if self.get_option("vz_host_connection") == "local":
            self._copy("pull", in_path, out_path)
            return
        staged = self._staged()
        try:
            self._copy("pull", in_path, staged)
            self._host.fetch_file(staged, out_path)
        finally:
            self._host.exec_command("rm -f %s" % shlex.quote(staged), sudoable=False)

    def _copy(self, command: str, src: str, dest: str, *, then: str = "") -> None:
        line = self._vzctl(command, self.get_option("vz_ctid"), "--", src, dest)  # (a path may start with -)
        if then:
            line = "%s; rc=$?; %s; exit $rc" % (line, then)
        rc, _out, stderr = self._host.exec_command(line, sudoable=False)
        if rc:
            raise AnsibleError("%s in container %s failed: %s" % (command, self._container_name(), to_text(stderr).strip()))

    def reset(self):
        if self._host is not None:
            self._host.reset()

    def close(self):
        if self._host is not None:
            self._host.close()
            self._host = None
        self._connected = False
