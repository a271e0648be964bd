# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run independent jobs at the same time, each in a process of its own (``vz_fleet``'s containers).

Private to vzkit.vz; may change in any release. Processes, not threads: a converge changes its
process's state (it forks, joins namespaces, waits for children), and a fork from a threaded process
may inherit a lock another thread held. Each job runs in a fork of the caller, so it needs no import,
and sends back its JSON value through a pipe of its own.

A job is never killed part-way (its own undo runs only when it fails, not when it is killed): when the
caller is interrupted, the jobs that run are waited for, and those not started are not started.
"""
from __future__ import annotations

import json
import os
import select

# A value is one line of JSON (which never holds a raw newline): once the line is whole, its job's process
# is about to end and is waited for. A job that ends without one (killed) is found by looking at the
# children this often: its grandchild (a container's init) may hold the write end of its pipe, so the
# pipe's end is no sign of the job's.
POLL_SECONDS = 0.02


class WorkerLost(Exception):
    """A job's process ended without sending a value (killed, or its value was not JSON)."""


def run_parallel(jobs, *, parallel: int) -> list:
    """Run each job (a callable returning a JSON value) in a child process, at most parallel at a time.

    Returns, in the order of jobs, each job's value, or the WorkerLost saying why it has none. A job
    that raises has none either: it should return its error as a value.
    """
    jobs = list(jobs)
    results = [None] * len(jobs)
    next_job = 0
    running = {}  # pid -> _Child
    try:
        while next_job < len(jobs) or running:
            while next_job < len(jobs) and len(running) < max(1, parallel):
                child = _Child.start(next_job, jobs[next_job], running.values())
                running[child.pid] = child
                next_job += 1
            _read_ready(running.values())
            for child in [c for c in running.values() if c.ended()]:
                del running[child.pid]
                results[child.index] = child.value()
    finally:
        for child in running.values():  # (interrupted) let them finish
            os.close(child.read_end)
            os.waitpid(child.pid, 0)
    return results


class _Child:
    """One job's process and what it has sent so far."""

    def __init__(self, index: int, pid: int, read_end: int):
        self.index, self.pid, self.read_end = index, pid, read_end
        self.chunks, self.status, self.eof = [], None, False

    @classmethod
    def start(cls, index: int, job, others) -> "_Child":
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.close(read_end)
                for other in others:  # (the ends of the jobs before it are not its business)
                    os.close(other.read_end)
                _write_all(write_end, json.dumps(job()).encode() + b"\n")
            except BaseException:  # never back into the caller's code: a fork returns only through _exit
                code = 70
            finally:
                os._exit(code)
        os.close(write_end)
        os.set_blocking(read_end, False)
        return cls(index, pid, read_end)

    def drain(self) -> None:
        while True:
            try:
                data = os.read(self.read_end, 1 << 16)
            except BlockingIOError:
                return
            if not data:
                self.eof = True
                return
            self.chunks.append(data)

    def ended(self) -> bool:
        sent = bool(self.chunks) and self.chunks[-1].endswith(b"\n")  # then it only has to exit
        done, status = os.waitpid(self.pid, 0 if sent else os.WNOHANG)
        if done:
            self.status = status
        return bool(done)

    def value(self):
        self.drain()  # what it wrote before it ended is all in the pipe
        os.close(self.read_end)
        try:
            return json.loads(b"".join(self.chunks))
        except ValueError:
            code = os.waitstatus_to_exitcode(self.status)
            how = "was killed by signal %d" % -code if code < 0 else "exited with status %d" % code
            return WorkerLost("its process %s before it sent a result" % how)


def _read_ready(children) -> None:
    by_end = {c.read_end: c for c in children if not c.eof}  # (an ended pipe would wake select at once)
    for read_end in select.select(list(by_end), [], [], POLL_SECONDS)[0]:
        by_end[read_end].drain()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


__all__ = ["WorkerLost", "run_parallel", "POLL_SECONDS"]
