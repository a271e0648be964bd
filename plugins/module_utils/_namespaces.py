# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What runs inside the new namespaces before the container's init: mounts, pivot_root, exec.

Private to vzkit.vz; may change in any release. ``enter_root()`` runs in the forked process that is
about to become the container's pid 1 (see ``_process.spawn_init``); it never returns on success.
"""
from __future__ import annotations

import os
import socket
import stat
from dataclasses import dataclass

from . import _libc as libc

NAMESPACES = (libc.CLONE_NEWNS | libc.CLONE_NEWUTS | libc.CLONE_NEWIPC | libc.CLONE_NEWNET
              | libc.CLONE_NEWPID | libc.CLONE_NEWCGROUP)
# Namespaces nsenter joins to run a command in a container (the same set, by nsenter's flags).
NSENTER_FLAGS = ("--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup")

# The usual device nodes of a container's private /dev (name, major, minor, mode).
DEVICES = (("null", 1, 3, 0o666), ("zero", 1, 5, 0o666), ("full", 1, 7, 0o666),
           ("random", 1, 8, 0o666), ("urandom", 1, 9, 0o666), ("tty", 5, 0, 0o666))
DEV_LINKS = (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
             ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx"))
INIT_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "container": "vzkit", "HOME": "/", "TERM": "linux"}


@dataclass(frozen=True)
class RootSpec:
    root: str          # the mounted root area on the host (VE_ROOT)
    hostname: str
    init: tuple        # argv of the init, e.g. ("/sbin/init",)
    console_log: str   # host path of the file the init's console goes to


def _mkdir_in_root(root: str, rel: str) -> str:
    """The mount point root/rel, created when missing; a link there is refused, not followed."""
    path = os.path.join(root, rel)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        os.mkdir(path, 0o755)
        return path
    if not stat.S_ISDIR(st.st_mode):
        raise OSError(20, "/%s in the container is not a directory (a link is not followed)" % rel)
    return path


def _mount_dev(root: str, console_log: str) -> None:
    dev = _mkdir_in_root(root, "dev")
    libc.mount("tmpfs", dev, "tmpfs", libc.MS_NOSUID | libc.MS_NOEXEC, "mode=755,size=65536k")
    for name, major, minor, mode in DEVICES:
        path = os.path.join(dev, name)
        os.mknod(path, stat.S_IFCHR | mode, os.makedev(major, minor))
        os.chmod(path, mode)  # mknod honours umask
    for name, target in DEV_LINKS:
        os.symlink(target, os.path.join(dev, name))
    for sub, fstype, data, flags in (
            ("pts", "devpts", "newinstance,ptmxmode=0666,mode=0620,gid=5", libc.MS_NOSUID | libc.MS_NOEXEC),
            ("shm", "tmpfs", "mode=1777,size=65536k", libc.MS_NOSUID | libc.MS_NODEV),
            ("mqueue", "mqueue", None, libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC)):
        os.mkdir(os.path.join(dev, sub), 0o755)
        libc.mount(sub if fstype != "tmpfs" else "tmpfs", os.path.join(dev, sub), fstype, flags, data)
    # The console is the log file: whatever init and its services print to /dev/console is kept.
    console = os.path.join(dev, "console")
    with open(console, "w", encoding="ascii"):
        pass
    libc.mount(console_log, console, None, libc.MS_BIND)


def enter_root(spec: RootSpec) -> None:
    """Set up the container's filesystem view and become its root. Runs as pid 1 of the new pid ns."""
    # Nothing we mount from here on may propagate back to the host.
    libc.mount(None, "/", None, libc.MS_REC | libc.MS_PRIVATE)
    root = spec.root
    libc.mount(root, root, None, libc.MS_BIND | libc.MS_REC)  # make root its own mount for pivot_root
    libc.mount("proc", _mkdir_in_root(root, "proc"), "proc", libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC)
    sysdir = _mkdir_in_root(root, "sys")
    libc.mount("sysfs", sysdir, "sysfs", libc.MS_RDONLY | libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC)
    _mount_dev(root, spec.console_log)
    for rel in ("run", "tmp"):
        _mkdir_in_root(root, rel)
    libc.mount("tmpfs", os.path.join(root, "run"), "tmpfs", libc.MS_NOSUID | libc.MS_NODEV, "mode=755,size=10%")
    socket.sethostname(spec.hostname)
    os.chdir(root)
    libc.pivot_root(".", ".")           # the old root now sits on top of the new one at "/" ...
    libc.umount(".", libc.MNT_DETACH)   # ... and is detached: the host tree is out of reach
    os.chdir("/")


def exec_init(spec: RootSpec, console_fd: int) -> None:
    """Replace this process with the container's init, detached from every caller's stdio."""
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(console_fd, 1)
    os.dup2(console_fd, 2)
    os.umask(0o022)
    os.execve(spec.init[0], list(spec.init), dict(INIT_ENV))


__all__ = ["NAMESPACES", "NSENTER_FLAGS", "RootSpec", "enter_root", "exec_init"]


def set_live_hostname(pid: int, hostname: str) -> None:
    """Set the hostname of a running container: join its UTS namespace in a short-lived child."""
    child = os.fork()
    if child == 0:
        code = 1
        try:
            fd = os.open("/proc/%d/ns/uts" % pid, os.O_RDONLY | os.O_CLOEXEC)
            libc.setns(fd, libc.CLONE_NEWUTS)
            socket.sethostname(hostname)
            code = 0
        finally:
            os._exit(code)
    status = os.waitpid(child, 0)[1]
    if os.waitstatus_to_exitcode(status) != 0:
        raise OSError(1, "could not set the hostname of the container with init pid %d" % pid)


__all__ += ["set_live_hostname"]
