# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os
import signal
import time

from ansible_collections.vzkit.vz.plugins.module_utils._migrate._watchdog import Guard


class Marking(Guard):
    """A guard whose restart leaves a mark (the real one starts the container)."""

    def __init__(self, mark, still_ours=None):
        super().__init__("101", "/etc/vz/vz.conf", None, still_ours=still_ours)
        self.mark = mark

    def restart(self):
        if self._ask():
            with open(self.mark, "w", encoding="ascii") as fh:
                fh.write("restarted %d\n" % os.getpid())


def wait_for(path, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return False


def test_done_means_the_guard_does_nothing(tmp_path):
    mark = tmp_path / "mark"
    with Marking(str(mark)) as guard:
        guard.done()
    assert not wait_for(str(mark), 0.5)


def test_a_run_that_fails_before_done_has_the_container_started_again(tmp_path):
    mark = tmp_path / "mark"
    try:
        with Marking(str(mark)):
            raise RuntimeError("the last pass failed")
    except RuntimeError:
        pass
    assert wait_for(str(mark))


def test_a_run_killed_by_sigkill_has_the_container_started_again_by_a_process_that_outlives_it(tmp_path):
    mark, ready = tmp_path / "mark", tmp_path / "ready"
    pid = os.fork()
    if pid == 0:  # the migrating run: enters the guard, then is killed while "stopped"
        try:
            with Marking(str(mark)):
                ready.write_text("in")
                time.sleep(60)
        finally:
            os._exit(0)
    assert wait_for(str(ready))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert wait_for(str(mark))
    restarter = int(mark.read_text().split()[1])
    assert restarter not in (pid, os.getpid())  # the detached guard did it, not the run or its caller


def test_a_destination_that_runs_the_container_keeps_the_guard_from_starting_a_second_copy(tmp_path):
    mark, asked = tmp_path / "mark", tmp_path / "asked"

    def still_ours():
        asked.write_text("asked")
        return False  # the destination finished: it runs the container
    try:
        with Marking(str(mark), still_ours=still_ours):
            raise RuntimeError("killed after the finish")
    except RuntimeError:
        pass
    assert wait_for(str(asked))
    assert not wait_for(str(mark), 0.5)


def test_a_destination_that_cannot_answer_leaves_the_source_to_run(tmp_path):
    mark = tmp_path / "mark"

    def still_ours():
        raise OSError("ssh: connect to host node2: No route to host")
    try:
        with Marking(str(mark), still_ours=still_ours):
            raise RuntimeError("the last pass failed")
    except RuntimeError:
        pass
    assert wait_for(str(mark))
