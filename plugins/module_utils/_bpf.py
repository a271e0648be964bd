# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seccomp and cgroup device BPF programs, built as bytes: private to vzkit.vz; may change in any release.

Everything here is pure: the builders return the bytes the kernel expects and never call it. The
loaders live in ``_libc`` (``seccomp_set_filter``, ``bpf_prog_load``, ``bpf_prog_attach``).

Seccomp (classic BPF). The filter checks ``seccomp_data.arch`` first, then the syscall number:

* x86_64 also covers i386 (``int 0x80`` from a 64-bit process enters with AUDIT_ARCH_I386 and
  i386 numbers) and x32 (AUDIT_ARCH_X86_64 with ``__X32_SYSCALL_BIT``): every x32 call gets the
  errno, since containers do not need that ABI (the number -1 stays allowed, as in libseccomp, so
  a tracer that skips a syscall by setting it to -1 keeps its own return value).
* aarch64 also covers arm (EABI compat). Only x86_64, i386, aarch64 and arm have tables.
* Any other ``arch`` value gets ``SECCOMP_RET_ERRNO | ENOSYS`` for every call. The numbers of a
  foreign ABI mean nothing to this table, so the filter must fail closed; ENOSYS rather than a
  kill because "not implemented" is an answer libc and programs already handle (they fall back
  or report it), whereas SECCOMP_RET_KILL_PROCESS turns a probe into a crash that is hard to
  diagnose. On the hosts we support every ABI the kernel can enter is listed, so this branch is
  defence in depth (a kernel that grows a new compat ABI).

Default deny list, compared with LXC (``config/seccomp/common.seccomp``: kexec_load,
open_by_handle_at, init_module, finit_module, delete_module with EPERM; LXD denies the same five
with ENOSYS, Proxmox VE adds keyctl with ENOSYS) and Docker (an allow list that leaves out
everything in DEFAULT_DENY unless the matching capability is added). ``adjtimex`` and
``clock_adjtime`` can be denied but are not by default: Docker's profile allows both, since
read-only queries (``ntptime``, ``timedatectl``) use them and the kernel already requires
CAP_SYS_TIME to change anything. The keyring calls get ENOSYS in DEFAULT_POLICY, as on Proxmox
VE: systemd takes ENOSYS as "no keyring" and runs the unit, while some releases fail units with
"Failed to set up kernel keyring: Permission denied" on EPERM.
"""
from __future__ import annotations

import errno
import platform
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError, VzUnsupported

# linux/seccomp.h, linux/audit.h, linux/filter.h
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
AUDIT_ARCH_X86_64 = 0xC000003E
AUDIT_ARCH_I386 = 0x40000003
AUDIT_ARCH_AARCH64 = 0xC00000B7
AUDIT_ARCH_ARM = 0x40000028
X32_SYSCALL_BIT = 0x40000000
BPF_MAXINSNS = 4096
_MAX_ERRNO = 4095
_SECCOMP_DATA_NR = 0
_SECCOMP_DATA_ARCH = 4
_LD_W_ABS = 0x20            # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15               # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35               # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06               # BPF_RET | BPF_K

# Syscall numbers: x86_64 (asm/unistd_64.h), i386 (asm/unistd_32.h), the generic table aarch64
# uses (asm-generic/unistd.h) and arm EABI (arch/arm/tools/syscall.tbl). None: not on that ABI.
_ABIS = ("x86_64", "i386", "aarch64", "arm")
_NR = {
    "kexec_load": (246, 283, 104, 347),
    "kexec_file_load": (320, None, 294, 401),
    "open_by_handle_at": (304, 342, 265, 371),
    "name_to_handle_at": (303, 341, 264, 370),
    "init_module": (175, 128, 105, 128),
    "finit_module": (313, 350, 273, 379),
    "delete_module": (176, 129, 106, 129),
    "add_key": (248, 286, 217, 309),
    "request_key": (249, 287, 218, 310),
    "keyctl": (250, 288, 219, 311),
    "bpf": (321, 357, 280, 386),
    "perf_event_open": (298, 336, 241, 364),
    "userfaultfd": (323, 374, 282, 388),
    "swapon": (167, 87, 224, 87),
    "swapoff": (168, 115, 225, 115),
    "acct": (163, 51, 89, 51),
    "iopl": (172, 110, None, None),
    "ioperm": (173, 101, None, None),
    "lookup_dcookie": (212, 253, 18, 249),
    "nfsservctl": (180, 169, 42, 169),
    "vm86": (None, 166, None, None),
    "vm86old": (None, 113, None, None),
    "uselib": (134, 86, None, 86),
    "settimeofday": (164, 79, 170, 79),
    "stime": (None, 25, None, None),
    "clock_settime": (227, 264, 112, 262),
    "clock_settime64": (None, 404, None, 404),
    "clock_adjtime": (305, 343, 266, 372),
    "clock_adjtime64": (None, 405, None, 405),
    "adjtimex": (159, 124, 171, 124),
    "fanotify_init": (300, 338, 262, 367),
    "syslog": (103, 103, 116, 103),
}

DENY_REASONS = {
    "kexec_load": "loads a new kernel to boot into (CAP_SYS_BOOT); denied by LXC, LXD and Docker",
    "kexec_file_load": "kexec_load from a file descriptor; denied by Docker",
    "open_by_handle_at": "opens any inode of a host filesystem by handle, bypassing the container root (the shocker exploit); LXC, Docker",
    "name_to_handle_at": "the other half of open_by_handle_at (file handles leak host inode identities); Docker",
    "init_module": "loads kernel code (CAP_SYS_MODULE); LXC, Docker",
    "finit_module": "init_module from a file descriptor; LXC, Docker",
    "delete_module": "unloads host kernel modules; LXC, Docker",
    "add_key": "the kernel keyring is not namespaced; Docker, Proxmox VE denies keyctl with ENOSYS",
    "request_key": "the kernel keyring is not namespaced (and can call /sbin/request-key on the host); Docker",
    "keyctl": "the kernel keyring is not namespaced; Docker, Proxmox VE (ENOSYS)",
    "bpf": "loads programs into the host kernel and reads kernel memory (CAP_BPF/CAP_SYS_ADMIN); Docker",
    "perf_event_open": "host-wide tracing and a long record of kernel bugs (CAP_PERFMON); Docker",
    "userfaultfd": "stalls kernel page faults at will, a staple of kernel exploits; Docker (unless CAP_SYS_PTRACE)",
    "swapon": "adds host swap (CAP_SYS_ADMIN); Docker",
    "swapoff": "removes host swap (CAP_SYS_ADMIN); Docker",
    "acct": "switches host-wide process accounting (CAP_SYS_PACCT); Docker",
    "iopl": "raw I/O port access to host hardware (CAP_SYS_RAWIO); Docker",
    "ioperm": "raw I/O port access to host hardware (CAP_SYS_RAWIO); Docker",
    "lookup_dcookie": "profiling call that leaks host paths (removed in Linux 6.8); Docker",
    "nfsservctl": "the old kernel NFS server interface (removed in Linux 3.1); Docker",
    "vm86": "i386 virtual 8086 mode, an old source of kernel bugs; Docker",
    "vm86old": "i386 virtual 8086 mode, an old source of kernel bugs; Docker",
    "uselib": "obsolete a.out shared library loader; Docker",
    "settimeofday": "the clock is not namespaced (CAP_SYS_TIME); Docker",
    "stime": "the clock is not namespaced (i386 only); Docker",
    "clock_settime": "the clock is not namespaced (CAP_SYS_TIME); Docker",
    "clock_settime64": "clock_settime with 64-bit time on i386/arm; Docker",
    "clock_adjtime": "not denied by default: read-only queries need it and writes need CAP_SYS_TIME; Docker allows it",
    "clock_adjtime64": "not denied by default: clock_adjtime with 64-bit time on i386/arm",
    "adjtimex": "not denied by default: ntptime/timedatectl read the clock state with it; Docker allows it",
    "fanotify_init": "filesystem-wide monitoring of host mounts (CAP_SYS_ADMIN); Docker",
    "syslog": "reads and clears the host kernel log (CAP_SYSLOG); Docker",
}

# The policy vzkit applies: syscall name -> errno it returns.
_NOT_DEFAULT = ("adjtimex", "clock_adjtime", "clock_adjtime64")
_KEYRING = ("add_key", "request_key", "keyctl")
DEFAULT_POLICY = {name: errno.ENOSYS if name in _KEYRING else errno.EPERM for name in _NR if name not in _NOT_DEFAULT}
DEFAULT_DENY = tuple(DEFAULT_POLICY)
SUPPORTED = tuple(_NR)

# platform.machine() -> the ABIs a process on that kernel can enter: (abi, audit arch, deny x32)
_MACHINES = {
    "x86_64": (("x86_64", AUDIT_ARCH_X86_64, True), ("i386", AUDIT_ARCH_I386, False)),
    "i386": (("i386", AUDIT_ARCH_I386, False),),
    "aarch64": (("aarch64", AUDIT_ARCH_AARCH64, False), ("arm", AUDIT_ARCH_ARM, False)),
    "arm": (("arm", AUDIT_ARCH_ARM, False),),
}
_MACHINE_ALIASES = {"amd64": "x86_64", "i486": "i386", "i586": "i386", "i686": "i386", "arm64": "aarch64",
                    "armv6l": "arm", "armv7l": "arm", "armv8l": "arm"}


def _machine(arch: str | None) -> str:
    name = arch or platform.machine()
    name = _MACHINE_ALIASES.get(name, name)
    if name not in _MACHINES:
        raise VzUnsupported("seccomp filter", "vzkit has no syscall table for architecture %s (it has %s)"
                            % (name, ", ".join(_MACHINES)), param="seccomp")
    return name


def syscall_number(name: str, *, arch: str | None = None) -> int | None:
    """The number of syscall ``name`` on ``arch`` (an ABI name or a machine; default: this machine), None if absent."""
    abi = _MACHINE_ALIASES.get(arch or platform.machine(), arch or platform.machine())
    if name not in _NR:
        raise VzConfigError("unknown syscall %s; vzkit knows %s" % (name, ", ".join(SUPPORTED)), param="seccomp")
    if abi not in _ABIS:
        raise VzUnsupported("seccomp filter", "vzkit has no syscall table for architecture %s" % abi, param="seccomp")
    return _NR[name][_ABIS.index(abi)]


def _policy(deny_names, errno_value: int) -> dict:
    if isinstance(deny_names, (str, bytes)):
        raise VzConfigError("expected a list of syscall names, got the string %r" % (deny_names,), param="seccomp")
    pairs = deny_names.items() if isinstance(deny_names, Mapping) else ((n, errno_value) for n in deny_names)
    policy = {}
    for name, err in pairs:
        if name not in _NR:
            raise VzConfigError("unknown syscall %r" % (name,), param="seccomp",
                                hint="use one of %s" % ", ".join(SUPPORTED))
        policy[name] = _errno(err)
    return policy


def _errno(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_ERRNO:
        raise VzConfigError("errno %r is out of range" % (value,), param="seccomp", hint="use a number from 1 to 4095")
    return value


def _sock_filter(code: int, jt: int, jf: int, k: int) -> bytes:
    if max(jt, jf) > 255:
        raise VzConfigError("too many syscalls for one seccomp jump (%d)" % max(jt, jf), param="seccomp")
    return struct.pack("<HBBI", code, jt, jf, k & 0xFFFFFFFF)


def _arch_block(abi: str, policy: dict, x32_errno: int | None) -> list:
    """Instructions for one ABI: load nr, JEQ per denied number, ALLOW, one RET per errno."""
    col = _ABIS.index(abi)
    denied = sorted((_NR[name][col], err) for name, err in policy.items() if _NR[name][col] is not None)
    errnos = sorted({err for nr, err in denied} | ({x32_errno} if x32_errno else set()))
    count = len(denied)
    block = [_sock_filter(_LD_W_ABS, 0, 0, _SECCOMP_DATA_NR)]
    if x32_errno:
        # nr >= X32 bit: -1 goes to ALLOW, anything else to the x32 errno
        block.append(_sock_filter(_JGE_K, 0, 1, X32_SYSCALL_BIT))
        block.append(_sock_filter(_JEQ_K, count, count + 1 + errnos.index(x32_errno), 0xFFFFFFFF))
    for idx, (nr, err) in enumerate(denied):
        block.append(_sock_filter(_JEQ_K, count - idx + errnos.index(err), 0, nr))
    block.append(_sock_filter(_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    block.extend(_sock_filter(_RET_K, 0, 0, SECCOMP_RET_ERRNO | err) for err in errnos)
    return block


def seccomp_deny_filter(deny_names, *, errno_value: int = errno.EPERM, arch: str | None = None) -> bytes:
    """A seccomp filter (struct sock_filter[]) denying ``deny_names`` and allowing the rest.

    ``deny_names`` is an iterable of syscall names (each returns ``errno_value``) or a mapping
    name -> errno such as DEFAULT_POLICY. ``arch`` is a machine name as ``platform.machine()``
    gives it (default: this one). x32 calls on x86_64 return ``errno_value``.
    """
    policy = _policy(deny_names, errno_value)
    x32_errno = _errno(errno_value)
    prog = [_sock_filter(_LD_W_ABS, 0, 0, _SECCOMP_DATA_ARCH)]
    for abi, audit_arch, deny_x32 in _MACHINES[_machine(arch)]:
        block = _arch_block(abi, policy, x32_errno if deny_x32 else None)
        prog.append(_sock_filter(_JEQ_K, 0, len(block), audit_arch))
        prog.extend(block)
    prog.append(_sock_filter(_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.ENOSYS))
    if len(prog) > BPF_MAXINSNS:
        raise VzConfigError("seccomp filter has %d instructions, the kernel takes %d" % (len(prog), BPF_MAXINSNS), param="seccomp")
    return b"".join(prog)


# cgroup v2 device controller (linux/bpf.h): struct bpf_cgroup_dev_ctx {u32 access_type, major, minor}
BPF_DEVCG_DEV_BLOCK = 1
BPF_DEVCG_DEV_CHAR = 2
BPF_DEVCG_ACC_MKNOD = 1
BPF_DEVCG_ACC_READ = 2
BPF_DEVCG_ACC_WRITE = 4
_ACCESS_BITS = {"r": BPF_DEVCG_ACC_READ, "w": BPF_DEVCG_ACC_WRITE, "m": BPF_DEVCG_ACC_MKNOD}
_KIND_TYPES = {"b": BPF_DEVCG_DEV_BLOCK, "c": BPF_DEVCG_DEV_CHAR}
_MAX_MAJOR = 0xFFF          # the kernel's dev_t: 12-bit major, 20-bit minor
_MAX_MINOR = 0xFFFFF
_DEVICES_HINT = "write 'c 1:3 rwm' (cgroup v1 devices.allow) or 'c:1:3:rw' (OpenVZ DEVICES); '*' is any number"

# eBPF opcodes (linux/bpf_common.h, linux/bpf.h)
_LDX_W = 0x61               # BPF_LDX | BPF_MEM | BPF_W
_AND_K = 0x57               # BPF_ALU64 | BPF_AND | BPF_K
_RSH_K = 0x77               # BPF_ALU64 | BPF_RSH | BPF_K
_MOV_K = 0xB7               # BPF_ALU64 | BPF_MOV | BPF_K
_MOV_X = 0xBF               # BPF_ALU64 | BPF_MOV | BPF_X
_JNE_K = 0x55               # BPF_JMP | BPF_JNE | BPF_K
_JNE_X = 0x5D               # BPF_JMP | BPF_JNE | BPF_X
_EXIT = 0x95                # BPF_JMP | BPF_EXIT
_NEXT = object()            # jump target placeholder: the next rule


@dataclass(frozen=True)
class DeviceRule:
    """One allow entry: kind 'c', 'b' or 'a' (all), major/minor (None = any), access from 'rwm'."""

    kind: str
    major: int | None
    minor: int | None
    access: str

    def __post_init__(self):
        if self.kind not in ("a", "b", "c"):
            raise VzConfigError("device kind %r is not c, b or a" % (self.kind,), param="devices", hint=_DEVICES_HINT)
        if self.kind == "a" and (self.major, self.minor) != (None, None):
            raise VzConfigError("'a' means every device and takes no numbers (%s:%s)" % (self.major, self.minor),
                                param="devices", hint="write 'a *:* rwm'")
        for what, value, top in (("major", self.major, _MAX_MAJOR), ("minor", self.minor, _MAX_MINOR)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top):
                raise VzConfigError("device %s %r is not a number from 0 to %d" % (what, value, top), param="devices")
        if not isinstance(self.access, str) or not self.access or set(self.access) - set("rwm"):
            raise VzConfigError("device access %r is not a combination of r, w and m" % (self.access,),
                                param="devices", hint=_DEVICES_HINT)
        object.__setattr__(self, "access", "".join(c for c in "rwm" if c in self.access))

    def to_v1(self) -> str:
        """The rule as a cgroup v1 ``devices.allow`` line."""
        num = ["*" if n is None else str(n) for n in (self.major, self.minor)]
        return "%s %s:%s %s" % (self.kind, num[0], num[1], self.access)


_V1_RULE = re.compile(r"^([abc]) (\*|\d+):(\*|\d+) (\S+)$")
_OPENVZ_RULE = re.compile(r"^([bc]):(\*|all|\d+):(\*|all|\d+):(\S+)$")


def parse_device_rule(text: str) -> DeviceRule:
    """Parse ``c 1:3 rwm`` / ``a`` (cgroup v1 devices.allow) or ``c:10:200:rw`` (OpenVZ DEVICES)."""
    line = " ".join(str(text).split())
    if line == "a":
        return DeviceRule("a", None, None, "rwm")
    match = _V1_RULE.match(line) or _OPENVZ_RULE.match(line)
    if not match:
        raise VzConfigError("%r is not a device rule" % (text,), param="devices", hint=_DEVICES_HINT)
    kind, major, minor, access = match.groups()
    if access == "none":
        raise VzConfigError("%r: 'none' cannot be expressed in an allow list" % (text,), param="devices",
                            hint="leave the device out; only listed devices are allowed")
    return DeviceRule(kind, *(None if n in ("*", "all") else int(n) for n in (major, minor)), access)


def _bpf_insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


def _rule_insns(rule: DeviceRule) -> list:
    """(code, dst, src, off, imm) tuples: fall through when ``rule`` matches, else jump to _NEXT."""
    insns = []
    if rule.kind != "a":
        insns.append((_JNE_K, 2, 0, _NEXT, _KIND_TYPES[rule.kind]))
    wanted = sum(_ACCESS_BITS[c] for c in rule.access)
    if wanted != 7:
        # (requested & allowed) == requested
        insns += [(_MOV_X, 1, 3, 0, 0), (_AND_K, 1, 0, 0, wanted), (_JNE_X, 1, 3, _NEXT, 0)]
    if rule.major is not None:
        insns.append((_JNE_K, 4, 0, _NEXT, rule.major))
    if rule.minor is not None:
        insns.append((_JNE_K, 5, 0, _NEXT, rule.minor))
    return insns + [(_MOV_K, 0, 0, 0, 1), (_EXIT, 0, 0, 0, 0)]


def device_program(allow) -> bytes:
    """A BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_insn[]) returning 1 for accesses ``allow`` permits, else 0."""
    out = [
        _bpf_insn(_LDX_W, 2, 1, 0),         # r2 = ctx->access_type
        _bpf_insn(_AND_K, 2, imm=0xFFFF),   # r2 = type
        _bpf_insn(_LDX_W, 3, 1, 0),         # r3 = ctx->access_type
        _bpf_insn(_RSH_K, 3, imm=16),       # r3 = access
        _bpf_insn(_LDX_W, 4, 1, 4),         # r4 = ctx->major
        _bpf_insn(_LDX_W, 5, 1, 8),         # r5 = ctx->minor
    ]
    for rule in allow:
        if not isinstance(rule, DeviceRule):
            rule = parse_device_rule(rule)
        insns = _rule_insns(rule)
        for idx, (code, dst, src, off, imm) in enumerate(insns):
            out.append(_bpf_insn(code, dst, src, len(insns) - idx - 1 if off is _NEXT else off, imm))
        if len(insns) == 2:
            # allows everything: later rules would be dead code, which the verifier rejects
            return b"".join(out)
    out += [_bpf_insn(_MOV_K, 0, imm=0), _bpf_insn(_EXIT)]
    return b"".join(out)


__all__ = ["seccomp_deny_filter", "syscall_number", "device_program", "parse_device_rule", "DeviceRule",
           "DEFAULT_DENY", "DEFAULT_POLICY", "DENY_REASONS", "SUPPORTED", "BPF_MAXINSNS"] + [
    n for n in dir() if n.startswith(("SECCOMP_RET_", "AUDIT_ARCH_", "BPF_DEVCG_"))] + ["X32_SYSCALL_BIT"]
