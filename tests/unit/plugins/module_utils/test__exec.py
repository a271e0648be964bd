# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running a command inside: against a real process in namespaces of its own, each check beside the
same command on the host, so that what is seen inside is the namespaces', not the host's."""
from __future__ import annotations

import os
import socket
import tempfile
import time

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._confine import Confinement
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzStateError
from ansible_collections.vzkit.vz.plugins.module_utils._exec import check_running, copy_in, copy_out, run_in_container
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


def test_streams_from_and_to_file_descriptors(init, tmp_path):
    """stdin relayed from a descriptor until its end, stdout and stderr relayed as they come."""
    (tmp_path / "in").write_bytes(b"line\n" * 300000)  # 1.5 MB: more than any pipe holds
    with open(tmp_path / "in", "rb") as src, open(tmp_path / "out", "wb") as out, open(tmp_path / "err", "wb") as err:
        res = run(init, ["sh", "-c", "wc -l; echo e >&2"], stdin=src.fileno(), stdout=out.fileno(), stderr=err.fileno())
    assert (res.rc, res.stdout, res.stderr) == (0, b"", b"")  # nothing collected
    assert (tmp_path / "out").read_bytes().strip() == b"300000" and (tmp_path / "err").read_bytes() == b"e\n"


def copier(func, init, *args, **kwargs):
    return func(init, *args, attach=lambda pid: None, confinement=Confinement(), **kwargs)


def test_copy_in_and_out_keep_every_byte(init, tmp_path):
    """(The test's namespaces keep the host's root, so the paths inside are the host's.)"""
    payload = os.urandom(3 << 20) + bytes(range(256))
    (tmp_path / "src").write_bytes(payload)
    with open(tmp_path / "src", "rb") as src:
        res = copier(copy_in, init, src.fileno(), str(tmp_path / "inside"), mode=0o640)
    assert (res.rc, res.stderr) == (0, b"")
    assert (tmp_path / "inside").read_bytes() == payload
    assert (tmp_path / "inside").stat().st_mode & 0o777 == 0o640
    with open(tmp_path / "back", "wb") as dest:
        res = copier(copy_out, init, str(tmp_path / "inside"), dest.fileno())
    assert (res.rc, (tmp_path / "back").read_bytes() == payload) == (0, True)


def test_copies_refuse_what_is_not_a_regular_file(init, tmp_path):
    """A FIFO planted under the name would hold a blocking open forever; a directory is no file."""
    os.mkfifo(tmp_path / "fifo")
    with open(os.devnull, "rb") as src:
        res = copier(copy_in, init, src.fileno(), str(tmp_path / "fifo"))
    assert res.rc == 1 and res.stderr == ("%s: not a regular file\n" % (tmp_path / "fifo")).encode()
    with tempfile.TemporaryFile() as dest:
        res = copier(copy_out, init, str(tmp_path), dest.fileno())
        assert res.rc == 1 and b"not a regular file" in res.stderr
        res = copier(copy_out, init, str(tmp_path / "missing"), dest.fileno())
        assert res.rc == 1 and b"No such file or directory" in res.stderr


def _grandchildren(comm: str = "") -> list:
    """Host pids of the processes two forks below this one (named comm; by default, as this one is)."""
    me, found = os.getpid(), []
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, encoding="ascii", errors="replace") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    with open("/proc/self/comm", encoding="ascii") as fh:
        ours = comm + "\n" if comm else fh.read()
    for pid, ppid in parents.items():
        try:
            with open("/proc/%d/comm" % pid, encoding="ascii") as fh:
                if parents.get(ppid) == me and fh.read() == ours:  # forks of ours, not the init's sleep
                    found.append(pid)
        except OSError:
            continue
    return found


def test_the_copying_process_inside_cannot_be_looked_into(init, tmp_path):
    """It holds a host file descriptor while in the container's namespaces: the container's root may not
    open its /proc files (not dumpable); control, the same look at a command run inside works."""
    import threading
    source_r, source_w = os.pipe()  # a source that stays open: the copy waits in the container
    done = {}
    copying = threading.Thread(target=lambda: done.update(res=copier(copy_in, init, source_r, str(tmp_path / "x"))))
    copying.start()
    controlling = threading.Thread(target=run, args=(init, ["sleep", "2"]))
    controlling.start()
    try:
        deadline = time.monotonic() + 10
        # (until the control's worker has become `sleep`: before its exec it has our name too)
        while not (len(_grandchildren()) == 1 and _grandchildren("sleep")) and time.monotonic() < deadline:
            time.sleep(0.05)
        (worker,), (control,) = _grandchildren(), [p for p in _grandchildren("sleep") if p != init]
        look = "import os, sys\nfor pid in sys.argv[1:]:\n    try:\n        print(os.readlink('/proc/%s/fd/1' % pid))\n" \
            "    except OSError as exc:\n        print(exc.strerror)"
        res = run(init, ["python3", "-c", look, str(worker), str(control)])
        attempt, controlled = res.stdout.decode().split("\n")[:2]
        assert attempt == "Permission denied"
        assert controlled.startswith(("/", "pipe:", "socket:"))
    finally:
        controlling.join(10)
        os.write(source_w, b"end")
        os.close(source_w)
        copying.join(10)
        os.close(source_r)
    assert done["res"].rc == 0 and (tmp_path / "x").read_bytes() == b"end"


def _next_fd() -> int:
    """The number the next descriptor opened here gets (the copy's own dup of the host file)."""
    fd = os.dup(0)
    os.close(fd)
    return fd


def test_a_link_to_the_copy_s_own_descriptor_does_not_reach_the_host_file(init, tmp_path):
    """The container plants dest -> /proc/self/fd/N, N the copy's descriptor of the host file: opened as
    it stands, that is the host file (control, below); the copy refuses it, and the host file is intact."""
    host_file = tmp_path / "host-file"
    host_file.write_bytes(b"host secret\n")
    with open(host_file, "rb") as src:
        os.symlink("/proc/self/fd/%d" % _next_fd(), tmp_path / "planted-in")
        res = copier(copy_in, init, src.fileno(), str(tmp_path / "planted-in"))
    assert res.rc == 1 and res.stderr.endswith(b"planted-in: leads through a link into /proc, or a loop of links (refused)\n")
    with tempfile.TemporaryFile() as dest:
        os.symlink("/proc/self/fd/%d" % _next_fd(), tmp_path / "planted-out")
        res = copier(copy_out, init, str(tmp_path / "planted-out"), dest.fileno())
    assert res.rc == 1 and res.stderr.endswith(b"(refused)\n")
    assert host_file.read_bytes() == b"host secret\n"
    # control: a process holding the host file opens the same kind of link, and reaches it
    fd = os.open(host_file, os.O_RDONLY)
    try:
        with open("/proc/self/fd/%d" % fd, "rb") as same:
            assert same.read() == b"host secret\n"
    finally:
        os.close(fd)


def test_a_copy_out_takes_the_size_the_file_had_when_opened(init, tmp_path):
    """A file of /proc reads without end (or its size is 0): the copy takes what the size says."""
    with tempfile.TemporaryFile() as dest:
        res = copier(copy_out, init, "/proc/self/status", dest.fileno())
        dest.seek(0)
        assert (res.rc, dest.read()) == (0, b"")


def test_a_failing_stdin_source_fails_the_command(init, tmp_path):
    """A source that cannot be read (a directory) is said, and the command does not pass for whole."""
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        res = run(init, ["sh", "-c", "cat >/dev/null"], stdin=fd)
    finally:
        os.close(fd)
    assert res.rc == 1 and b"vzkit exec: reading standard input failed: Is a directory" in res.stderr
