# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An interactive shell inside a running container (vzctl enter), on a terminal of the container's own.

Private to vzkit.vz; may change in any release.

- The pseudo-terminal comes from the container's devpts: a helper joins the container (cgroup, then
  every namespace, user namespace first) and opens its ``/dev/ptmx``, and the slave through the master
  (TIOCGPTPEER: no path the container could redirect); only the master's descriptor comes back to the
  host, over a socket. The shell gets the slave as its controlling terminal.
- The host's terminal never reaches the container: the helper's standard descriptors are /dev/null
  before it joins, and the shell's are the container's terminal. The host side relays bytes between
  the two, with the host terminal in raw mode (so ^C, ^Z and job control act inside), the window size
  passed on and kept up to date (SIGWINCH), and the host terminal's settings restored on the way out
  (SIGTERM and SIGHUP included). The session ends when the shell exits, whatever it left running.
- The shell runs confined as the container's init and ``vzctl exec`` are (bounding set, no_new_privs,
  seccomp). Its exit status is the session's.
"""
from __future__ import annotations

import errno
import fcntl
import os
import select
import signal
import socket
import stat
import struct
import termios
import time
import tty

from . import _namespaces as ns
from ._errors import VzStateError
from ._exec import JOIN_ORDER

TIOCSPTLCK, TIOCGPTPEER = 0x40045431, 0x5441  # asm-generic/ioctls.h: unlock the pty; open its slave (Linux 4.13)
WINSIZE = struct.Struct("HHHH")


def enter(pid: int, *, attach, confinement, argv=("/bin/sh", "-l"), env=None, stdin: int = 0, stdout: int = 1) -> int:
    """Run argv on a terminal of the container whose init is pid, relayed to stdin/stdout; its exit status
    (128 + N for a signal). The session ends when the shell has exited, even if a process it left
    behind still holds the terminal."""
    here, there = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    child = os.fork()
    if child == 0:
        here.close()
        _helper(pid, attach, confinement, list(argv), dict(env or ns.INIT_ENV), there)
    there.close()
    hung_up = None
    try:
        master = _receive(here)
        try:
            _relay(master, stdin, stdout, here)
        except _Hangup as exc:
            hung_up = exc.args[0]
        finally:
            os.close(master)  # the shell's terminal hangs up: it gets SIGHUP
    finally:
        here.close()
        code = _reap(child)
    if hung_up is not None:
        return 128 + hung_up  # the session was ended from the host (SIGTERM, SIGHUP)
    return code if code >= 0 else 128 - code


def _reap(child: int, *, grace: float = 5.0) -> int:
    """The helper's exit status. Once the terminal's master is closed the shell gets SIGHUP and the helper
    follows; a shell that ignores it is left to the container, and its helper killed after grace seconds."""
    deadline = time.monotonic() + grace
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)
            return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
        time.sleep(0.02)


def _receive(sock) -> int:
    """The master's descriptor the helper sends, or its error."""
    msg, fds, _flags, _addr = socket.recv_fds(sock, 4096, 1)
    if fds:
        return fds[0]
    raise VzStateError("cannot enter the container: %s" % (msg.decode("utf-8", "replace") or "its helper died"),
                       hint="is it running? (vzctl status)")


def _helper(pid, attach, confinement, argv, env, sock) -> None:
    """Join the container, open a terminal of its devpts, run argv on it (a pid namespace applies to
    children only, so the shell is forked after the joins); exit with the shell's status, which closes
    sock: the host's sign that the session is over."""
    code = 126
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)  # the host's terminal stays on the host, and so does anything else open
        os.closerange(3, sock.fileno())
        os.closerange(sock.fileno() + 1, 65536)
        os.setsid()
        attach(os.getpid())
        ns.join(pid, JOIN_ORDER)
        ns.become_root()
        master = os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
        if not stat.S_ISCHR(os.fstat(master).st_mode):
            raise OSError(errno.ENOTTY, "/dev/ptmx in the container is not a terminal multiplexer")
        fcntl.ioctl(master, TIOCSPTLCK, struct.pack("i", 0))
        # The slave through its master, not a path: the container's root owns /dev and may mount over /dev/pts.
        slave = fcntl.ioctl(master, TIOCGPTPEER, os.O_RDWR | os.O_NOCTTY)
        socket.send_fds(sock, [b"ok"], [master])
        os.close(master)
        shell = os.fork()
        if shell == 0:
            _run_on(slave, argv, env, confinement)
        os.close(slave)
        code = os.waitstatus_to_exitcode(os.waitpid(shell, 0)[1])
    except BaseException as exc:  # report, never return into the caller's code
        try:
            sock.send(str(exc).encode("utf-8", "replace")[:4000])
        except OSError:
            pass
    finally:
        os._exit(code if code >= 0 else 128 - code)


def _run_on(slave: int, argv, env, confinement) -> None:
    try:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for std in (0, 1, 2):
            os.dup2(slave, std)
        os.closerange(3, 65536)
        os.chdir(env.get("HOME", "/") if os.path.isdir(env.get("HOME", "/")) else "/")
        ns.confine(confinement)
        os.execvpe(argv[0], argv, env)
    except OSError as exc:
        os.write(2, ("vzkit enter: %s: %s\r\n" % (argv[0], exc.strerror)).encode())
        os._exit(127 if exc.errno == errno.ENOENT else 126)
    finally:
        os._exit(126)


class _Hangup(Exception):
    """SIGTERM or SIGHUP during a session: end it, with the host terminal put back."""


def _relay(master: int, stdin: int, stdout: int, done) -> None:
    """Bytes both ways until the shell has exited (``done``, the helper's socket, closes) or the
    container's side of the terminal closes. The host terminal is raw meanwhile, then as it was; writes
    to the container's side never block, so a program inside that writes while it is sent input (a
    paste into an editor) cannot stall the session."""
    saved = termios.tcgetattr(stdin) if os.isatty(stdin) else None
    size_from = stdout if os.isatty(stdout) else stdin
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGWINCH, signal.SIGTERM, signal.SIGHUP)}
    _copy_size(size_from, master)
    signal.signal(signal.SIGWINCH, lambda *_: _copy_size(size_from, master))
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _hang_up)
    os.set_blocking(master, False)
    try:
        if saved is not None:
            tty.setraw(stdin, termios.TCSANOW)
        _pump(master, stdin, stdout, done)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if saved is not None:
            termios.tcsetattr(stdin, termios.TCSAFLUSH, saved)


def _hang_up(signum, _frame):
    raise _Hangup(signum)


def _pump(master: int, stdin: int, stdout: int, done) -> None:
    pending, reading, last = b"", True, b"\n"
    while True:
        readers = [master, done] + ([stdin] if reading and len(pending) < 65536 else [])
        ready, writable, _x = select.select(readers, [master] if pending else [], [], None if reading else 0.5)
        if not (ready or writable or reading):  # input has ended and the shell is still there: a line
            pending += b"\x04"                   # editor may have flushed the ^D it was sent; send another
        if master in ready:
            data = _read(master)
            if data is None:
                return  # the container's side of the terminal is closed everywhere
            _write_all(stdout, data)
        if master in writable:
            pending = pending[_write_some(master, pending):]
        if stdin in ready:
            data = os.read(stdin, 65536)
            if data:
                pending, last = pending + data, data[-1:]
            else:  # no more input (a pipe): its last line, then ^D (again every 0.5 s), which ends a shell
                reading = False  # at its prompt
                pending += (b"" if last == b"\n" else b"\n") + b"\x04"
        if done in ready:  # the shell has exited: show what it left on the terminal, and stop
            data = _read(master)
            while data:
                _write_all(stdout, data)
                data = _read(master)
            return


def _read(fd: int):
    """What is there to read (b"" if nothing yet on a non-blocking fd), or None once the other side closed."""
    try:
        data = os.read(fd, 65536)
    except (BlockingIOError, InterruptedError):
        return b""
    except OSError as exc:
        if exc.errno == errno.EIO:  # a master whose slave is closed everywhere
            return None
        raise
    return data if data else None


def _write_some(fd: int, data: bytes) -> int:
    try:
        return os.write(fd, data)
    except BlockingIOError:
        return 0


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _copy_size(source: int, master: int) -> None:
    try:
        size = fcntl.ioctl(source, termios.TIOCGWINSZ, WINSIZE.pack(0, 0, 0, 0))
        fcntl.ioctl(master, termios.TIOCSWINSZ, size)
    except OSError:
        pass  # not a terminal: the container's keeps its default size


__all__ = ["enter"]
