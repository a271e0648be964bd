# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One lock per container (``LOCKDIR/CTID.lck``, OpenVZ's place for it).

Private to vzkit.vz; may change in any release. Runs on one container serialize; runs on different
containers do not. The lock is an flock, so a killed run releases it with its last descriptor.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import time

from ._errors import VzStateError


class ContainerLock:
    """An exclusive lock on one container (``LOCKDIR/CTID.lck``), as vzctl takes. With ``keep_while``,
    the lock file goes on release when that path (the container's config) no longer exists, so a
    destroyed container, or a run refused before it made anything, leaves no lock file behind."""

    def __init__(self, lock_dir: str, ctid: str, *, timeout: float = 300.0, keep_while: str | None = None):
        self.path = os.path.join(lock_dir, "%s.lck" % ctid)
        self.timeout = timeout
        self.keep_while = keep_while
        self.fd = None

    def __enter__(self):
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        deadline = time.monotonic() + self.timeout
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if time.monotonic() > deadline:
                    raise VzStateError("container is locked by another run (%s)" % self.path,
                                       hint="wait for it to finish, or find it with fuser %s" % self.path)
                time.sleep(0.1)
                continue
            # Destroy unlinks the lock file while holding it: if the file we locked is no longer
            # the one at the path, a newer holder may exist; start over on the current file.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                return self
            os.close(fd)

    def remove(self) -> None:
        """Unlink the lock file while holding it (destroy); waiters notice and retry."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def __exit__(self, *exc):
        if self.keep_while is not None and not os.path.exists(self.keep_while):
            self.remove()
        os.close(self.fd)  # closing releases the flock
        self.fd = None
        return False


@contextlib.contextmanager
def host_lock(lock_dir: str, name: str):
    """A host-wide lock (``LOCKDIR/NAME.lck``) around a choice every container must agree on (project
    ids, uid ranges). Its file goes when the holder is done (waiters notice and retry on a fresh file),
    so no lock file outlives the run, as with a container's own."""
    lock = ContainerLock(lock_dir, name)
    with lock:
        try:
            yield
        finally:
            lock.remove()


__all__ = ["ContainerLock", "host_lock"]
