# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running a command inside: against a real process in namespaces of its own, each check beside the
same command on the host, so that what is seen inside is the namespaces', not the host's."""
from __future__ import annotations

import socket
import time

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._confine import Confinement
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzStateError
from ansible_collections.vzkit.vz.plugins.module_utils._exec import check_running, run_in_container
from ansible_collections.vzkit.vz.tests.unit.plugins.module_utils._namespaced import namespaced

LOOK = "hostname; echo pid=$$; grep -c : /proc/net/dev"


@pytest.fixture(name="init", scope="module")
def fixture_init():
    with namespaced("vzkit-exec-test") as pid:
        yield pid


def run(init, argv, **kwargs):
    return run_in_container(init, argv, attach=lambda pid: None, confinement=Confinement(), **kwargs)


def test_the_command_runs_in_the_namespaces_of_the_init(init):
    res = run(init, ["sh", "-c", LOOK])
    hostname, pid, links = res.stdout.decode().split()
    assert (res.rc, res.stderr, res.timed_out) == (0, b"", False)
    assert hostname == "vzkit-exec-test" != socket.gethostname()
    assert int(pid.split("=")[1]) < 10  # a pid of the init's pid namespace
    assert links == "1"  # its network namespace: lo only


def test_control_the_same_look_on_the_host_differs():
    import subprocess
    hostname, pid, links = subprocess.run(["sh", "-c", LOOK], capture_output=True, check=True).stdout.decode().split()
    assert hostname == socket.gethostname() and int(pid.split("=")[1]) > 10 and int(links) > 1


def test_exit_code_output_and_input(init):
    res = run(init, ["sh", "-c", "cat; echo to-stderr >&2; exit 3"], stdin=b"fed\n" * 20000)
    assert res.rc == 3
    assert res.stdout == b"fed\n" * 20000  # more than a pipe holds: fed and read at once
    assert res.stderr == b"to-stderr\n"


def test_environment_and_directory(init):
    res = run(init, ["sh", "-c", "echo $ONLY; pwd"], env={"ONLY": "this", "PATH": "/usr/bin:/bin"}, cwd="/tmp")
    assert res.stdout == b"this\n/tmp\n"


def test_a_missing_command_is_127_with_a_message(init):
    res = run(init, ["/no/such/command"])
    assert res.rc == 127
    assert b"vzkit exec: /no/such/command: No such file or directory" in res.stderr


def test_a_command_past_its_timeout_is_killed_with_its_children(init):
    started = time.monotonic()
    res = run(init, ["sh", "-c", "sleep 30 & sleep 30"], timeout=0.5)
    assert res.timed_out and res.rc != 0
    assert time.monotonic() - started < 10


def test_the_command_is_confined_like_the_init(init):
    """The default confinement drops CAP_SYS_MODULE from the bounding set (bit 16 of CapBnd)."""
    res = run(init, ["sh", "-c", "grep CapBnd /proc/self/status"])
    assert not int(res.stdout.split()[1], 16) & (1 << 16)


def test_check_running():
    check_running(object(), "101")
    with pytest.raises(VzStateError) as exc:
        check_running(None, "101")
    assert exc.value.details["param"] == "ctid" and "not running" in str(exc.value)
