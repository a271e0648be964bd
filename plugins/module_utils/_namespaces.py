# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What happens inside the new namespaces before the container's init runs: mounts, pivot, exec.

Private to vzkit.vz; may change in any release. ``prepare_root()`` runs as host root in a helper that
joined the container's namespaces; ``become_container()`` and ``exec_init()`` run in the process that
becomes the container's pid 1 (see ``_process.spawn_init``).
"""
from __future__ import annotations

import os
import socket
import stat
from dataclasses import dataclass

from . import _bpf as bpf
from . import _libc as libc
from ._confine import PROC_MASKED, PROC_READONLY, PROC_WRITABLE_AGAIN, SYS_MASKED, Confinement, IdMap

# Created by the intermediate process inside the container's user namespace, so the container owns them.
OWNED_NAMESPACES = (libc.CLONE_NEWUTS | libc.CLONE_NEWIPC | libc.CLONE_NEWNET | libc.CLONE_NEWPID
                    | libc.CLONE_NEWCGROUP)
NS_FLAGS = {"user": libc.CLONE_NEWUSER, "mnt": libc.CLONE_NEWNS, "pid": libc.CLONE_NEWPID,
            "net": libc.CLONE_NEWNET, "ipc": libc.CLONE_NEWIPC, "uts": libc.CLONE_NEWUTS,
            "cgroup": libc.CLONE_NEWCGROUP}

# The usual device nodes of a container's private /dev (name, major, minor, mode).
DEVICES = (("null", 1, 3, 0o666), ("zero", 1, 5, 0o666), ("full", 1, 7, 0o666),
           ("random", 1, 8, 0o666), ("urandom", 1, 9, 0o666), ("tty", 5, 0, 0o666))
DEV_LINKS = (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
             ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx"))
# container= tells systemd (and others) that it runs in a container; SYSTEMD_GETTY_AUTO=0 keeps
# systemd from starting a getty on /dev/console, which is a log file here, not a terminal.
INIT_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "container": "vzkit", "HOME": "/", "TERM": "linux", "SYSTEMD_GETTY_AUTO": "0"}


@dataclass(frozen=True)
class RootSpec:
    root: str          # the mounted root area on the host (VE_ROOT)
    hostname: str
    init: tuple        # argv of the init, e.g. ("/sbin/init",)
    console_log: str   # host path of the file the init's console goes to
    idmap: IdMap = IdMap()
    confinement: Confinement = Confinement()
    cgroup2: bool = False  # show the container its cgroup (v2) at /sys/fs/cgroup
    boot_id_file: str | None = None  # host file with this boot's random id, shown as the kernel's


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


def _bind_ro(path: str) -> None:
    libc.mount(path, path, None, libc.MS_BIND | libc.MS_REC)
    libc.mount(None, path, None, libc.MS_BIND | libc.MS_REMOUNT | libc.MS_RDONLY | libc.MS_NOSUID | libc.MS_NODEV)


def _mask(path: str) -> None:
    """Hide a file behind /dev/null, a directory behind an empty read-only tmpfs; skip what is missing."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        libc.mount("tmpfs", path, "tmpfs", libc.MS_RDONLY | libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC, "size=0")
    else:
        libc.mount("/dev/null", path, None, libc.MS_BIND)


def _mount_proc(root: str, spec: RootSpec) -> None:
    proc = _mkdir_in_root(root, "proc")
    libc.mount("proc", proc, "proc", libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC)
    boot_id = os.path.join(proc, "sys", "kernel", "random", "boot_id")
    if spec.boot_id_file and os.path.exists(boot_id):
        # The kernel's boot id is the host's and has no namespace: each start of the container gets
        # one of its own, as systemd-nspawn and LXC do, so its journal can tell its boots apart.
        libc.mount(spec.boot_id_file, boot_id, None, libc.MS_BIND)
        libc.mount(None, boot_id, None, libc.MS_BIND | libc.MS_REMOUNT | libc.MS_RDONLY)
    for rel in PROC_READONLY:
        if os.path.lexists(os.path.join(proc, rel)):
            _bind_ro(os.path.join(proc, rel))
    for rel in PROC_WRITABLE_AGAIN:
        path = os.path.join(proc, rel)
        if os.path.isdir(path):
            libc.mount(path, path, None, libc.MS_BIND)
    for rel in PROC_MASKED:
        _mask(os.path.join(proc, rel))


def _mount_sys(root: str, spec: RootSpec) -> None:
    sysdir = _mkdir_in_root(root, "sys")
    libc.mount("sysfs", sysdir, "sysfs", libc.MS_RDONLY | libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC)
    for rel in SYS_MASKED:
        _mask(os.path.join(sysdir, rel))
    if spec.cgroup2:
        # Mounted from inside the container's cgroup namespace: its root is the container's payload
        # cgroup, writable for its init (systemd creates init.scope, system.slice below it).
        libc.mount("cgroup2", os.path.join(sysdir, "fs", "cgroup"), "cgroup2",
                   libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC)


def _mount_dev(root: str, spec: RootSpec) -> None:
    dev = _mkdir_in_root(root, "dev")
    uid, gid = spec.idmap.host_uid(0), spec.idmap.host_gid(0)
    libc.mount("tmpfs", dev, "tmpfs", libc.MS_NOSUID | libc.MS_NOEXEC,
               "mode=755,size=65536k,uid=%d,gid=%d" % (uid, gid))
    nodes = [(name, "c", major, minor, mode) for name, major, minor, mode in DEVICES]
    nodes += [(path, kind, major, minor, 0o666) for kind, major, minor, _acc, path in spec.confinement.device_nodes]
    for name, kind, major, minor, mode in nodes:
        path = os.path.join(dev, name)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        os.mknod(path, (stat.S_IFCHR if kind == "c" else stat.S_IFBLK) | mode, os.makedev(major, minor))
        os.chmod(path, mode)  # mknod honours umask
        os.chown(path, uid, gid)
    for name, target in DEV_LINKS:
        os.symlink(target, os.path.join(dev, name))
    for sub, fstype, data, flags in (
            ("pts", "devpts", "newinstance,ptmxmode=0666,mode=0620,gid=%d" % spec.idmap.host_gid(5),
             libc.MS_NOSUID | libc.MS_NOEXEC),
            ("shm", "tmpfs", "mode=1777,size=65536k,uid=%d,gid=%d" % (uid, gid), libc.MS_NOSUID | libc.MS_NODEV),
            ("mqueue", "mqueue", None, libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC)):
        os.mkdir(os.path.join(dev, sub), 0o755)
        libc.mount(sub if fstype != "tmpfs" else "tmpfs", os.path.join(dev, sub), fstype, flags, data)
    # The console is the log file: whatever init and its services print to /dev/console is kept.
    console = os.path.join(dev, "console")
    with open(console, "w", encoding="ascii"):
        pass
    libc.mount(spec.console_log, console, None, libc.MS_BIND)


def prepare_root(spec: RootSpec) -> None:
    """Build the container's filesystem view and pivot into it, as host root.

    Runs in a helper that joined the container's (host-owned) mount namespace and its pid, network
    and IPC namespaces, so that /proc, /sys and /dev/mqueue show the container's. pivot_root moves
    the waiting init's root too; the init then copies these mounts into a mount namespace of its
    own user namespace, where the kernel locks them (see become_container).
    """
    # Nothing we mount from here on may propagate back to the host.
    libc.mount(None, "/", None, libc.MS_REC | libc.MS_PRIVATE)
    root = spec.root
    libc.mount(root, root, None, libc.MS_BIND | libc.MS_REC)  # make root its own mount for pivot_root
    _mount_proc(root, spec)
    _mount_sys(root, spec)
    _mount_dev(root, spec)
    _mkdir_in_root(root, "tmp")
    owner = "uid=%d,gid=%d" % (spec.idmap.host_uid(0), spec.idmap.host_gid(0))
    libc.mount("tmpfs", _mkdir_in_root(root, "run"), "tmpfs", libc.MS_NOSUID | libc.MS_NODEV, "mode=755,size=10%," + owner)
    os.mkdir(os.path.join(root, "run", "lock"), 0o755)
    libc.mount("tmpfs", os.path.join(root, "run", "lock"), "tmpfs", libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC,
               "mode=1777,size=5m," + owner)
    os.chdir(root)
    libc.pivot_root(".", ".")           # the old root now sits on top of the new one at "/" ...
    libc.umount(".", libc.MNT_DETACH)   # ... and is detached: the host tree is out of reach
    os.chdir("/")


def become_container(spec: RootSpec) -> None:
    """The init's last steps before exec, inside its user namespace: lock the mounts, name the host."""
    libc.unshare(libc.CLONE_NEWNS)  # a copy owned by our user namespace: every inherited mount is locked
    os.chdir("/")
    socket.sethostname(spec.hostname)
    confine(spec.confinement)


def confine(conf: Confinement) -> None:
    """Narrow what this process (and everything it execs) may do: the same for init and exec."""
    for number in conf.cap_numbers:
        libc.cap_bound_drop(number)
    if "nnp" in conf.features:
        libc.no_new_privs()
    libc.seccomp_set_filter(bpf.seccomp_deny_filter(dict(conf.seccomp_deny)))


def exec_init(spec: RootSpec, console_fd: int) -> None:
    """Replace this process with the container's init, detached from every caller's stdio."""
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(console_fd, 1)
    os.dup2(console_fd, 2)
    os.umask(0o022)
    os.execve(spec.init[0], list(spec.init), dict(INIT_ENV))


def become_root() -> None:
    """Take the user namespace's uid/gid 0 (host LOCAL_UID/LOCAL_GID when shifted).

    Entering a user namespace keeps the caller's host ids, which a shifted namespace does not map
    (they show as "nobody"); with the identity map this changes nothing.
    """
    os.setgroups([])
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)


def join(pid: int, names) -> None:
    """setns() into the namespaces ``names`` (e.g. ("mnt", "pid")) of process pid, in that order.

    Every namespace is opened first: once the mount namespace is joined, /proc is the container's.
    """
    fds = [(os.open("/proc/%d/ns/%s" % (pid, name), os.O_RDONLY | os.O_CLOEXEC), name) for name in names]
    try:
        for fd, name in fds:
            libc.setns(fd, NS_FLAGS[name])
    finally:
        for fd, _name in fds:
            os.close(fd)


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


__all__ = ["OWNED_NAMESPACES", "NS_FLAGS", "RootSpec", "prepare_root", "become_container",
           "exec_init", "join", "become_root", "confine", "set_live_hostname", "INIT_ENV"]
