# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thin ctypes wrappers for the Linux system calls Python 3.9's standard library lacks.

Private to vzkit.vz; may change in any release. Target hosts need only the standard library, so
mount, umount2, unshare, setns, pivot_root, openat2, quotactl_fd, prctl and bpf are called through libc here,
each raising OSError with errno like the os module does.
"""
from __future__ import annotations

import ctypes
import os
import platform
import struct

# The C library the interpreter already runs on (dlopen(NULL)): no search for it (ctypes.util's
# find_library runs ldconfig or a compiler, 10 ms and more, on every start of the CLI).
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# Namespaces (linux/sched.h)
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

# Mount flags (linux/mount.h)
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_MOVE = 8192
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_SLAVE = 1 << 19
MNT_DETACH = 2

# openat2 resolve flags (linux/openat2.h)
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_IN_ROOT = 0x10

# pivot_root has no libc wrapper; its number differs per architecture. openat2 (437) is the
# same everywhere because it came after the syscall tables were unified.
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "ppc64": 203,
                   "s390x": 217, "i686": 217, "i386": 217, "armv7l": 218}
_SYS_OPENAT2 = 437
_SYS_QUOTACTL_FD = 443  # Linux 5.14; the same on every architecture, like openat2


def _check(ret, what: str):
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)))
    return ret


def _b(path):
    return None if path is None else os.fsencode(path)


def mount(source, target, fstype=None, flags: int = 0, data=None) -> None:
    _check(_libc.mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data)),
           "mount %s on %s" % (source, target))


def umount(target, flags: int = 0) -> None:
    _check(_libc.umount2(_b(target), ctypes.c_int(flags)), "umount %s" % target)


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def setns(fd: int, nstype: int = 0) -> None:
    _check(_libc.setns(ctypes.c_int(fd), ctypes.c_int(nstype)), "setns")


def pivot_root(new_root, put_old) -> None:
    nr = _SYS_PIVOT_ROOT.get(platform.machine())
    if nr is None:
        raise OSError(38, "pivot_root: unknown syscall number on %s" % platform.machine())
    _check(_libc.syscall(ctypes.c_long(nr), _b(new_root), _b(put_old)), "pivot_root")


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


def openat2(dir_fd: int, path, flags: int, mode: int = 0, resolve: int = 0) -> int:
    how = _OpenHow(flags | os.O_CLOEXEC, mode, resolve)
    return _check(_libc.syscall(ctypes.c_long(_SYS_OPENAT2), ctypes.c_int(dir_fd), _b(path),
                                ctypes.byref(how), ctypes.c_size_t(ctypes.sizeof(how))), "openat2 %s" % path)


def quotactl_fd(fd: int, cmd: int, qid: int, buf=None) -> int:
    """quotactl(2) on the filesystem that holds fd (any fd, O_PATH too); buf is a ctypes buffer or None."""
    return _check(_libc.syscall(ctypes.c_long(_SYS_QUOTACTL_FD), ctypes.c_uint(fd), ctypes.c_uint(cmd),
                                ctypes.c_uint(qid), buf), "quotactl_fd")


# prctl, seccomp and bpf (linux/prctl.h, linux/seccomp.h, linux/bpf.h). The programs themselves
# are built by _bpf; these only hand them to the kernel.
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
BPF_PROG_TYPE_CGROUP_DEVICE = 15
BPF_CGROUP_DEVICE = 6
BPF_F_ALLOW_OVERRIDE = 1
BPF_F_ALLOW_MULTI = 2
BPF_F_REPLACE = 4
_BPF_PROG_LOAD = 5
_BPF_PROG_ATTACH = 8
_BPF_PROG_DETACH = 9
_BPF_ATTR_SIZE = 128        # zeroed union bpf_attr; the kernel zero-fills or checks the rest
_BPF_LOG_SIZE = 1 << 18
_SYS_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "ppc64le": 361, "ppc64": 361,
            "s390x": 351, "i686": 357, "i386": 357, "armv7l": 386}


def _prctl(option: int, *args, what: str) -> int:
    argv = [ctypes.c_ulong(a) for a in (list(args) + [0, 0, 0, 0])[:4]]
    return _check(_libc.prctl(ctypes.c_int(option), *argv), what)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def set_dumpable(dumpable: bool) -> None:
    _prctl(PR_SET_DUMPABLE, int(dumpable), what="prctl PR_SET_DUMPABLE")


def no_new_privs() -> None:
    _prctl(PR_SET_NO_NEW_PRIVS, 1, what="prctl PR_SET_NO_NEW_PRIVS")


def cap_bound_drop(cap_number: int) -> None:
    _prctl(PR_CAPBSET_DROP, cap_number, what="prctl PR_CAPBSET_DROP %d" % cap_number)


def seccomp_set_filter(prog: bytes) -> None:
    """Install a classic-BPF seccomp filter on the calling thread (needs CAP_SYS_ADMIN or no_new_privs)."""
    if len(prog) % 8:
        raise OSError(22, "seccomp filter: %d bytes is not a whole number of instructions" % len(prog))
    code = ctypes.create_string_buffer(bytes(prog), len(prog))
    fprog = _SockFprog(len(prog) // 8, ctypes.addressof(code))
    _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), what="prctl PR_SET_SECCOMP")


def _bpf(cmd: int, attr) -> int:
    nr = _SYS_BPF.get(platform.machine())
    if nr is None:
        raise OSError(38, "bpf: unknown syscall number on %s" % platform.machine())
    return _libc.syscall(ctypes.c_long(nr), ctypes.c_int(cmd), attr, ctypes.c_uint(_BPF_ATTR_SIZE))


def bpf_prog_load(prog_type: int, insns: bytes, license: bytes = b"GPL", *, name: bytes = b"") -> int:
    """Load an eBPF program; returns its fd (close-on-exec). On failure the verifier log is in the OSError."""
    code = ctypes.create_string_buffer(bytes(insns), len(insns))
    lic = ctypes.create_string_buffer(license)
    log = ctypes.create_string_buffer(_BPF_LOG_SIZE)
    err = 0
    for level in (0, 1):     # retry with the verifier log only when it is needed
        attr = ctypes.create_string_buffer(_BPF_ATTR_SIZE)
        struct.pack_into("=IIQQIIQ", attr, 0, prog_type, len(insns) // 8, ctypes.addressof(code), ctypes.addressof(lic),
                         level, _BPF_LOG_SIZE if level else 0, ctypes.addressof(log) if level else 0)
        struct.pack_into("16s", attr, 48, name[:15])
        fd = _bpf(_BPF_PROG_LOAD, attr)
        if fd >= 0:
            return fd
        err = ctypes.get_errno()
    text = log.value.decode("utf-8", "replace").strip()
    raise OSError(err, "bpf_prog_load: %s%s" % (os.strerror(err), "; verifier log:\n" + text if text else ""))


def bpf_prog_attach(target_fd: int, prog_fd: int, attach_type: int, flags: int = 0, *, replace_fd: int = 0) -> None:
    attr = ctypes.create_string_buffer(_BPF_ATTR_SIZE)
    struct.pack_into("=IIIII", attr, 0, target_fd, prog_fd, attach_type, flags, replace_fd)
    _check(_bpf(_BPF_PROG_ATTACH, attr), "bpf_prog_attach")


def bpf_prog_detach(target_fd: int, prog_fd: int, attach_type: int) -> None:
    attr = ctypes.create_string_buffer(_BPF_ATTR_SIZE)
    struct.pack_into("=III", attr, 0, target_fd, prog_fd, attach_type)
    _check(_bpf(_BPF_PROG_DETACH, attr), "bpf_prog_detach")


__all__ = ["mount", "umount", "unshare", "setns", "pivot_root", "openat2", "quotactl_fd", "no_new_privs", "set_dumpable",
           "cap_bound_drop", "seccomp_set_filter", "bpf_prog_load", "bpf_prog_attach", "bpf_prog_detach"] + [
    n for n in dir() if n.startswith(("CLONE_", "MS_", "MNT_", "RESOLVE_", "PR_", "SECCOMP_", "BPF_"))]
