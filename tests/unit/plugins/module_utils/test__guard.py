# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os
import signal
import time

from ansible_collections.vzkit.vz.plugins.module_utils._guard import Guard


def marker(path):
    def act():
        with open(path, "w", encoding="ascii") as fh:
            fh.write("acted %d\n" % os.getpid())
    return act


def wait_for(path, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return False


def test_done_means_the_guard_does_nothing(tmp_path):
    mark = tmp_path / "mark"
    with Guard(marker(str(mark))) as guard:
        guard.done()
    assert not wait_for(str(mark), 0.5)


def test_a_block_that_fails_before_done_has_the_guard_act(tmp_path):
    mark = tmp_path / "mark"
    try:
        with Guard(marker(str(mark))):
            raise RuntimeError("the last pass failed")
    except RuntimeError:
        pass
    assert wait_for(str(mark))


def test_a_run_killed_by_sigkill_has_a_process_that_outlives_it_act(tmp_path):
    mark, ready = tmp_path / "mark", tmp_path / "ready"
    pid = os.fork()
    if pid == 0:  # the run: enters the guard, then is killed inside it
        try:
            with Guard(marker(str(mark))):
                ready.write_text("in")
                time.sleep(60)
        finally:
            os._exit(0)
    assert wait_for(str(ready))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert wait_for(str(mark))
    actor = int(mark.read_text().split()[1])
    assert actor not in (pid, os.getpid())  # the detached guard did it, not the run or its caller
