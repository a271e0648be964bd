# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import mmap
import os
import platform
import re
import stat
import struct
import time

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _bpf as bpf
from ansible_collections.vzkit.vz.plugins.module_utils import _libc as libc
from ansible_collections.vzkit.vz.plugins.module_utils._bpf import DeviceRule
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError, VzUnsupported

X86_64, I386 = bpf.AUDIT_ARCH_X86_64, bpf.AUDIT_ARCH_I386
AARCH64, ARM = bpf.AUDIT_ARCH_AARCH64, bpf.AUDIT_ARCH_ARM
ALLOW = bpf.SECCOMP_RET_ALLOW
EPERM = bpf.SECCOMP_RET_ERRNO | errno.EPERM
ENOSYS = bpf.SECCOMP_RET_ERRNO | errno.ENOSYS
R, W, M = bpf.BPF_DEVCG_ACC_READ, bpf.BPF_DEVCG_ACC_WRITE, bpf.BPF_DEVCG_ACC_MKNOD
CHR, BLK = bpf.BPF_DEVCG_DEV_CHAR, bpf.BPF_DEVCG_DEV_BLOCK
# the names the brief asked for; adjtimex and clock_adjtime are supported but allowed by default
ASKED = ("kexec_load kexec_file_load open_by_handle_at init_module finit_module delete_module add_key request_key keyctl bpf "
         "perf_event_open userfaultfd swapon swapoff acct iopl ioperm lookup_dcookie nfsservctl vm86 vm86old uselib "
         "settimeofday clock_settime clock_adjtime adjtimex stime name_to_handle_at fanotify_init syslog").split()


# ---- pure: tiny interpreters for the two instruction sets, to check what the programs decide


def run_seccomp(prog: bytes, arch: int, nr: int) -> int:
    """Run a classic-BPF seccomp program on seccomp_data {nr, arch}; only the opcodes _bpf emits."""
    insns = [struct.unpack_from("<HBBI", prog, off) for off in range(0, len(prog), 8)]
    data = struct.pack("<II", nr & 0xFFFFFFFF, arch)
    acc = pc = 0
    while True:
        code, jt, jf, k = insns[pc]
        pc += 1
        if code == 0x20:
            acc = struct.unpack_from("<I", data, k)[0]
        elif code in (0x15, 0x35):
            pc += jt if (acc == k if code == 0x15 else acc >= k) else jf
        elif code == 0x06:
            return k
        else:
            raise AssertionError("unexpected opcode %#x" % code)


def run_device(prog: bytes, dev_type: int, major: int, minor: int, access: int) -> int:
    """Run a cgroup device eBPF program on bpf_cgroup_dev_ctx; only the opcodes _bpf emits."""
    ctx = {0: (access << 16) | dev_type, 4: major, 8: minor}
    insns = [struct.unpack_from("<BBhi", prog, off) for off in range(0, len(prog), 8)]
    regs = {1: "ctx"}
    pc = 0
    while True:
        code, regbyte, off, imm = insns[pc]
        dst, src = regbyte & 0xF, regbyte >> 4
        pc += 1
        if code == 0x61:
            assert regs[src] == "ctx"
            regs[dst] = ctx[off]
        elif code == 0x57:
            regs[dst] &= imm
        elif code == 0x77:
            regs[dst] >>= imm
        elif code == 0xB7:
            regs[dst] = imm
        elif code == 0xBF:
            regs[dst] = regs[src]
        elif code in (0x55, 0x5D):
            pc += off if regs[dst] != (imm if code == 0x55 else regs[src]) else 0
        elif code == 0x95:
            return regs[0]
        else:
            raise AssertionError("unexpected opcode %#x" % code)


# ---- pure: seccomp deny table and program


def test_default_deny_covers_the_asked_names_with_reasons():
    assert set(ASKED) <= set(bpf.SUPPORTED)
    assert set(bpf.DEFAULT_DENY) == set(ASKED) - {"adjtimex", "clock_adjtime"} | {"clock_settime64"}
    assert set(bpf.DENY_REASONS) == set(bpf.SUPPORTED)
    assert all(len(bpf.DENY_REASONS[n]) > 20 for n in bpf.SUPPORTED)
    assert bpf.DEFAULT_POLICY["keyctl"] == errno.ENOSYS and bpf.DEFAULT_POLICY["kexec_load"] == errno.EPERM


def test_every_default_name_has_a_number_the_x86_64_filter_checks():
    only_i386 = {n for n in bpf.DEFAULT_DENY if bpf.syscall_number(n, arch="x86_64") is None}
    assert only_i386 == {"vm86", "vm86old", "stime", "clock_settime64"}
    assert all(bpf.syscall_number(n, arch="i386") for n in only_i386)


def header_numbers(path: str) -> dict:
    with open(path, encoding="ascii") as fh:
        return {m.group(1): int(m.group(2)) for m in re.finditer(r"^#define __NR_(\w+)\s+(\d+)\s*$", fh.read(), re.M)}


@pytest.mark.parametrize("abi, header, complete", [
    ("x86_64", "/usr/include/x86_64-linux-gnu/asm/unistd_64.h", True),
    ("i386", "/usr/include/x86_64-linux-gnu/asm/unistd_32.h", True),
    ("aarch64", "/usr/include/asm-generic/unistd.h", False),   # its 32-bit-only entries are not aarch64's
])
def test_numbers_match_this_machines_headers(abi, header, complete):
    if not os.path.exists(header):
        pytest.skip("%s is not installed (linux-libc-dev)" % header)
    numbers = header_numbers(header)
    for name in bpf.SUPPORTED:
        ours = bpf.syscall_number(name, arch=abi)
        if ours is not None or complete:
            assert ours == numbers.get(name), name


@pytest.mark.parametrize("machine, arches, size", [
    ("x86_64", (X86_64, I386), 65),
    ("i686", (I386,), 34),
    ("aarch64", (AARCH64, ARM), 56),
    ("armv7l", (ARM,), 30),
])
def test_default_deny_decides_every_number_of_every_abi(machine, arches, size):
    prog = bpf.seccomp_deny_filter(bpf.DEFAULT_DENY, arch=machine)
    assert len(prog) == size * 8
    assert struct.unpack_from("<HBBI", prog, 0) == (0x20, 0, 0, 4)                  # seccomp_data.arch first
    assert struct.unpack_from("<HBBI", prog, len(prog) - 8) == (0x06, 0, 0, ENOSYS)
    for arch in arches:
        abi = {X86_64: "x86_64", I386: "i386", AARCH64: "aarch64", ARM: "arm"}[arch]
        denied = {bpf.syscall_number(n, arch=abi) for n in bpf.DEFAULT_DENY} - {None}
        for nr in range(0, 1024):
            assert run_seccomp(prog, arch, nr) == (EPERM if nr in denied else ALLOW), (abi, nr)
        assert run_seccomp(prog, arch, -1) == ALLOW
    for foreign in {X86_64, I386, AARCH64, ARM, 0xC00000F3} - set(arches):
        assert run_seccomp(prog, foreign, 39) == ENOSYS


@pytest.mark.parametrize("arch, nr, expected", [
    (X86_64, 39, ALLOW),                                  # getpid
    (X86_64, 246, EPERM),                                 # kexec_load
    (X86_64, 250, ENOSYS),                                # keyctl: ENOSYS in DEFAULT_POLICY
    (X86_64, bpf.X32_SYSCALL_BIT | 39, EPERM),            # x32 getpid
    (X86_64, bpf.X32_SYSCALL_BIT | 250, EPERM),           # x32 gets errno_value, not the per-name errno
    (X86_64, 0x7FFFFFFF, EPERM),
    (X86_64, -1, ALLOW),                                  # a tracer's skipped syscall
    (I386, 20, ALLOW),                                    # getpid
    (I386, 283, EPERM),                                   # kexec_load
    (I386, 288, ENOSYS),                                  # keyctl
    (I386, 404, EPERM),                                   # clock_settime64
    (I386, 124, ALLOW),                                   # adjtimex: allowed by default
    (AARCH64, 104, ENOSYS),                               # foreign arch on x86_64
])
def test_default_policy_on_x86_64(arch, nr, expected):
    assert run_seccomp(bpf.seccomp_deny_filter(bpf.DEFAULT_POLICY, arch="x86_64"), arch, nr) == expected


@pytest.mark.parametrize("names, kwargs, size, checks", [
    ((), {}, 11, [(X86_64, 246, ALLOW), (X86_64, 0x40000027, EPERM), (I386, 283, ALLOW)]),
    (["keyctl"], {"errno_value": errno.EACCES}, 14,
     [(X86_64, 250, bpf.SECCOMP_RET_ERRNO | errno.EACCES), (X86_64, 0x40000027, bpf.SECCOMP_RET_ERRNO | errno.EACCES)]),
    ({"keyctl": errno.ENOSYS, "bpf": errno.EPERM}, {}, 18,
     [(X86_64, 250, ENOSYS), (X86_64, 321, EPERM), (I386, 357, EPERM), (I386, 288, ENOSYS), (X86_64, 0x40000027, EPERM)]),
    (["kexec_file_load"], {}, 12, [(X86_64, 320, EPERM), (I386, 320, ALLOW)]),   # absent on i386: skipped there
])
def test_filter_shapes(names, kwargs, size, checks):
    prog = bpf.seccomp_deny_filter(names, arch="x86_64", **kwargs)
    assert len(prog) == size * 8
    assert [run_seccomp(prog, arch, nr) for arch, nr, want in checks] == [want for arch, nr, want in checks]


@pytest.mark.parametrize("call, error, words", [
    (lambda: bpf.seccomp_deny_filter(["kexec_load", "no_such_call"]), VzConfigError, "no_such_call"),
    (lambda: bpf.seccomp_deny_filter("kexec_load"), VzConfigError, "list of syscall names"),
    (lambda: bpf.seccomp_deny_filter(["bpf"], errno_value=0), VzConfigError, "out of range"),
    (lambda: bpf.seccomp_deny_filter(["bpf"], errno_value=4096), VzConfigError, "out of range"),
    (lambda: bpf.seccomp_deny_filter({"bpf": True}), VzConfigError, "out of range"),
    (lambda: bpf.seccomp_deny_filter(["bpf"], arch="riscv64"), VzUnsupported, "riscv64"),
    (lambda: bpf.syscall_number("no_such_call"), VzConfigError, "no_such_call"),
])
def test_seccomp_errors_name_the_parameter(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert info.value.details["param"] == "seccomp"
    assert str(info.value).startswith("`seccomp`: ") and words in str(info.value)


# ---- pure: device rules and program


@pytest.mark.parametrize("text, rule", [
    ("c 1:3 rwm", DeviceRule("c", 1, 3, "rwm")),
    ("c 136:* rw", DeviceRule("c", 136, None, "rw")),
    ("a *:* rwm", DeviceRule("a", None, None, "rwm")),
    ("a", DeviceRule("a", None, None, "rwm")),
    ("b 8:0 mr", DeviceRule("b", 8, 0, "rm")),
    ("  c\t1:3   r ", DeviceRule("c", 1, 3, "r")),
    ("b *:* m", DeviceRule("b", None, None, "m")),
    ("c:10:200:rw", DeviceRule("c", 10, 200, "rw")),
    ("b:8:all:r", DeviceRule("b", 8, None, "r")),
    ("c:4095:1048575:w", DeviceRule("c", 4095, 1048575, "w")),
])
def test_parse_device_rule(text, rule):
    parsed = bpf.parse_device_rule(text)
    assert parsed == rule
    assert bpf.parse_device_rule(parsed.to_v1()) == parsed


@pytest.mark.parametrize("text, words", [
    ("", "is not a device rule"),
    ("x 1:3 rwm", "is not a device rule"),
    ("c 1:3", "is not a device rule"),
    ("c 1-3 rw", "is not a device rule"),
    ("c -1:3 r", "is not a device rule"),
    ("c 1:3 r w", "is not a device rule"),
    ("c:10:200", "is not a device rule"),
    ("a:1:2:rw", "is not a device rule"),
    ("c 1:3 rwx", "not a combination of r, w and m"),
    ("c 4096:0 r", "major 4096"),
    ("c 1:1048576 r", "minor 1048576"),
    ("a 1:3 rwm", "takes no numbers"),
    ("c:10:200:none", "'none' cannot be expressed"),
])
def test_parse_device_rule_errors(text, words):
    with pytest.raises(VzConfigError) as info:
        bpf.parse_device_rule(text)
    assert info.value.details["param"] == "devices"
    assert str(info.value).startswith("`devices`: ") and words in str(info.value)


@pytest.mark.parametrize("args", [("z", 1, 1, "r"), ("c", True, 1, "r"), ("c", 1, 1, ""), ("c", 1, "3", "r"), ("b", None, -1, "r")])
def test_device_rule_validates_fields(args):
    with pytest.raises(VzConfigError) as info:
        DeviceRule(*args)
    assert info.value.details["param"] == "devices"


@pytest.mark.parametrize("rules, size", [
    ([], 8),                              # 6 loads + r0 = 0, exit
    (["a"], 8),                           # r0 = 1, exit: nothing after it (the verifier rejects dead code)
    (["c 1:3 r", "a", "c 1:5 r"], 16),    # 6 + 8 for the first rule + 2
    (["c 1:3 rwm"], 13),                  # + type, major, minor
    (["c 1:3 rwm", "c 1:5 r"], 21),       # + type, 3 for access, major, minor
])
def test_device_program_size(rules, size):
    prog = bpf.device_program(rules)
    assert len(prog) == size * 8
    assert prog[-8:] == struct.pack("<BBhi", 0x95, 0, 0, 0)


@pytest.mark.parametrize("rules, access, expected", [
    (["c 1:3 rwm"], (CHR, 1, 3, R | W | M), 1),
    (["c 1:3 rwm"], (BLK, 1, 3, R), 0),
    (["c 1:3 rwm"], (CHR, 1, 4, R), 0),
    (["c 1:3 rwm"], (CHR, 2, 3, R), 0),
    (["c 136:* rw"], (CHR, 136, 0xFFFFF, R | W), 1),
    (["c 136:* rw"], (CHR, 136, 5, M), 0),
    (["c 136:* rw"], (CHR, 137, 5, R), 0),
    (["b *:* m"], (BLK, 8, 0, M), 1),
    (["b *:* m"], (BLK, 8, 0, R), 0),
    (["b *:* m"], (CHR, 1, 3, M), 0),
    (["a"], (BLK, 8, 0, R | W | M), 1),
    (["a *:* r"], (CHR, 1, 3, R), 1),
    (["a *:* r"], (BLK, 8, 0, W), 0),
    (["c 1:3 r", "a", "c 1:5 r"], (BLK, 8, 0, W), 1),
    ([], (CHR, 1, 3, R), 0),
    (["c 1:5 r", "c 1:5 w"], (CHR, 1, 5, R | W), 0),      # as in v1: one rule must grant all of it
    (["c 1:5 r", "c 1:5 w"], (CHR, 1, 5, W), 1),
    (["c 1:3 rwm", "c 1:5 r"], (CHR, 1, 5, R), 1),
    (["c 1:3 rwm", "c 1:5 r"], (CHR, 1, 5, W), 0),
    ([DeviceRule("c", 1, None, "r")], (CHR, 1, 7, R), 1),
])
def test_device_program_decisions(rules, access, expected):
    assert run_device(bpf.device_program(rules), *access) == expected


# ---- real: install the programs in this kernel (root on x86_64; skipped elsewhere)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="loading seccomp filters without no_new_privs and BPF programs needs root")
needs_x86_64 = pytest.mark.skipif(platform.machine() != "x86_64", reason="the syscall numbers used below are x86_64's")
CG2 = next((p for p in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup") if os.path.exists(os.path.join(p, "cgroup.controllers"))), None)


def in_child(func):
    """Run func() in a forked child; returns (wait status, its JSON result)."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(rfd)
        code = 0
        try:
            out = json.dumps(func())
        except Exception as exc:  # pylint: disable=broad-except
            out, code = json.dumps({"error": repr(exc)}), 1
        with os.fdopen(wfd, "w") as fh:
            fh.write(out)
        os._exit(code)
    os.close(wfd)
    with os.fdopen(rfd) as fh:
        data = fh.read()
    status = os.waitpid(pid, 0)[1]
    return status, json.loads(data) if data else None


def call(nr: int, *args) -> int:
    """syscall(nr, args...): the result, or -errno."""
    lib = ctypes.CDLL(None, use_errno=True)
    lib.syscall.restype = ctypes.c_long
    ctypes.set_errno(0)
    ret = lib.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    return -ctypes.get_errno() if ret == -1 else ret


def int80(nr: int) -> int:
    """The i386 syscall nr through int 0x80 from this 64-bit process, all arguments -1: eax (-errno on error)."""
    code = (b"\x53\xb8" + struct.pack("<I", nr) + b"\xbb\xff\xff\xff\xff\xb9\xff\xff\xff\xff\xba\xff\xff\xff\xff"
            b"\xbe\xff\xff\xff\xff\xbf\xff\xff\xff\xff\xcd\x80\x5b\xc3")   # push rbx; mov eax..edi; int 0x80; pop rbx; ret
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code)
    return ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))()


def assert_exited_ok(status, result):
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, (status, result)


@needs_root
@needs_x86_64
def test_real_filter_denies_with_its_errno_and_allows_the_rest():
    # ENOTRECOVERABLE is an errno none of these calls returns on its own: seeing it proves the filter
    # answered. All arguments are -1, which every one of these rejects if the filter did not stop it.
    names = [n for n in bpf.SUPPORTED if bpf.syscall_number(n, arch="x86_64") is not None]

    def child():
        libc.seccomp_set_filter(bpf.seccomp_deny_filter(names, errno_value=errno.ENOTRECOVERABLE))
        got = {n: call(bpf.syscall_number(n, arch="x86_64"), -1, -1, -1, -1, -1, -1) for n in names}
        return {"denied": got, "getpid": call(39), "pid": os.getpid(), "uname": os.uname().sysname,
                "x32_getpid": call(bpf.X32_SYSCALL_BIT | 39)}

    status, result = in_child(child)
    assert_exited_ok(status, result)
    assert result["denied"] == {n: -errno.ENOTRECOVERABLE for n in names}
    assert result["getpid"] == result["pid"] and result["uname"] == "Linux"
    assert result["x32_getpid"] == -errno.ENOTRECOVERABLE


@needs_root
@needs_x86_64
@pytest.mark.parametrize("deny, expected", [
    (bpf.DEFAULT_DENY, {"kexec_load": -errno.EPERM, "open_by_handle_at": -errno.EPERM, "keyctl": -errno.EPERM, "bpf": -errno.EPERM}),
    (bpf.DEFAULT_POLICY, {"kexec_load": -errno.EPERM, "open_by_handle_at": -errno.EPERM, "keyctl": -errno.ENOSYS, "bpf": -errno.EPERM}),
])
def test_real_default_filters(deny, expected):
    def child():
        libc.seccomp_set_filter(bpf.seccomp_deny_filter(deny))
        got = {n: call(bpf.syscall_number(n), -1, -1, -1, -1, -1, -1) for n in expected}
        timex = ctypes.create_string_buffer(512)     # struct timex, modes = 0: a read-only query
        return {"got": got, "getpid": call(39) == os.getpid(), "uname": os.uname().sysname,
                "adjtimex": call(159, ctypes.addressof(timex)), "x32_getpid": call(bpf.X32_SYSCALL_BIT | 39)}

    status, result = in_child(child)
    assert_exited_ok(status, result)
    assert result["got"] == expected
    assert result["getpid"] is True and result["uname"] == "Linux"
    assert result["adjtimex"] >= 0                       # TIME_OK..TIME_ERROR: reading the clock still works
    assert result["x32_getpid"] == -errno.EPERM


@needs_x86_64
def test_real_x32_number_without_filter_is_not_eperm():
    status, result = in_child(lambda: call(bpf.X32_SYSCALL_BIT | 39))
    assert_exited_ok(status, result)
    assert result != -errno.EPERM    # the pid with CONFIG_X86_X32_ABI, else -ENOSYS


@needs_root
@needs_x86_64
def test_real_int80_does_not_bypass_the_filter():
    status, result = in_child(lambda: [int80(20), os.getpid()])
    if not os.WIFEXITED(status):
        pytest.skip("int 0x80 is not available here (IA32 emulation off): status %#x" % status)
    assert result[0] == result[1]

    def child():
        libc.seccomp_set_filter(bpf.seccomp_deny_filter(bpf.DEFAULT_DENY, errno_value=errno.ENOTRECOVERABLE))
        return {"getpid": int80(20) == os.getpid(), "kexec_load": int80(283), "keyctl": int80(288),
                "clock_settime64": int80(404), "vm86": int80(166), "bpf": int80(357)}

    status, result = in_child(child)
    assert_exited_ok(status, result)
    assert result.pop("getpid") is True
    assert result == dict.fromkeys(result, -errno.ENOTRECOVERABLE)


def test_real_no_new_privs_and_capability_bound():
    def child():
        libc.no_new_privs()
        if os.geteuid() == 0:
            libc.cap_bound_drop(22)     # CAP_SYS_BOOT
        with open("/proc/self/status", encoding="ascii") as fh:
            fields = dict(line.split(":\t", 1) for line in fh.read().splitlines() if ":\t" in line)
        return {"nnp": fields["NoNewPrivs"].strip(), "capbnd": int(fields["CapBnd"], 16)}

    status, result = in_child(child)
    assert_exited_ok(status, result)
    assert result["nnp"] == "1"
    if os.geteuid() == 0:
        assert not result["capbnd"] & (1 << 22) and result["capbnd"] & (1 << 21)


def test_real_seccomp_set_filter_rejects_partial_instructions():
    with pytest.raises(OSError) as info:
        libc.seccomp_set_filter(b"\x06\x00\x00\x00\x00\x00\xff")
    assert info.value.errno == errno.EINVAL


@needs_root
def test_real_verifier_log_in_the_error():
    prog = struct.pack("<BBhi", 0x95, 0, 0, 0)       # exit with r0 never written
    with pytest.raises(OSError) as info:
        libc.bpf_prog_load(libc.BPF_PROG_TYPE_CGROUP_DEVICE, prog)
    assert info.value.errno in (errno.EACCES, errno.EINVAL)
    assert "verifier log" in str(info.value) and "R0" in str(info.value)


@needs_root
@pytest.mark.parametrize("rules", [[], ["a"], ["c 1:3 rwm", "c 1:5 r"], ["c 136:* rw", "b *:* m", "c:10:200:rw", "a *:* r"], ["c 1:3 r", "a", "c 1:5 r"]])
def test_real_device_programs_pass_the_verifier(rules):
    fd = libc.bpf_prog_load(libc.BPF_PROG_TYPE_CGROUP_DEVICE, bpf.device_program(rules), name=b"vzkit_test")
    try:
        assert fd >= 0 and os.get_inheritable(fd) is False
    finally:
        os.close(fd)


@contextlib.contextmanager
def device_cgroup(rules):
    """A fresh cgroup v2 directory with a device program allowing ``rules`` attached; removed afterwards."""
    path = os.path.join(CG2, "vzkit-bpf-test-%d" % os.getpid())
    os.mkdir(path)
    fds = []
    try:
        fds.append(os.open(path, os.O_RDONLY | os.O_DIRECTORY))
        fds.append(libc.bpf_prog_load(libc.BPF_PROG_TYPE_CGROUP_DEVICE, bpf.device_program(rules)))
        libc.bpf_prog_attach(fds[0], fds[1], libc.BPF_CGROUP_DEVICE)
        yield path
    finally:
        for fd in fds:
            os.close(fd)
        for delay in (0, 0.05, 0.2, 1):
            time.sleep(delay)
            with contextlib.suppress(FileNotFoundError):
                try:
                    os.rmdir(path)
                except OSError as exc:
                    if exc.errno == errno.EBUSY and delay < 1:
                        continue
                    raise
            break


def try_open(path: str, flags: int) -> int:
    try:
        os.close(os.open(path, flags))
        return 0
    except OSError as exc:
        return exc.errno


def try_mknod(path: str, major: int, minor: int) -> int:
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(major, minor))
        os.unlink(path)
        return 0
    except OSError as exc:
        return exc.errno


@needs_root
@pytest.mark.skipif(CG2 is None, reason="no cgroup v2 hierarchy mounted at /sys/fs/cgroup/unified or /sys/fs/cgroup")
@pytest.mark.parametrize("rules, expected", [
    (["c 1:3 rwm", "c 1:5 r"], {"null rw": 0, "zero r": 0, "zero w": errno.EPERM, "full r": errno.EPERM,
                                "mknod 1:7": errno.EPERM, "mknod 1:3": 0}),
    (["a"], {"null rw": 0, "zero r": 0, "zero w": 0, "full r": 0, "mknod 1:7": 0, "mknod 1:3": 0}),
    (["c 1:* r"], {"null rw": errno.EPERM, "zero r": 0, "zero w": errno.EPERM, "full r": 0,
                   "mknod 1:7": errno.EPERM, "mknod 1:3": errno.EPERM}),
])
def test_real_device_program_in_a_cgroup(tmp_path, rules, expected):
    def child(path):
        with open(os.path.join(path, "cgroup.procs"), "w", encoding="ascii") as fh:
            fh.write(str(os.getpid()))
        return {
            "null rw": try_open("/dev/null", os.O_RDWR), "zero r": try_open("/dev/zero", os.O_RDONLY),
            "zero w": try_open("/dev/zero", os.O_WRONLY), "full r": try_open("/dev/full", os.O_RDONLY),
            "mknod 1:7": try_mknod(str(tmp_path / "full"), 1, 7), "mknod 1:3": try_mknod(str(tmp_path / "null"), 1, 3),
        }

    with device_cgroup(rules) as path:
        status, result = in_child(lambda: child(path))
    assert_exited_ok(status, result)
    assert result == expected
    assert not os.path.exists(path)
