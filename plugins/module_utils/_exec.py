# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a command inside a running container, confined exactly like its init (``vzctl exec``), and copy
files in and out of it (``vzctl push`` and ``pull``).

Private to vzkit.vz; may change in any release. Unlike ``nsenter``, which keeps the caller's
capabilities, the command joins the container's cgroups and every namespace (user namespace first,
so it holds capabilities only there), gets the same bounding set and seccomp filter as the init,
and runs as the container's root in its root directory. A copy is done the same way, by a process
of ours inside: paths are resolved in the container's own tree (a link planted there cannot lead
out of it), and what it creates belongs to the container's root, mapped as its files are.
"""
from __future__ import annotations

import errno
import os
import select
import signal
import stat
import threading
import time
from dataclasses import dataclass

from . import _libc as libc
from . import _namespaces as ns
from ._errors import VzStateError

AT_FDCWD = -100
JOIN_ORDER = ("user", "mnt", "uts", "ipc", "net", "cgroup", "pid")
CHUNK = 1 << 20  # a copy's and a relay's unit: a 1 GiB file never sits whole in memory


@dataclass(frozen=True)
class ExecResult:
    rc: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False


def run_in_container(pid: int, argv, *, attach, confinement, env=None, stdin=b"", cwd: str = "/",
                     timeout: float = 0, stdout: int | None = None, stderr: int | None = None) -> ExecResult:
    """Run argv inside the container whose init is pid and wait for it.

    stdin is bytes to feed, or a file descriptor relayed until its end; stdout and stderr are file
    descriptors the output is relayed to as it comes (the result then holds none of it), or None to
    collect it into the result.
    """
    argv, env = list(argv), dict(env or ns.INIT_ENV)

    def work():
        try:
            os.execvpe(argv[0], argv, env)
        except OSError as exc:  # named as the caller named it, not as PATH's last try
            raise OSError(exc.errno, exc.strerror, argv[0]) from None
    return _run(pid, work, attach, confinement, cwd, stdin, (stdout, stderr), timeout, ())


def copy_in(pid: int, source: int, dest: str, *, attach, confinement, mode: int = 0o644) -> ExecResult:
    """Copy from the host file descriptor source to the regular file dest inside the container."""
    source = os.dup(source)  # above 0-2, which the worker's own stdio take

    def work():
        fd = _open_inside(dest, os.O_WRONLY | os.O_CREAT, mode, host_fd=source)
        os.ftruncate(fd, 0)  # (only now: the name was checked not to lead back to the host's file)
        os.fchmod(fd, mode)  # whatever umask the caller has
        _copy(source, fd)
        os.close(fd)
    try:
        return _run(pid, _reporting(work, dest), attach, confinement, "/", b"", (None, None), 0, (source,))
    finally:
        os.close(source)


def copy_out(pid: int, src: str, dest: int, *, attach, confinement) -> ExecResult:
    """Copy the regular file src inside the container to the host file descriptor dest: as many bytes as
    it had when it was opened (a file the container keeps growing, or one of /proc's, cannot make the
    copy endless)."""
    dest = os.dup(dest)  # above 0-2, which the worker's own stdio take

    def work():
        fd = _open_inside(src, os.O_RDONLY, 0, host_fd=dest)
        _copy(fd, dest, limit=os.fstat(fd).st_size)
    try:
        return _run(pid, _reporting(work, src), attach, confinement, "/", b"", (None, None), 0, (dest,))
    finally:
        os.close(dest)


def _open_inside(path: str, flags: int, mode: int, *, host_fd: int) -> int:
    """Open path in the container's tree, refusing what is not a regular file the container has.

    The worker holds a host file (host_fd): a link the container planted to /proc/self/fd/N would lead
    to it, so magic links are not followed (openat2 RESOLVE_NO_MAGICLINKS), and what was opened is
    checked not to be that file. Opened without blocking, so that a FIFO planted under the name cannot
    hold the copy, and a device is never read or written."""
    try:
        fd = libc.openat2(AT_FDCWD, path, flags | os.O_NONBLOCK | os.O_NOCTTY, mode, libc.RESOLVE_NO_MAGICLINKS)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # (a FIFO nobody reads, opened for writing without blocking)
            raise OSError(errno.EINVAL, "not a regular file") from None
        if exc.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, "leads through a link into /proc, or a loop of links (refused)") from None
        raise OSError(exc.errno, os.strerror(exc.errno)) from None
    st, host = os.fstat(fd), os.fstat(host_fd)
    if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) == (host.st_dev, host.st_ino):
        raise OSError(errno.EINVAL, "not a regular file")
    os.set_blocking(fd, True)
    return fd


def _copy(source: int, dest: int, *, limit: int = -1) -> None:
    """Copy until the source ends (or limit bytes), waiting when a non-blocking source has nothing yet."""
    while limit:
        try:
            data = os.read(source, CHUNK if limit < 0 else min(CHUNK, limit))
        except BlockingIOError:
            select.select([source], [], [])
            continue
        if not data:
            return
        _write_all(dest, data)
        limit = limit - len(data) if limit > 0 else limit


def _reporting(work, path: str):
    def run():
        try:
            work()
        except OSError as exc:
            os.write(2, ("%s: %s\n" % (path, exc.strerror or exc)).encode())
            os._exit(1)
    return run


def _run(pid, work, attach, confinement, cwd, stdin, sinks, timeout, pass_fds) -> ExecResult:
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe()
    child = os.fork()
    if child == 0:
        _child(pid, work, attach, confinement, cwd, (in_r, out_w, err_w), pass_fds)
    for fd in (out_w, err_w, in_r):
        os.close(fd)
    # fed by a thread of its own, so that a command writing much before it reads cannot stall on us
    feeding = _Feed(in_w, stdin)
    threading.Thread(target=feeding.run, daemon=True).start()
    try:
        res = _collect(child, {out_r: sinks[0], err_r: sinks[1]}, timeout)
    except BaseException:  # (^C, a sink that fails): the command does not run on without us
        _kill(child)
        raise
    finally:
        for fd in (out_r, err_r):
            os.close(fd)
    return feeding.reported(res, sinks[1])


class _Feed:
    """Writes bytes, or what a file descriptor gives until its end, to the command's stdin; a source
    that fails (not the command that stops reading) is said on stderr and fails the command."""

    def __init__(self, fd: int, source):
        self.fd, self.source, self.error = fd, source, None

    def run(self) -> None:
        try:
            if isinstance(self.source, int):
                _copy(self.source, self.fd)
            else:
                _write_all(self.fd, self.source)
        except BrokenPipeError:  # the command stopped reading: its business
            pass
        except OSError as exc:
            self.error = exc
        finally:
            os.close(self.fd)

    def reported(self, res: ExecResult, err_sink) -> ExecResult:
        if self.error is None:
            return res
        say = ("vzkit exec: reading standard input failed: %s\n" % (self.error.strerror or self.error)).encode()
        if err_sink is not None:
            _write_all(err_sink, say)
            say = b""
        return ExecResult(res.rc or 1, res.stdout, res.stderr + say, res.timed_out)


def _kill(child: int) -> None:
    try:
        os.killpg(child, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(child, 0)


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:  # (a descriptor someone made non-blocking)
            select.select([], [fd], [])


def _collect(child: int, sinks: dict, timeout: float) -> ExecResult:
    out_r, err_r = sinks
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
            if not data:
                open_fds.remove(fd)
            elif sinks[fd] is None:
                chunks[fd].append(data)
            else:
                _write_all(sinks[fd], data)
    status = os.waitpid(child, 0)[1]
    return ExecResult(os.waitstatus_to_exitcode(status), b"".join(chunks[out_r]), b"".join(chunks[err_r]), timed_out)


def _child(pid, work, attach, confinement, cwd, stdio, pass_fds) -> None:
    """Join the container, then fork the worker (a pid namespace applies to children only).

    Of the caller's file descriptors only stdio (the command's pipes) and pass_fds go in: not another
    end of those pipes (which would keep their end from coming), and no other file of the host.
    """
    code = 126
    try:
        _close_all_but(stdio + tuple(pass_fds))
        os.setsid()
        attach(os.getpid())
        ns.join(pid, JOIN_ORDER)
        ns.become_root()
        # Not dumpable: the container's root may not ptrace this process of ours, nor open its fds
        # through /proc (it holds the host's end of a copy). After the credentials' last change, which
        # sets it to the fs.suid_dumpable sysctl (1 would let the container's root in).
        libc.set_dumpable(False)
        worker = os.fork()
        if worker == 0:
            for target, fd in enumerate(stdio):
                os.dup2(fd, target)
            _close_all_but((0, 1, 2) + tuple(pass_fds))
            try:
                os.chdir(cwd)
                ns.confine(confinement)
                work()
                os._exit(0)
            except OSError as exc:
                os.write(2, ("vzkit exec: %s\n" % _what_failed(exc)).encode())
                os._exit(127 if exc.errno == 2 else 126)
        code = os.waitstatus_to_exitcode(os.waitpid(worker, 0)[1])
    except BaseException as exc:  # report, never return into the caller's code
        try:
            os.write(stdio[2], ("vzkit exec: cannot enter the container: %s\n" % exc).encode())
        except OSError:
            pass
    finally:
        os._exit(code if code >= 0 else 128 - code)


def _close_all_but(keep) -> None:
    low = 0
    for fd in sorted(set(keep)):
        if fd > low:  # (os.closerange(n, n) would close every descriptor from n on)
            os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))


def _what_failed(exc: OSError) -> str:
    return "%s: %s" % (exc.filename, exc.strerror) if exc.filename else str(exc.strerror or exc)


def check_running(rec, ctid: str) -> None:
    if rec is None:
        raise VzStateError("container %s is not running" % ctid, param="ctid",
                           hint="start it first (state: started)")


__all__ = ["ExecResult", "run_in_container", "copy_in", "copy_out", "check_running", "JOIN_ORDER", "CHUNK"]
