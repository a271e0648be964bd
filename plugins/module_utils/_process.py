# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A container's init as a process: spawn it detached, find it again from disk, stop it.

Private to vzkit.vz; may change in any release. Daemonless: after ``spawn_init`` returns, the only
process left is the init itself (reparented to the host's init); ``/run/vz/CTID/init.pid`` holds
its pid and start time, so a later run can tell it from an unrelated process that reused the pid.
"""
from __future__ import annotations

import os
import select
import signal
import time
import traceback
from dataclasses import dataclass

from . import _libc as libc
from . import _namespaces as ns
from ._errors import VzStateError
from ._mounts import readlink_in_root

RECORD = "init.pid"


@dataclass(frozen=True)
class InitRecord:
    pid: int
    starttime: int


def proc_starttime(pid: int, proc: str = "/proc"):
    """Field 22 of /proc/PID/stat (clock ticks since boot), or None when the pid is gone."""
    try:
        with open("%s/%d/stat" % (proc, pid), "rb") as fh:
            data = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    # comm (field 2) may hold spaces and parentheses: split after the last ')'
    return int(data[data.rindex(")") + 2:].split()[19])


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


def is_alive(rec) -> bool:
    return rec is not None and proc_starttime(rec.pid) == rec.starttime


def _report(fd: int, msg: str) -> None:
    try:
        os.write(fd, msg.encode("utf-8", "replace")[:4000])
    except OSError:
        pass


def spawn_init(spec: ns.RootSpec, *, attach) -> InitRecord:
    """Start the container's init in new namespaces; return its record once it has exec'd.

    ``attach(pid)`` moves a process into the container's cgroups. The caller's process forks an
    intermediate that joins the cgroups, unshares the namespaces and forks the init (pid 1 of the
    new pid namespace), reports the init's pid and exits; the init sets up its root and execs. An
    error before exec comes back through a close-on-exec pipe, so EOF means "exec succeeded".
    """
    pid_r, pid_w = os.pipe()
    err_r, err_w = os.pipe()
    console_fd = os.open(spec.console_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
    mid = os.fork()
    if mid == 0:  # intermediate
        try:
            os.close(pid_r)
            os.close(err_r)
            os.setsid()
            attach(os.getpid())
            libc.unshare(ns.NAMESPACES)  # cgroup ns after attach: its root is the container's cgroup
            child = os.fork()
            if child == 0:  # the container's pid 1
                os.close(pid_w)
                _become_init(spec, console_fd, err_w)
            os.write(pid_w, b"%d\n" % child)
            os._exit(0)
        except BaseException:  # report anything, never return into the caller's code
            _report(err_w, "start: %s" % traceback.format_exc(limit=1).strip().splitlines()[-1])
            os._exit(1)
    os.close(pid_w)
    os.close(err_w)
    os.close(console_fd)
    os.waitpid(mid, 0)
    with os.fdopen(pid_r, "rb") as fh:
        pid_text = fh.read().strip()
    with os.fdopen(err_r, "rb") as fh:
        error = fh.read().decode("utf-8", "replace").strip()
    pid = int(pid_text) if pid_text else None
    if error or pid is None:
        if pid:
            _kill(pid)
        raise VzStateError("container init did not start: %s" % (error or "no pid reported"))
    start = proc_starttime(pid)
    if start is None:
        raise VzStateError("container init exited at once; see its console log %s" % spec.console_log)
    return InitRecord(pid, start)


def _become_init(spec: ns.RootSpec, console_fd: int, err_w: int) -> None:
    try:
        os.setsid()
        fcntl_cloexec(err_w)
        os.closerange(3, min(console_fd, err_w))
        for fd in range(min(console_fd, err_w) + 1, 1024):
            if fd not in (console_fd, err_w):
                try:
                    os.close(fd)
                except OSError:
                    pass
        ns.enter_root(spec)
        if not os.access(spec.init[0], os.X_OK):
            raise OSError(2, "init %s is missing or not executable in the container" % spec.init[0])
        ns.exec_init(spec, console_fd)
    except BaseException as exc:
        _report(err_w, str(exc) if isinstance(exc, OSError) else repr(exc))
    os._exit(127)


def fcntl_cloexec(fd: int) -> None:
    os.set_inheritable(fd, False)


def _kill(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def wait_gone(rec: InitRecord, timeout: float) -> bool:
    """Wait until the init has exited; True if it did within timeout. Not our child: use a pidfd."""
    deadline = time.monotonic() + timeout
    try:
        pidfd = os.pidfd_open(rec.pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        if pidfd is not None and is_alive(rec):  # the pidfd refers to our init, not a reused pid
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            poller.poll(max(0, int(timeout * 1000)))
        else:
            while is_alive(rec) and time.monotonic() < deadline:
                time.sleep(0.05)
        return not is_alive(rec)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def halt(rec: InitRecord, sig: int, timeout: float) -> bool:
    """Ask the init to shut down with sig; True if it exited within timeout.

    The init of a pid namespace receives only the signals it handles or blocks: one sent just after
    start, before the init has set itself up, is silently dropped, and /proc does not tell when it is
    ready (busybox init waits in sigtimedwait, which hides the signal from SigCgt and SigBlk). So the
    signal is sent again, with backoff, until the init exits; an init already shutting down ignores
    the repeats (a default disposition drops them at a namespace's init).
    """
    deadline = time.monotonic() + timeout
    interval = 0.05
    while True:
        signal_init(rec, sig)
        remaining = deadline - time.monotonic()
        if wait_gone(rec, max(0.0, min(interval, remaining))):
            return True
        if remaining <= interval:
            return False
        interval = min(interval * 2, 1.0)


def signal_init(rec: InitRecord, sig: int) -> None:
    """Signal the init only if it is still the process we started (pid reuse guard)."""
    if is_alive(rec):
        _kill(rec.pid, sig)


def nsenter_argv(nsenter: str, rec: InitRecord, argv) -> list:
    """argv that runs a command inside a running container, chrooted into its root."""
    return [nsenter, "--target", str(rec.pid)] + list(ns.NSENTER_FLAGS) + ["--root", "--wd", "--"] + list(argv)


__all__ = ["InitRecord", "proc_starttime", "read_record", "write_record", "is_alive", "spawn_init",
           "wait_gone", "halt", "signal_init", "nsenter_argv"]


# How each init asks to be shut down cleanly: systemd powers off on SIGRTMIN+4, busybox init on
# SIGUSR2; sysvinit and anything unknown get SIGTERM, then the stop timeout and SIGKILL.
def halt_signal(root: str) -> int:
    target = readlink_in_root(root, "sbin/init") or ""  # /sbin itself may be a link: resolve in the tree
    name = os.path.basename(target)
    if "systemd" in target:
        return signal.SIGRTMIN + 4
    if name == "busybox":
        return signal.SIGUSR2
    return signal.SIGTERM


__all__ += ["halt_signal"]
