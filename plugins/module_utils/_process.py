# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A container's init as a process: spawn it detached, stop it (found again from disk: ``_record``).

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

from . import _libc as libc
from . import _namespaces as ns
from ._errors import VzStateError
from ._mounts import read_in_root, readlink_in_root
from ._record import BOOT_ID, RECORD, InitRecord, is_alive, proc_starttime, read_record, write_boot_id, write_record


def _report(fd: int, msg: str) -> None:
    try:
        os.write(fd, msg.encode("utf-8", "replace")[:4000])
    except OSError:
        pass


def spawn_init(spec: ns.RootSpec, *, attach, network=None) -> InitRecord:
    """Start the container's init in new namespaces; return its record once it has exec'd.

    ``attach(pid)`` moves a process into the container's cgroups; ``network(pid)``, when given, sets
    up the container's network namespace before its init runs. The sequence (M is this process):

    1. M forks I. I joins the cgroups, unshares a mount namespace (owned by the host), then a user
       namespace, and waits for M to write its uid/gid maps.
    2. I unshares the UTS, IPC, network, pid and cgroup namespaces (owned by the container's user
       namespace), forks C (pid 1 of the new pid namespace), reports C's pid and exits.
    3. M forks a helper that joins C's mount, IPC, network and pid namespaces as host root, builds
       the container's filesystem view and pivots into it (C's root moves along). Then M wires C's
       network namespace (interfaces, addresses, routes) from the host's side.
    4. Only then does M tell C to go: C copies the mounts into a mount namespace of its own (locked),
       sets the host name, applies the confinement and execs the init. Any error before exec comes
       back through a close-on-exec pipe, so EOF on it means "exec succeeded". C never runs the
       init unless step 3 succeeded.
    """
    up_r, up_w = os.pipe()      # I -> M: "user namespace made", then C's pid
    down_r, down_w = os.pipe()  # M -> I: maps written
    go_r, go_w = os.pipe()      # M -> C: root prepared
    err_r, err_w = os.pipe()    # I or C -> M: the first error
    console_fd = os.open(spec.console_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
    mid = os.fork()
    if mid == 0:
        for fd in (up_r, down_w, go_w, err_r):
            os.close(fd)
        _intermediate(spec, attach, up_w, down_r, go_r, err_w, console_fd)
    for fd in (up_w, down_r, go_r, err_w):
        os.close(fd)
    try:
        pid = _drive(spec, mid, network, up_r=up_r, down_w=down_w, go_w=go_w, err_r=err_r)
    finally:
        os.close(console_fd)
        for fd in (up_r, down_w, go_w, err_r):
            os.close(fd)
    start = proc_starttime(pid)
    if start is None:
        raise VzStateError("container init exited at once; see its console log %s" % spec.console_log)
    return InitRecord(pid, start)


def _drive(spec: ns.RootSpec, mid: int, network, *, up_r: int, down_w: int, go_w: int, err_r: int) -> int:
    """M's side of steps 1 to 4 (see ``spawn_init``): write I's maps, learn C's pid, prepare C's root and
    network, let C go; return C's pid once it has exec'd, or kill it and raise the first error."""
    pid = None
    try:
        if os.read(up_r, 1) != b"U":
            raise VzStateError("container start failed: %s" % (_read_all(err_r) or "no user namespace"))
        for name, text in (("uid_map", spec.idmap.uid_map()), ("gid_map", spec.idmap.gid_map())):
            with open("/proc/%d/%s" % (mid, name), "w", encoding="ascii") as fh:
                fh.write(text)
        os.write(down_w, b"G")
        pid_text = _read_all(up_r, decode=False).strip()
        os.waitpid(mid, 0)
        if not pid_text:
            raise VzStateError("container start failed: %s" % (_read_all(err_r) or "no init pid"))
        pid = int(pid_text)
        _prepare_root(pid, spec)
        if network is not None:
            network(pid)
        os.write(go_w, b"R")
        error = _read_all(err_r)
        if error:
            raise VzStateError("container init did not start: %s" % error)
        return pid
    except BaseException:
        if pid:
            _kill(pid)
        raise


def _read_all(fd: int, decode: bool = True):
    chunks = []
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    data = b"".join(chunks)
    return data.decode("utf-8", "replace").strip() if decode else data


def _intermediate(spec, attach, up_w, down_r, go_r, err_w, console_fd) -> None:
    """Step 1-2 of spawn_init (runs in the forked intermediate; never returns)."""
    try:
        os.setsid()
        attach(os.getpid())
        libc.unshare(libc.CLONE_NEWNS)    # owned by the host: the helper may build the root in it
        libc.unshare(libc.CLONE_NEWUSER)
        os.write(up_w, b"U")
        if os.read(down_r, 1) != b"G":
            os._exit(1)
        ns.become_root()
        libc.unshare(ns.OWNED_NAMESPACES)  # cgroup ns after attach: its root is the container's cgroup
        child = os.fork()
        if child == 0:
            os.close(up_w)
            os.close(down_r)
            _become_init(spec, go_r, console_fd, err_w)
        os.write(up_w, b"%d\n" % child)
        os._exit(0)
    except BaseException:  # report anything, never return into the caller's code
        _report(err_w, "start: %s" % traceback.format_exc(limit=1).strip().splitlines()[-1])
        os._exit(1)


def _prepare_root(pid: int, spec: ns.RootSpec) -> None:
    """Step 3 of spawn_init: a helper builds the container's root inside its namespaces."""
    err_r, err_w = os.pipe()
    helper = os.fork()
    if helper == 0:
        code = 1
        try:
            os.close(err_r)
            ns.join(pid, ("mnt", "ipc", "net", "cgroup", "pid"))
            worker = os.fork()  # joining a pid namespace takes effect for children only
            if worker == 0:
                try:
                    ns.prepare_root(spec)
                    os._exit(0)
                except BaseException as exc:  # report, never return into the caller's code
                    _report(err_w, "preparing the root: %s" % exc)
                    os._exit(1)
            code = os.waitstatus_to_exitcode(os.waitpid(worker, 0)[1])
        except BaseException as exc:  # report, never return into the caller's code
            _report(err_w, "joining the container: %s" % exc)
        finally:
            os._exit(code)
    os.close(err_w)
    code = os.waitstatus_to_exitcode(os.waitpid(helper, 0)[1])
    error = _read_all(err_r)
    os.close(err_r)
    if code != 0 or error:
        raise VzStateError("container start failed: %s" % (error or "root preparation exited %d" % code))


def _become_init(spec: ns.RootSpec, go_r: int, console_fd: int, err_w: int) -> None:
    """Step 4 of spawn_init (runs as the container's pid 1; never returns)."""
    try:
        os.set_inheritable(err_w, False)  # closed by exec: EOF tells M the init is running
        for fd in range(3, 1024):
            if fd not in (console_fd, err_w, go_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
        if os.read(go_r, 1) != b"R":  # M gave up: never run the init on an unprepared root
            os._exit(1)
        os.close(go_r)
        os.setsid()
        ns.become_container(spec)
        if not os.access(spec.init[0], os.X_OK):
            raise OSError(2, "init %s is missing or not executable in the container" % spec.init[0])
        ns.exec_init(spec, console_fd)
    except BaseException as exc:  # report, never return into the caller's code
        _report(err_w, str(exc) if isinstance(exc, OSError) else repr(exc))
    os._exit(127)


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


# (the record's names too, for the callers that start and stop)
__all__ = ["BOOT_ID", "RECORD", "InitRecord", "proc_starttime", "read_record", "write_record", "is_alive", "spawn_init",
           "wait_gone", "halt", "signal_init", "write_boot_id"]


# How each init asks to be shut down cleanly: systemd powers off on SIGRTMIN+4, busybox init on
# SIGUSR2, sysvinit on SIGINT (its ctrlaltdel entry); anything unknown gets SIGTERM, then the stop
# timeout and SIGKILL.
def halt_signal(root: str) -> int:
    target = readlink_in_root(root, "sbin/init") or ""  # /sbin itself may be a link: resolve in the tree
    name = os.path.basename(target)
    if "systemd" in target:
        return signal.SIGRTMIN + 4
    if name == "busybox":
        return signal.SIGUSR2
    if not target and read_in_root(root, "etc/inittab"):
        # sysvinit: SIGINT runs inittab's ctrlaltdel entry (Debian's: shutdown -r now), whose final
        # reboot(2) in a pid namespace ends the container's init.
        return signal.SIGINT
    return signal.SIGTERM


__all__ += ["halt_signal"]
