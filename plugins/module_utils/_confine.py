# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Default confinement of every container, in one place, with the reason for each item.

Private to vzkit.vz; may change in any release. Pure data and parsing: ``_namespaces`` applies it.

The keystone is the user namespace: every container gets one (identity-mapped by default, a shifted
range when unprivileged). Its root's capabilities then act only on the container's own namespaces,
and every mount the host prepares (the /proc masks, read-only /sys, the pivot) is copied into a mount
namespace the container owns, where the kernel locks them: they cannot be unmounted, remounted
read-write, or bypassed with a new proc or sysfs mount. The items below narrow what is left.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ._bpf import DEFAULT_POLICY, DeviceRule, parse_device_rule
from ._errors import VzConfigError

# Capabilities removed from the bounding set (they can never be regained, even by exec of a setuid
# binary). Compared with LXC's default drop list (mac_admin mac_override sys_time sys_module sys_rawio)
# and systemd-nspawn's default keep list.
CAP_NUMBERS = {
    "chown": 0, "dac_override": 1, "dac_read_search": 2, "fowner": 3, "fsetid": 4, "kill": 5, "setgid": 6,
    "setuid": 7, "setpcap": 8, "linux_immutable": 9, "net_bind_service": 10, "net_broadcast": 11,
    "net_admin": 12, "net_raw": 13, "ipc_lock": 14, "ipc_owner": 15, "sys_module": 16, "sys_rawio": 17,
    "sys_chroot": 18, "sys_ptrace": 19, "sys_pacct": 20, "sys_admin": 21, "sys_boot": 22, "sys_nice": 23,
    "sys_resource": 24, "sys_time": 25, "sys_tty_config": 26, "mknod": 27, "lease": 28, "audit_write": 29,
    "audit_control": 30, "setfcap": 31, "mac_override": 32, "mac_admin": 33, "syslog": 34, "wake_alarm": 35,
    "block_suspend": 36, "audit_read": 37, "perfmon": 38, "bpf": 39, "checkpoint_restore": 40,
}
DROP_REASONS = {
    "sys_module": "load or unload kernel modules (LXC drops it too)",
    "sys_rawio": "raw I/O ports and /dev/mem-style access (LXC drops it too)",
    "sys_time": "set the host's clock, which has no namespace (LXC drops it too)",
    "sys_pacct": "switch the host's process accounting (nspawn drops it)",
    "sys_ptrace": "ptrace beyond its own uid; the pid namespace already hides host processes, "
                  "this also keeps container root from inspecting its own users' processes (Docker drops it)",
    "mac_admin": "change LSM policy (LXC drops it too)",
    "mac_override": "override LSM policy (LXC drops it too)",
    "syslog": "read and clear the host's kernel log, see kernel addresses (nspawn drops it)",
    "wake_alarm": "set alarms that wake the host (nspawn drops it)",
    "block_suspend": "keep the host from suspending (nspawn drops it)",
    "audit_control": "change the host's audit rules (audit has no namespace)",
    "audit_read": "read the host's audit log via multicast netlink",
    "perfmon": "performance monitoring of the host (nspawn drops it)",
    "bpf": "load BPF programs, which run in the host kernel (nspawn drops it)",
    "checkpoint_restore": "checkpoint/restore privileges over pid and file namespaces (nspawn drops it)",
}
DEFAULT_DROP = tuple(sorted(DROP_REASONS))
# Kept on purpose although some lists drop them:
KEEP_REASONS = {
    "sys_boot": "reboot(2) in a pid namespace only ends the container's own init (the kernel turns it "
                "into a signal to that init); it is how an init stops itself. LXC and nspawn keep it.",
    "sys_admin": "needed by systemd to mount its tmpfs and set up service sandboxing; in the container's "
                 "user namespace it covers only namespaces the container owns (nspawn keeps it).",
    "net_admin": "configure the container's own network namespace (LXC keeps it).",
    "mknod": "kept, but in a user namespace the kernel refuses device nodes anyway; the host creates /dev.",
}

# /proc entries hidden behind /dev/null (files) or an empty read-only tmpfs (directories):
# they reveal host state or act on the host. Missing entries (kernel config) are skipped.
PROC_MASKED = ("kcore", "kmsg", "keys", "key-users", "timer_list", "sched_debug", "latency_stats",
               "acpi", "scsi", "asound")
# /proc entries made read-only: host-wide tunables and triggers. /proc/sys/net stays writable: it
# shows the container's own network namespace.
PROC_READONLY = ("sys", "sysrq-trigger", "irq", "bus", "fs")
PROC_WRITABLE_AGAIN = ("sys/net",)
SYS_MASKED = ("firmware",)  # ACPI tables, DMI serial numbers of the host

# Opt-in features (OpenVZ's FEATURES="name:on"), each with the risk of turning it on.
FEATURES = {
    "fuse": "creates /dev/fuse and allows it: FUSE filesystems inside; risk: a FUSE server can stall "
            "host processes that walk the container's tree",
    "tun": "creates /dev/net/tun and allows it: VPNs inside; risk: small, the interfaces stay in the "
           "container's network namespace",
    "nnp": "sets no_new_privs on init: setuid binaries (su, sudo, ping on some systems) stop gaining "
           "privileges; safer, and off by default because it breaks them",
}
FEATURE_DEVICES = {"fuse": (("c", 10, 229, "rwm", "fuse"),), "tun": (("c", 10, 200, "rwm", "net/tun"),)}

_ONOFF = re.compile(r"([a-z0-9_]+):(on|off)")


def parse_onoff(text: str, *, param: str, known) -> dict:
    """OpenVZ's ``name:on name:off`` lists (CAPABILITY, FEATURES) into {name: bool}."""
    out = {}
    for word in (text or "").split():
        m = _ONOFF.fullmatch(word.lower())
        if not m:
            raise VzConfigError("%r is not NAME:on or NAME:off" % word, param=param,
                                hint="write entries like sys_time:on or fuse:on, separated by spaces")
        if m.group(1) not in known:
            raise VzConfigError("unknown name %r" % m.group(1), param=param,
                                hint="use one of: %s" % ", ".join(sorted(known)))
        out[m.group(1)] = m.group(2) == "on"
    return out


@dataclass(frozen=True)
class Confinement:
    """What one container is allowed, from its CAPABILITY, FEATURES and DEVICES keys."""

    drop_caps: tuple = DEFAULT_DROP
    features: tuple = ()
    extra_devices: tuple = ()  # DeviceRule from DEVICES (OpenVZ syntax c:10:200:rw)
    seccomp_deny: tuple = tuple(sorted(DEFAULT_POLICY.items()))  # (syscall name, errno)

    @classmethod
    def from_conf(cls, items: dict) -> "Confinement":
        caps = parse_onoff(items.get("CAPABILITY", ""), param="capability", known=CAP_NUMBERS)
        drop = set(DEFAULT_DROP)
        for name, on in caps.items():
            if on:
                drop.discard(name)
            else:
                drop.add(name)
        feats = parse_onoff(items.get("FEATURES", ""), param="features", known=FEATURES)
        devices = tuple(parse_device_rule(d) for d in (items.get("DEVICES") or "").split())
        return cls(tuple(sorted(drop)), tuple(sorted(n for n, on in feats.items() if on)), devices)

    @property
    def cap_numbers(self) -> tuple:
        return tuple(CAP_NUMBERS[name] for name in self.drop_caps)

    @property
    def device_nodes(self) -> tuple:
        """(kind, major, minor, access, path under /dev) the host creates for enabled features."""
        return tuple(node for f in self.features for node in FEATURE_DEVICES.get(f, ()))


# The device allow-list of every container: the nodes of its /dev, plus mknod (not use) of any node
# as LXC allows, so that package scripts creating nodes do not fail (in a user namespace the kernel
# refuses device nodes anyway).
DEFAULT_DEVICES = ("c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm",
                   "c 136:* rwm", "c *:* m", "b *:* m")


def device_allow_list(conf: Confinement) -> tuple:
    """Every rule the container's device cgroup allows, as DeviceRule."""
    rules = [parse_device_rule(r) for r in DEFAULT_DEVICES]
    rules += [DeviceRule(kind, major, minor, access) for kind, major, minor, access, _path in conf.device_nodes]
    return tuple(rules) + conf.extra_devices


@dataclass(frozen=True)
class IdMap:
    """A user namespace mapping: container ids 0..count-1 are host ids first..first+count-1."""

    first_uid: int = 0
    first_gid: int = 0
    # Identity for the default ("privileged") container. One id short of the full range on purpose:
    # systemd reads a full-range identity map as "not in a user namespace" and then tries host-only
    # mounts (hugetlbfs, fusectl) that fail; this tells it the truth.
    count: int = 4294967294

    def uid_map(self) -> str:
        return "0 %d %d\n" % (self.first_uid, self.count)

    def gid_map(self) -> str:
        return "0 %d %d\n" % (self.first_gid, self.count)

    def host_uid(self, uid: int) -> int:
        return self.first_uid + uid

    def host_gid(self, gid: int) -> int:
        return self.first_gid + gid

    @property
    def shifted(self) -> bool:
        return self.first_uid != 0 or self.first_gid != 0


__all__ = ["CAP_NUMBERS", "DROP_REASONS", "KEEP_REASONS", "DEFAULT_DROP", "PROC_MASKED", "PROC_READONLY",
           "PROC_WRITABLE_AGAIN", "SYS_MASKED", "FEATURES", "Confinement", "IdMap", "parse_onoff",
           "device_allow_list", "DEFAULT_DEVICES"]
