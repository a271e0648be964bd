# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A guard for what a run must not leave behind if it dies: private to vzkit.vz; may change in any release.

``with Guard(act): ...`` starts a detached process (its own session, none of the run's file descriptors
but one pipe) that waits on that pipe. ``done()`` tells it the run got through, and it exits. When the
run dies first (SIGKILL, a crash, an error that leaves the block), the pipe closes without ``done`` and
the guard calls ``act()``: vz_backup thaws a container it froze for its last pass, vz_migrate starts a
source container it stopped. The guard outlives the run, and holds none of its locks: ``act`` takes
what it needs.
"""
from __future__ import annotations

import os
import syslog

DONE = b"done"


class Guard:
    def __init__(self, act, *, what: str = "vzkit"):
        self.act, self.what = act, what
        self._write = None

    def __enter__(self):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the guard: detached twice, so that it is no child of the run and outlives it
            try:
                os.close(write)
                os.setsid()
                if os.fork() != 0:
                    os._exit(0)
                os.closerange(0, read)  # the run's locks, its stdio: the guard holds none of them
                os.closerange(read + 1, 65536)
                for _fd in range(3):  # stdio of its own, for the commands it runs
                    os.open(os.devnull, os.O_RDWR)
                self._watch(read)
            finally:
                os._exit(0)
        os.close(read)
        os.waitpid(pid, 0)  # the first child exits at once; the guard lives on
        self._write = write
        return self

    def _watch(self, read: int) -> None:
        said = b""
        while True:
            chunk = os.read(read, 16)
            if not chunk:
                break
            said += chunk
        if said == DONE:
            return
        try:
            self.act()
        except Exception as exc:  # nobody reads the guard's stdio: the host's log says what it could not do
            syslog.syslog(syslog.LOG_ERR, "%s guard: %s" % (self.what, exc))

    def done(self) -> None:
        if self._write is not None:
            os.write(self._write, DONE)
            os.close(self._write)
            self._write = None

    def __exit__(self, kind, exc, tb):
        if self._write is not None:  # the block failed before done(): the guard acts
            os.close(self._write)
            self._write = None
        return False


__all__ = ["Guard", "DONE"]
