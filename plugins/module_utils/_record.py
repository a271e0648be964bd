# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A running container's init found again from disk: ``VZ_RUN_DIR/CTID/init.pid`` holds its pid and
start time, so a later run can tell it from an unrelated process that reused the pid.

Private to vzkit.vz; may change in any release. What observing a container and working inside one
need; starting and stopping the init is ``_process``'s.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

RECORD = "init.pid"
BOOT_ID = "boot_id"


@dataclass(frozen=True)
class InitRecord:
    pid: int
    starttime: int


def proc_starttime(pid: int, proc: str = "/proc"):
    """Field 22 of /proc/PID/stat (clock ticks since boot), or None when the process is gone.

    A zombie (state Z or X) is gone: the container's init has exited and only waits for the host's
    init, its new parent, to reap it, which may take long (or never happen on a host without one).
    """
    try:
        with open("%s/%d/stat" % (proc, pid), "rb") as fh:
            data = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    # comm (field 2) may hold spaces and parentheses: split after the last ')'
    fields = data[data.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def read_record(run_dir: str):
    try:
        with open(os.path.join(run_dir, RECORD), encoding="ascii") as fh:
            pid, start = fh.read().split()
        return InitRecord(int(pid), int(start))
    except (OSError, ValueError):
        return None


def write_record(run_dir: str, rec: InitRecord) -> None:
    os.makedirs(run_dir, mode=0o700, exist_ok=True)
    tmp = os.path.join(run_dir, RECORD + ".tmp")
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write("%d %d\n" % (rec.pid, rec.starttime))
    os.replace(tmp, os.path.join(run_dir, RECORD))


def write_boot_id(run_dir: str) -> str:
    """A fresh random boot id for this start of the container (format of the kernel's)."""
    os.makedirs(run_dir, mode=0o700, exist_ok=True)
    path = os.path.join(run_dir, BOOT_ID)
    with open(path, "w", encoding="ascii") as fh:
        fh.write(str(uuid.uuid4()) + "\n")
    os.chmod(path, 0o444)
    return path


def is_alive(rec) -> bool:
    return rec is not None and proc_starttime(rec.pid) == rec.starttime


__all__ = ["RECORD", "BOOT_ID", "InitRecord", "proc_starttime", "read_record", "write_record", "write_boot_id",
           "is_alive"]
