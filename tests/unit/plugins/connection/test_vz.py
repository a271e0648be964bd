# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vzkit.vz.vz connection's own logic: the host command lines it builds, what it makes of their
results, the order of a staged copy. The host's connection is a recorder here; the vz_connection
integration target runs the plugin over real SSH against real containers."""
from __future__ import annotations

import warnings

import pytest

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader, init_plugin_loader


def load_plugins():
    """The collections' plugins, as the command line tools load them (ansible-test may have already)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ("AnsibleCollectionFinder has already been configured")
        init_plugin_loader()


class HostRecorder:
    """Stands in for the host's ssh or local connection: records commands, answers from a script."""

    def __init__(self, answers=None):
        self.calls, self.answers = [], dict(answers or {})

    def exec_command(self, cmd, in_data=None, sudoable=True):
        self.calls.append(("exec", cmd, in_data, sudoable))
        for start, answer in self.answers.items():
            if cmd.startswith(start):
                return answer
        return 0, b"", b""

    def put_file(self, src, dest):
        self.calls.append(("put", src, dest))

    def fetch_file(self, src, dest):
        self.calls.append(("fetch", src, dest))

    def close(self):
        self.calls.append(("close",))

    def reset(self):
        self.calls.append(("reset",))


@pytest.fixture(name="make")
def fixture_make(monkeypatch):
    load_plugins()

    def make(answers=None, **options):
        conn = connection_loader.get("vzkit.vz.vz", PlayContext())
        conn.set_options(direct=dict({"vz_ctid": "101", "vz_host": "node1"}, **options))
        recorder = HostRecorder(answers)
        monkeypatch.setattr(conn, "_host_connection", lambda: recorder)
        conn._connect()
        return conn, recorder
    return make


def test_exec_runs_vzctl_exec_with_the_command_as_one_argument(make):
    conn, host = make({"vzctl exec": (3, b"out", b"err")})
    assert conn.exec_command("/bin/sh -c 'echo a b'", in_data=b"payload") == (3, b"out", b"err")
    assert host.calls == [("exec", "vzctl exec 101 -- '/bin/sh -c '\"'\"'echo a b'\"'\"''", b"payload", False)]


def test_sudo_and_a_vzctl_command_line(make):
    conn, host = make(vz_host_sudo=True, vzctl="/opt/vz/bin/vzctl --quiet")
    conn.exec_command("true")
    assert host.calls[0][1] == "sudo -n -- /opt/vz/bin/vzctl --quiet exec 101 -- true"


@pytest.mark.parametrize("stderr", [b"vzctl: container 101 is not running; start it first (vzctl start)\n",
                                    b"sudo: a password is required\n", b"sh: 1: vzctl: not found\n",
                                    b"vzctl exec: error: the following arguments are required: cmd (see vzctl exec --help)\n"])
def test_a_failure_of_vzctl_or_sudo_makes_the_container_unreachable(make, stderr):
    conn, _host = make({"sudo -n -- vzctl exec": (1 if stderr.startswith(b"vzctl") else 127, b"", stderr)},
                       vz_host_sudo=True)
    with pytest.raises(AnsibleConnectionFailure) as exc:
        conn.exec_command("true")
    assert "exec in container node1:101 failed: " + stderr.decode().strip() == str(exc.value)


@pytest.mark.parametrize("stderr", [b"grep: no match\n", b"sudo: unknown user app2\n",
                                    b"vzctl: container 102 is not running; start it first (vzctl start)\n"])
def test_a_failing_command_inside_is_the_task_s_not_the_connection_s(make, stderr):
    """Also sudo's words inside the container (no sudo on the host), or another container's vzctl."""
    conn, _host = make({"vzctl exec": (1, b"", stderr)})
    assert conn.exec_command("grep x /etc/hostname") == (1, b"", stderr)


@pytest.fixture(name="random_names")
def fixture_random_names(monkeypatch):
    names = iter(["aaaa", "bbbb", "cccc"])
    monkeypatch.setattr("secrets.token_hex", lambda n: next(names))


def test_put_file_is_staged_in_the_login_user_s_home_then_pushed_and_removed_in_one_go(make, random_names):
    conn, host = make(vz_host_sudo=True)
    conn.put_file("/local/file", "/root/dest")
    conn.put_file("/local/other", "/root/other")
    conn.close()
    assert host.calls == [
        ("put", "/local/file", ".vzkit-copy-aaaa"),
        ("exec", "sudo -n -- vzctl push 101 -- .vzkit-copy-aaaa /root/dest; rc=$?; rm -f .vzkit-copy-aaaa; exit $rc", None, False),
        ("put", "/local/other", ".vzkit-copy-bbbb"),
        ("exec", "sudo -n -- vzctl push 101 -- .vzkit-copy-bbbb /root/other; rc=$?; rm -f .vzkit-copy-bbbb; exit $rc", None, False),
        ("close",)]


def test_fetch_file_pulls_to_the_stage_then_fetches_and_removes(make, random_names):
    conn, host = make(vz_host_tmpdir="/var/tmp/mine/")
    conn.fetch_file("/etc/motd", "/local/motd")
    assert [c[:3] for c in host.calls] == [
        ("exec", "vzctl pull 101 -- /etc/motd /var/tmp/mine/.vzkit-copy-aaaa", None),
        ("fetch", "/var/tmp/mine/.vzkit-copy-aaaa", "/local/motd"),
        ("exec", "rm -f /var/tmp/mine/.vzkit-copy-aaaa", None)]


def test_a_failed_copy_names_the_container_and_vzctl_s_reason(make, random_names):
    conn, host = make({"vzctl push": (1, b"", b"vzctl: container 101: push failed: /root/fifo: not a regular file\n")})
    with pytest.raises(AnsibleError) as exc:
        conn.put_file("/local/file", "/root/fifo")
    assert "push in container node1:101 failed: vzctl: container 101: push failed: /root/fifo: not a regular file" \
        == str(exc.value)
    assert host.calls[-1][1].endswith("; rc=$?; rm -f .vzkit-copy-aaaa; exit $rc")  # removed all the same


def test_a_put_that_breaks_off_leaves_no_staged_copy(make, random_names):
    conn, host = make()

    def broken(src, dest):
        host.calls.append(("put", src, dest))
        raise AnsibleConnectionFailure("sftp: connection lost")
    host.put_file = broken
    with pytest.raises(AnsibleConnectionFailure):
        conn.put_file("/local/file", "/root/dest")
    assert host.calls[-1] == ("exec", "rm -f .vzkit-copy-aaaa", None, False)


def test_on_a_local_host_copies_go_straight_from_and_to_the_controller_s_files(make):
    conn, host = make(vz_host_connection="local", vz_host=None)
    conn.put_file("/local/file", "/root/dest")
    conn.fetch_file("/root/dest", "/local/back")
    assert [c[1] for c in host.calls] == ["vzctl push 101 -- /local/file /root/dest", "vzctl pull 101 -- /root/dest /local/back"]


def test_ssh_needs_a_host(monkeypatch):
    load_plugins()
    conn = connection_loader.get("vzkit.vz.vz", PlayContext())
    conn.set_options(direct={"vz_ctid": "101"})
    with pytest.raises(AnsibleError) as exc:
        conn._connect()
    assert "needs vz_host" in str(exc.value) and "vz_host_connection: local" in str(exc.value)


def test_the_host_connection_gets_the_host_options(monkeypatch):
    load_plugins()
    conn = connection_loader.get("vzkit.vz.vz", PlayContext())
    conn.set_options(direct={"vz_ctid": "101", "vz_host": "192.0.2.10", "vz_host_user": "deploy", "vz_host_port": 2222,
                             "vz_host_private_key_file": "/keys/id", "vz_host_ssh_args": "-o Foo=bar"})
    ssh = conn._host_connection.__func__  # build it, but do not connect
    seen = {}

    class FakeSSH:
        def set_options(self, direct):
            seen.update(direct)

        def _connect(self):
            return self
    monkeypatch.setattr(connection_loader, "get", lambda name, ctx: seen.update(name=name) or FakeSSH())
    ssh(conn)
    assert seen == {"name": "ssh", "host": "192.0.2.10", "remote_user": "deploy", "port": 2222,
                    "private_key_file": "/keys/id", "ssh_extra_args": "-o Foo=bar"}


def test_become_success_marker_is_removed(make):
    from ansible.plugins.loader import become_loader
    conn, _host = make()
    become = become_loader.get("ansible.builtin.su")
    become.build_become_command("id -un", conn._shell)  # sets its success marker
    conn.set_become_plugin(become)
    conn._host.answers["vzctl exec"] = (0, b"%s\r\napp\n" % become.success.encode(), b"")
    assert conn.exec_command("ignored")[1] == b"app\n"
