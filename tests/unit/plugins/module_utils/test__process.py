# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os
import re
import signal
import stat
import uuid

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _process as process
from ansible_collections.vzkit.vz.plugins.module_utils._process import InitRecord

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def captured_stat() -> str:
    # /proc/PID/stat of a process whose comm was set to "init) (vz 101)"; field 22 is 84641
    with open(os.path.join(FIXTURES, "proc-pid-stat-comm-parens.txt"), encoding="ascii") as fh:
        return fh.read()


def fake_proc(tmp_path, pid: int, text: str) -> str:
    (tmp_path / "proc" / str(pid)).mkdir(parents=True)
    (tmp_path / "proc" / str(pid) / "stat").write_text(text)
    return str(tmp_path / "proc")


def test_starttime_of_captured_stat_with_parens_and_spaces_in_comm(tmp_path):
    text = captured_stat()
    assert text.startswith("8039 (init) (vz 101)) R ")
    assert process.proc_starttime(8039, proc=fake_proc(tmp_path, 8039, text)) == 84641


@pytest.mark.parametrize("comm", ["sh", "a b c", "((((", "))))", "x) 1 2 3", "", ":) S 1 2"])
def test_starttime_comm_variants(tmp_path, comm):
    rest = "S 1 1 1 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 987654 1000 50 18446744073709551615"
    assert process.proc_starttime(42, proc=fake_proc(tmp_path, 42, "42 (%s) %s\n" % (comm, rest))) == 987654


def test_starttime_of_missing_pid(tmp_path):
    (tmp_path / "proc").mkdir()
    assert process.proc_starttime(4242, proc=str(tmp_path / "proc")) is None


def test_starttime_of_this_process_and_is_alive():
    start = process.proc_starttime(os.getpid())
    assert isinstance(start, int)
    assert start >= process.proc_starttime(1)
    assert process.is_alive(InitRecord(os.getpid(), start))
    assert not process.is_alive(InitRecord(os.getpid(), start + 1))  # a reused pid is not our init
    assert not process.is_alive(None)


def test_record_round_trip(tmp_path):
    run_dir = tmp_path / "run" / "vz" / "101"
    process.write_record(str(run_dir), InitRecord(12345, 67890))
    assert process.read_record(str(run_dir)) == InitRecord(12345, 67890)
    assert (run_dir / "init.pid").read_text() == "12345 67890\n"
    assert os.listdir(run_dir) == ["init.pid"]
    assert stat.S_IMODE(os.stat(run_dir).st_mode) == 0o700
    process.write_record(str(run_dir), InitRecord(1, 2))  # overwrite in place
    assert process.read_record(str(run_dir)) == InitRecord(1, 2)


@pytest.mark.parametrize("content", ["", "abc", "12345", "1 2 3", "12345 x", "1.5 2\n"])
def test_read_bad_record_gives_none(tmp_path, content):
    (tmp_path / "init.pid").write_text(content)
    assert process.read_record(str(tmp_path)) is None


def test_read_missing_record_gives_none(tmp_path):
    assert process.read_record(str(tmp_path / "nothing")) is None


@pytest.mark.parametrize("link, expected", [
    ("/bin/busybox", signal.SIGUSR2),
    ("../bin/busybox", signal.SIGUSR2),
    ("/lib/systemd/systemd", signal.SIGRTMIN + 4),
    ("../lib/systemd/systemd", signal.SIGRTMIN + 4),
    ("/usr/lib/systemd/systemd", signal.SIGRTMIN + 4),
    ("/lib/sysvinit/init", signal.SIGTERM),
    ("/sbin/upstart", signal.SIGTERM),
    ("/bin/busybox.static", signal.SIGTERM),
])
def test_halt_signal_by_init_link(tmp_path, link, expected):
    (tmp_path / "sbin").mkdir()
    os.symlink(link, tmp_path / "sbin" / "init")  # dangling is fine: the link is only read
    assert process.halt_signal(str(tmp_path)) == expected


def test_halt_signal_regular_file_and_missing(tmp_path):
    assert process.halt_signal(str(tmp_path)) == signal.SIGTERM
    (tmp_path / "sbin").mkdir()
    (tmp_path / "sbin" / "init").write_text("#!/bin/sh\n")
    assert process.halt_signal(str(tmp_path)) == signal.SIGTERM


def test_halt_signal_merged_usr(tmp_path):
    (tmp_path / "usr" / "sbin").mkdir(parents=True)
    os.symlink("usr/sbin", tmp_path / "sbin")
    os.symlink("../lib/systemd/systemd", tmp_path / "usr" / "sbin" / "init")
    assert process.halt_signal(str(tmp_path)) == signal.SIGRTMIN + 4


def test_halt_signal_does_not_read_outside_the_tree(tmp_path):
    host_sbin = tmp_path / "host" / "sbin"
    host_sbin.mkdir(parents=True)
    os.symlink("/lib/systemd/systemd", host_sbin / "init")
    root = tmp_path / "root"
    inside = root / str(host_sbin).lstrip("/")   # what the link means inside the container
    inside.mkdir(parents=True)
    os.symlink("/bin/busybox", inside / "init")
    os.symlink(str(host_sbin), root / "sbin")
    assert process.halt_signal(str(root)) == signal.SIGUSR2


@pytest.mark.parametrize("state, expected", [("S", 4242), ("R", 4242), ("Z", None), ("X", None)])
def test_a_zombie_init_is_not_alive(tmp_path, state, expected):
    (tmp_path / "77").mkdir()
    fields = [state] + ["0"] * 18 + ["4242"] + ["0"] * 20
    (tmp_path / "77" / "stat").write_text("77 (init) " + " ".join(fields) + "\n")
    assert process.proc_starttime(77, proc=str(tmp_path)) == expected


INITTAB = "id:2:initdefault:\nsi::sysinit:/etc/init.d/rcS\nca:12345:ctrlaltdel:/sbin/shutdown -t1 -a -r now\n"


@pytest.mark.parametrize("init, expected", [
    ("file", signal.SIGINT),                              # sysvinit: /sbin/init is the program itself
    ("/bin/busybox", signal.SIGUSR2),                     # busybox reads an inittab too
    ("/lib/systemd/systemd", signal.SIGRTMIN + 4),
    ("/sbin/upstart", signal.SIGTERM),
    ("/sbin/openrc-init", signal.SIGTERM),
])
def test_halt_signal_with_inittab(tmp_path, init, expected):
    (tmp_path / "sbin").mkdir()
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "inittab").write_text(INITTAB)
    if init == "file":
        (tmp_path / "sbin" / "init").write_bytes(b"\x7fELF")
        os.chmod(tmp_path / "sbin" / "init", 0o755)
    else:
        os.symlink(init, tmp_path / "sbin" / "init")
    assert process.halt_signal(str(tmp_path)) == expected


def test_halt_signal_sysvinit_merged_usr(tmp_path):
    (tmp_path / "usr" / "sbin").mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    os.symlink("usr/sbin", tmp_path / "sbin")
    (tmp_path / "usr" / "sbin" / "init").write_bytes(b"\x7fELF")
    (tmp_path / "etc" / "inittab").write_text(INITTAB)
    assert process.halt_signal(str(tmp_path)) == signal.SIGINT


def test_halt_signal_inittab_is_read_inside_the_tree(tmp_path):
    host_etc = tmp_path / "host-etc"
    host_etc.mkdir()
    (host_etc / "inittab").write_text(INITTAB)
    root = tmp_path / "root"
    (root / "sbin").mkdir(parents=True)
    (root / "sbin" / "init").write_bytes(b"\x7fELF")
    os.symlink(str(host_etc), root / "etc")  # means /...host-etc inside the container: not there
    assert process.halt_signal(str(root)) == signal.SIGTERM


# /proc/sys/kernel/random/boot_id: a version 4 uuid, lower case, one line
BOOT_ID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n")


def test_boot_id_format_is_the_kernels():
    with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
        assert BOOT_ID_RE.fullmatch(fh.read())


def test_write_boot_id(tmp_path):
    run_dir = tmp_path / "run" / "vz" / "101"
    path = process.write_boot_id(str(run_dir))
    assert path == str(run_dir / "boot_id")
    text = (run_dir / "boot_id").read_text(encoding="ascii")
    assert BOOT_ID_RE.fullmatch(text)
    assert uuid.UUID(text.strip()).version == 4
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    assert stat.S_IMODE(os.stat(run_dir).st_mode) == 0o700


def test_write_boot_id_new_each_start(tmp_path):
    seen = set()
    for _start in range(5):
        path = process.write_boot_id(str(tmp_path))
        with open(path, encoding="ascii") as fh:
            text = fh.read()
        assert BOOT_ID_RE.fullmatch(text)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
        seen.add(text)
    assert len(seen) == 5
    assert os.listdir(tmp_path) == ["boot_id"]
