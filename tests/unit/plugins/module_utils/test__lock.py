# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Locks, on real files with real flock(2): one holder at a time, a clear refusal after the timeout, no
lock file left behind by a destroyed container or a host-wide choice."""
from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzStateError
from ansible_collections.vzkit.vz.plugins.module_utils._lock import ContainerLock, host_lock


def held_elsewhere(path: str) -> bool:
    """Whether another open file description holds the flock (what a second run would meet)."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_the_lock_is_held_inside_and_released_after(tmp_path):
    lock = ContainerLock(str(tmp_path / "lock"), "101")
    with lock:
        assert lock.path == str(tmp_path / "lock" / "101.lck")
        assert held_elsewhere(lock.path)
        assert oct(os.stat(tmp_path / "lock").st_mode & 0o777) == "0o700"
    assert not held_elsewhere(lock.path)
    assert os.path.exists(lock.path)  # a container with a config keeps its lock file


def test_a_second_run_waits_then_gets_a_clear_error(tmp_path):
    with ContainerLock(str(tmp_path), "101"):
        started = time.monotonic()
        with pytest.raises(VzStateError) as exc:
            with ContainerLock(str(tmp_path), "101", timeout=0.3):
                pass
        assert time.monotonic() - started >= 0.3
    assert "container is locked by another run (%s)" % (tmp_path / "101.lck") in str(exc.value)
    assert "fuser" in exc.value.details["hint"]


def test_a_waiter_gets_the_lock_once_it_is_released(tmp_path):
    order = []
    first = ContainerLock(str(tmp_path), "101")
    first.__enter__()

    def second():
        with ContainerLock(str(tmp_path), "101", timeout=10):
            order.append("second")
    waiter = threading.Thread(target=second)
    waiter.start()
    time.sleep(0.3)
    order.append("first done")
    first.__exit__(None, None, None)
    waiter.join(10)
    assert order == ["first done", "second"]


def test_other_containers_are_not_blocked(tmp_path):
    with ContainerLock(str(tmp_path), "101"):
        with ContainerLock(str(tmp_path), "102", timeout=0.1):
            pass


def test_keep_while_drops_the_lock_file_of_a_container_without_config(tmp_path):
    conf = tmp_path / "101.conf"
    conf.write_text('OSTEMPLATE="busybox"\n')
    with ContainerLock(str(tmp_path / "lock"), "101", keep_while=str(conf)) as lock:
        pass
    assert os.path.exists(lock.path)  # the container exists: its lock file stays
    with ContainerLock(str(tmp_path / "lock"), "101", keep_while=str(conf)) as lock:
        conf.unlink()  # destroyed under the lock
    assert not os.path.exists(lock.path)


def test_a_waiter_on_a_removed_lock_file_starts_over_on_the_new_one(tmp_path):
    """Destroy unlinks the file it holds: a run that was waiting on the old inode must not think it
    holds the lock while a third run locks a new file at the same path."""
    first = ContainerLock(str(tmp_path), "101")
    first.__enter__()
    got = []

    def waiter():
        with ContainerLock(str(tmp_path), "101", timeout=10) as lock:
            got.append(os.stat(lock.path).st_ino == os.fstat(lock.fd).st_ino)
    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.3)
    first.remove()
    first.__exit__(None, None, None)
    thread.join(10)
    assert got == [True]


def test_host_lock_leaves_no_file(tmp_path):
    with host_lock(str(tmp_path), ".vzkit-ids"):
        assert held_elsewhere(str(tmp_path / ".vzkit-ids.lck"))
    assert os.listdir(tmp_path) == []


def test_host_lock_leaves_no_file_after_an_error(tmp_path):
    with pytest.raises(RuntimeError):
        with host_lock(str(tmp_path), ".vzkit-projid"):
            raise RuntimeError("the choice failed")
    assert os.listdir(tmp_path) == []
