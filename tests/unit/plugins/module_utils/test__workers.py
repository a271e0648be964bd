# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._workers import WorkerLost, run_parallel


def test_each_job_s_value_comes_back_in_the_order_of_the_jobs_from_a_process_of_its_own():
    values = run_parallel([lambda i=i: {"i": i, "pid": os.getpid()} for i in range(12)], parallel=3)
    assert [v["i"] for v in values] == list(range(12))
    assert os.getpid() not in {v["pid"] for v in values}
    assert len({v["pid"] for v in values}) == 12


def _held_jobs(tmp_path, count: int) -> list:
    """Jobs that each mark themselves running with a file, then wait for their go file."""
    def job(i):
        def run():
            (tmp_path / ("run-%d" % i)).write_text("")
            for _attempt in range(20000):  # (10 s at most: a test that went wrong ends)
                if (tmp_path / ("go-%d" % i)).exists():
                    break
                time.sleep(0.0005)
            (tmp_path / ("run-%d" % i)).unlink()
            return i
        return run
    return [job(i) for i in range(count)]


def _release_and_count(tmp_path, count: int, parallel: int, most: list) -> None:
    """Let the held jobs go one by one, each once as many as may run do run, and a while longer (for one
    too many to show); the most seen running at once goes into most."""
    for released in range(count):
        expected = min(parallel, count - released)
        for _attempt in range(20000):
            running = [n for n in os.listdir(tmp_path) if n.startswith("run-")]
            if len(running) >= expected:
                break
            time.sleep(0.0005)
        time.sleep(0.05)
        running = sorted(n for n in os.listdir(tmp_path) if n.startswith("run-"))
        most.append(len(running))
        if not running:
            return
        (tmp_path / running[0].replace("run-", "go-")).write_text("")


@pytest.mark.parametrize("parallel", [1, 3, 6])
def test_no_more_than_parallel_jobs_run_at_once_and_as_many_do(tmp_path, parallel):
    most = []
    controller = threading.Thread(target=_release_and_count, args=(tmp_path, 10, parallel, most))
    controller.start()
    values = run_parallel(_held_jobs(tmp_path, 10), parallel=parallel)
    controller.join()
    assert values == list(range(10))
    assert max(most) == parallel  # never more, and (the control) the pool does run that many at once


def test_a_large_value_is_read_while_the_job_writes_it():
    big = "x" * (3 << 20)  # far more than a pipe holds
    assert run_parallel([lambda: big], parallel=1) == [big]


def test_a_job_that_dies_or_raises_gives_a_worker_lost_and_the_others_their_values():
    def killed():
        os.kill(os.getpid(), signal.SIGKILL)

    def exits():
        os._exit(3)

    def raises():
        raise RuntimeError("a bug")
    values = run_parallel([lambda: 1, killed, exits, raises, lambda: 5], parallel=2)
    assert values[0] == 1 and values[4] == 5
    assert isinstance(values[1], WorkerLost) and "killed by signal 9" in str(values[1])
    assert isinstance(values[2], WorkerLost) and "exited with status 3" in str(values[2])
    assert isinstance(values[3], WorkerLost) and "exited with status 70" in str(values[3])


def test_a_job_is_done_when_its_process_ends_not_when_a_grandchild_lets_go_of_its_pipe(tmp_path):
    """A converge that starts a container leaves its init running; were the pipe's end the signal, a
    grandchild that kept it (forked, not exec'd) would hold the task for its whole life."""
    def starts_a_long_lived_grandchild():
        grandchild = os.fork()
        if grandchild == 0:
            signal.pause()  # holds every descriptor of the job, the write end of its pipe too
            os._exit(0)
        return grandchild
    [grandchild] = run_parallel([starts_a_long_lived_grandchild], parallel=1)
    try:
        os.kill(grandchild, 0)  # still there: run_parallel returned without waiting for it
    finally:
        os.kill(grandchild, signal.SIGKILL)


def test_no_job_means_no_process():
    assert run_parallel([], parallel=4) == []
