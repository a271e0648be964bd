# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a command inside a running container, confined exactly like its init (``vzctl exec``).

Private to vzkit.vz; may change in any release. Unlike ``nsenter``, which keeps the caller's
capabilities, the command joins the container's cgroups and every namespace (user namespace first,
so it holds capabilities only there), gets the same bounding set and seccomp filter as the init,
and runs as the container's root in its root directory.
"""
from __future__ import annotations

import os
import select
import signal
import time
from dataclasses import dataclass

from . import _namespaces as ns
from ._errors import VzStateError

JOIN_ORDER = ("user", "mnt", "uts", "ipc", "net", "cgroup", "pid")


@dataclass(frozen=True)
class ExecResult:
    rc: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False


def run_in_container(pid: int, argv, *, attach, confinement, env=None, stdin: bytes = b"", cwd: str = "/",
                     timeout: float = 0) -> ExecResult:
    """Run argv inside the container whose init is pid; wait for it and collect its output."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe()
    child = os.fork()
    if child == 0:
        _child(pid, list(argv), attach, confinement, env, cwd, (in_r, out_w, err_w), (out_r, err_r, in_w))
    for fd in (out_w, err_w, in_r):
        os.close(fd)
    try:
        _feed(in_w, stdin)
        return _collect(child, out_r, err_r, timeout)
    finally:
        for fd in (out_r, err_r):
            os.close(fd)


def _feed(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except BrokenPipeError:
        pass
    finally:
        os.close(fd)


def _collect(child: int, out_r: int, err_r: int, timeout: float) -> ExecResult:
    chunks = {out_r: [], err_r: []}
    deadline = time.monotonic() + timeout if timeout else None
    open_fds = [out_r, err_r]
    timed_out = False
    while open_fds:
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _w, _x = select.select(open_fds, [], [], wait)
        if not ready:  # timeout: kill the whole process group of the command
            timed_out = True
            try:
                os.killpg(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = None
            continue
        for fd in ready:
            data = os.read(fd, 65536)
            if data:
                chunks[fd].append(data)
            else:
                open_fds.remove(fd)
    status = os.waitpid(child, 0)[1]
    return ExecResult(os.waitstatus_to_exitcode(status), b"".join(chunks[out_r]), b"".join(chunks[err_r]), timed_out)


def _child(pid, argv, attach, confinement, env, cwd, keep, close) -> None:
    """Join the container, then fork the command (a pid namespace applies to children only)."""
    code = 126
    try:
        for fd in close:
            os.close(fd)
        os.setsid()
        attach(os.getpid())
        ns.join(pid, JOIN_ORDER)
        ns.become_root()
        worker = os.fork()
        if worker == 0:
            in_r, out_w, err_w = keep
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            for fd in keep:
                os.close(fd)
            try:
                os.chdir(cwd)
                ns.confine(confinement)
                os.execvpe(argv[0], argv, dict(env or ns.INIT_ENV))
            except OSError as exc:
                os.write(2, ("vzkit exec: %s: %s\n" % (argv[0], exc.strerror)).encode())
                os._exit(127 if exc.errno == 2 else 126)
        code = os.waitstatus_to_exitcode(os.waitpid(worker, 0)[1])
    except BaseException as exc:  # report, never return into the caller's code
        try:
            os.write(keep[2], ("vzkit exec: cannot enter the container: %s\n" % exc).encode())
        except OSError:
            pass
    finally:
        os._exit(code if code >= 0 else 128 - code)


def check_running(rec, ctid: str) -> None:
    if rec is None:
        raise VzStateError("container %s is not running" % ctid, param="ctid",
                           hint="start it first (state: started)")


__all__ = ["ExecResult", "run_in_container", "check_running", "JOIN_ORDER"]
