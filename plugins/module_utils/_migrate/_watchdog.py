# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the guard of a migration does if the run dies while the source is stopped (see ``_guard``).

Private to vzkit.vz; may change in any release. It takes the source container's lock (the run's went
with it), asks the destination whether it has the container (a finish under way when the run died
completes there, and the question waits for it; a destination that cannot answer is asked again for a
while), and unless it does, restarts the source container: a stop the run had begun (its init told to
shut down) is carried through, then the container starts. An interrupted migration leaves the source
running, as it was, and never two copies running while the destination can say it has one.
"""
from __future__ import annotations

import time

from .._lock import ContainerLock
from .._spec import ContainerSpec

ASK_ATTEMPTS = 6
ASK_PAUSE = 10.0


def still_ours(ask, *, attempts: int = ASK_ATTEMPTS, pause: float = ASK_PAUSE) -> bool:
    """Whether the source is still the container's only copy: ask() is False once the destination has it.
    A destination that cannot answer is asked again; after the last attempt, the source is what certainly
    exists."""
    for attempt in range(attempts):
        try:
            return bool(ask())
        except Exception:  # (ssh, the destination's vzctl: anything that keeps it from answering)
            if attempt < attempts - 1:
                time.sleep(pause)
    return True


def source_restarter(ctid: str, vz_conf: str, host, ask):
    """The guard's act for a migration's source container."""
    def act():
        from .._container import _context as container  # (only a guard that acts needs these)
        from .._container import _ensure as entry
        ctx, _conf = container.Context.existing(ctid, vz_conf, host)
        with ContainerLock(ctx.globals.get("LOCKDIR"), ctid):
            if still_ours(ask):
                entry.run_locked(ContainerSpec(ctid=ctid, state="restarted", vz_conf=vz_conf), ctx)
    return act


__all__ = ["source_restarter", "still_ours"]
