# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thin ctypes wrappers for the Linux system calls Python 3.9's standard library lacks.

Private to vzkit.vz; may change in any release. Target hosts need only the standard library, so
mount, umount2, unshare, setns, pivot_root and openat2 are called through libc here, each raising
OSError with errno like the os module does.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
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


__all__ = ["mount", "umount", "unshare", "setns", "pivot_root", "openat2"] + [
    n for n in dir() if n.startswith(("CLONE_", "MS_", "MNT_", "RESOLVE_"))]
