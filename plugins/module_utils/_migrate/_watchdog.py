# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A guard for the source container while a migration has it stopped. Private to vzkit.vz; may change in any release.

Before the source is stopped for the last pass, a detached process (its own session, none of the run's
file descriptors but one pipe) waits on that pipe. When the run has what it needs - the container
running on the destination - it writes ``done`` and the guard exits. When the run dies first (SIGKILL,
a crash, an error that ends it), the pipe closes without ``done``. The guard then takes the source
container's lock (the run's went with it), asks the destination whether it has the container
(``still_ours``: a finish that was under way when the run died completes there, and the question waits
for it), and if not, restarts the source container: a stop the run had begun (its init told to shut
down) is carried through, then the container starts. An interrupted migration leaves the source
running, as it was, and never two copies running.
"""
from __future__ import annotations

import os

from .._lock import ContainerLock
from .._spec import ContainerSpec

DONE = b"done"


class Guard:
    """``with Guard(ctid, vz_conf, host): ...`` around the downtime; ``done()`` once the destination runs it."""

    def __init__(self, ctid: str, vz_conf: str, host, *, still_ours=None):
        self.ctid, self.vz_conf, self.host = ctid, vz_conf, host
        self.still_ours = still_ours or (lambda: True)
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
                os.closerange(0, read)  # the run's lock, its stdio: the guard holds none of them
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
        if said != DONE:
            self.restart()

    def _ask(self) -> bool:
        try:
            return self.still_ours()
        except Exception:  # the destination cannot say: the source is what certainly exists
            return True

    def restart(self) -> None:
        """Under the source container's lock (the run's is gone with it), unless the destination has it:
        carry a stop the run began through, and start the container again."""
        from .._container import _context as container  # (only a guard that acts needs these)
        from .._container import _ensure as entry
        ctx, _conf = container.Context.existing(self.ctid, self.vz_conf, self.host)
        with ContainerLock(ctx.globals.get("LOCKDIR"), self.ctid):
            if self._ask():
                entry.run_locked(ContainerSpec(ctid=self.ctid, state="restarted", vz_conf=self.vz_conf), ctx)

    def done(self) -> None:
        if self._write is not None:
            os.write(self._write, DONE)
            os.close(self._write)
            self._write = None

    def __exit__(self, kind, exc, tb):
        if self._write is not None:  # the run failed before the destination ran it: the guard restarts it
            os.close(self._write)
            self._write = None
        return False


__all__ = ["Guard", "DONE"]
