# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Control groups: one container, one cgroup, on cgroup v2, v1, or the hybrid of both.

Private to vzkit.vz; may change in any release. The hierarchies are detected once (``_hierarchy``);
``Cgroups`` then creates ``PARENT/CTID`` in every hierarchy, moves a process in, lists, freezes and
kills what is inside, and removes the groups. The limit files are ``_knobs``' business.
"""
from __future__ import annotations

import errno
import os
import signal
import time

from .. import _bpf as bpf
from .. import _libc as libc
from .._errors import VzStateError, VzUnsupported
from . import _knobs as knobs
from ._hierarchy import SYSTEMD_UNIT_SUFFIXES, SYSTEMD_V1_CONTROLLERS, Hierarchies, Hierarchy, read, write


class Cgroups:
    """The cgroups of containers below ``parent`` (vz.conf ``VZ_CGROUP_PARENT``, default ``vz``).

    On every hierarchy, v1 and v2 alike, the container's processes live one level down, in
    ``CTID/payload``: that is the root of its cgroup namespace, so whatever cgroupfs it mounts (its
    cgroup2 view at /sys/fs/cgroup, or a v1 controller its root mounts itself) shows the payload and
    below, while the limits on ``CTID`` stay outside anything it can reach (the layout systemd-nspawn
    and LXC use). Limits are hierarchical, so nothing written on the payload lifts them.
    """

    def __init__(self, hierarchies: Hierarchies, parent: str = "vz"):
        self.mode = hierarchies.mode
        self.hierarchies = hierarchies.hierarchies
        self.parent = parent.strip("/")

    def paths(self, ctid: str) -> list:
        return [os.path.join(h.path, self.parent, ctid) for h in self.hierarchies]

    def payload_paths(self, ctid: str) -> list:
        """Where the container's processes go: CTID/payload on every hierarchy.

        A container started before v1 hierarchies had a payload (its processes sit in CTID there) keeps
        that placement until it restarts: a process joining it goes where its init is.
        """
        out = []
        for h in self.hierarchies:
            path = os.path.join(h.path, self.parent, ctid)
            out.append(os.path.join(path, knobs.PAYLOAD) if h.version == 2 or os.path.isdir(os.path.join(path, knobs.PAYLOAD))
                       or not os.path.isdir(path) else path)
        return out

    def legacy_placement(self, ctid: str) -> list:
        """The v1 hierarchies where a running container's processes share the cgroup of its limits."""
        return [h.path for h in self.hierarchies if h.version == 1
                and os.path.isdir(os.path.join(h.path, self.parent, ctid))
                and not os.path.isdir(os.path.join(h.path, self.parent, ctid, knobs.PAYLOAD))]

    @property
    def has_v2(self) -> bool:
        return any(h.version == 2 for h in self.hierarchies)

    def exists(self, ctid: str) -> bool:
        return any(os.path.isdir(p) for p in self.paths(ctid))

    def create(self, ctid: str) -> list:
        """Make ``PARENT/CTID`` in every hierarchy (the payload comes later: ``create_payload``)."""
        # Every hierarchy is checked before anything is made: a refusal leaves nothing behind.
        missing = {h.path: self._missing_levels(h, os.path.join(h.path, self.parent)) for h in self.hierarchies}
        for h in self.hierarchies:
            base = os.path.join(h.path, self.parent)
            for _attempt in range(5):
                try:
                    for path in missing[h.path]:
                        self._mkdir(h, path)
                    if h.version == 2:
                        self._enable_v2_controllers(h, base)
                    self._mkdir(h, os.path.join(base, ctid))
                    break
                except FileNotFoundError:  # a run beside this one removed the shared parent (its last container went)
                    missing[h.path] = self._missing_levels(h, base)
        return self.paths(ctid)

    def create_payload(self, ctid: str) -> None:
        """Make ``CTID/payload`` in every hierarchy, once ``CTID`` carries its device list.

        A v1 payload starts from its parent's device list; its limits (on ``CTID``, and the flat v1
        throttles on the payload itself) are written before any process joins it.
        """
        for h in self.hierarchies:
            self._mkdir(h, os.path.join(h.path, self.parent, ctid, knobs.PAYLOAD))

    @staticmethod
    def _missing_levels(h: Hierarchy, base: str) -> list:
        """The parent's levels to create, top first; refused if systemd would own one of them.

        On a systemd host the parent is the cgroup of a unit with ``Delegate=yes`` (the vz_host role
        installs ``vz-containers.service`` in ``vzkit.slice``): only systemd may create it, when the unit
        starts; a cgroup made in its place would be stepped on (systemd's cgroup delegation rules).
        The hierarchies systemd manages are v2 and, on v1, its own and those of the controllers it
        supports; v1 hierarchies it leaves alone (freezer, cpuset, ...) get the same path made by us.
        """
        levels = []
        path = base
        while not os.path.isdir(path):
            levels.append(path)
            path = os.path.dirname(path)
        owned = [os.path.basename(p) for p in levels if p.endswith(SYSTEMD_UNIT_SUFFIXES)]
        if owned and (h.version == 2 or SYSTEMD_V1_CONTROLLERS.intersection(h.controllers)):
            unit = owned[0]
            fix = "systemctl start %s" % unit
            if unit == "vz-containers.service":
                fix += "; the vzkit.vz.vz_host role installs, enables and starts it"
            raise VzStateError(
                "VZ_CGROUP_PARENT: the cgroup %s does not exist: it belongs to the systemd unit %s, which "
                "is not running. Start it (%s), or set VZ_CGROUP_PARENT in vz.conf to the cgroup of a "
                "running unit with Delegate=yes." % (base, unit, fix))
        return levels[::-1]

    @staticmethod
    def _mkdir(h: Hierarchy, path: str) -> None:
        try:
            os.mkdir(path)
        except FileExistsError:
            pass  # (made by a run beside this one, which may not have filled its cpuset yet: see below)
        if h.version == 1 and "cpuset" in h.controllers:
            _fill_cpuset(path)

    @staticmethod
    def _enable_v2_controllers(h: Hierarchy, base: str) -> None:
        """Enable the controllers containers use on every level from the root down to the parent.

        Only missing ones are written, one at a time, and only those the level offers. Below a systemd
        unit with Delegate=yes the levels start at the unit's cgroup: systemd owns (and has enabled the
        controllers in) those above it, while the unit's own subtree_control is ours to write.
        """
        wanted = ("cpu", "cpuset", "io", "memory", "pids")
        levels = [h.path]
        for part in os.path.relpath(base, h.path).split(os.sep):
            levels.append(os.path.join(levels[-1], part))
            if part.endswith(SYSTEMD_UNIT_SUFFIXES):  # systemd's names: only the (delegated) unit's own level is ours
                levels = levels[-1:]
        for directory in levels:
            offered = read(os.path.join(directory, "cgroup.controllers")).split()
            enabled = set(read(os.path.join(directory, "cgroup.subtree_control")).split())
            for controller in (c for c in wanted if c in offered and c not in enabled):
                try:
                    write(os.path.join(directory, "cgroup.subtree_control"), "+" + controller)
                except OSError:
                    pass  # a controller busy at this level stays off; limits report it (issue: resources)

    def attach(self, ctid: str, pid: int) -> None:
        for path in self.payload_paths(ctid):
            with open(os.path.join(path, "cgroup.procs"), "w", encoding="ascii") as fh:
                fh.write(str(pid))

    def allow_devices(self, ctid: str, rules) -> None:
        """Let the container use only the devices in rules (DeviceRule): v1 devices lists, v2 eBPF.

        On a hybrid host both apply (the kernel checks the v2 program and the v1 lists), so both are set.
        """
        for h in self.hierarchies:
            path = os.path.join(h.path, self.parent, ctid)
            if h.version == 1 and "devices" in h.controllers:
                with open(os.path.join(path, "devices.deny"), "w", encoding="ascii") as fh:
                    fh.write("a")
                for rule in rules:
                    with open(os.path.join(path, "devices.allow"), "w", encoding="ascii") as fh:
                        fh.write(rule.to_v1())
            elif h.version == 2:
                self._attach_device_program(path, rules)

    @staticmethod
    def _attach_device_program(path: str, rules) -> None:
        prog = libc.bpf_prog_load(libc.BPF_PROG_TYPE_CGROUP_DEVICE, bpf.device_program(rules), name=b"vzkit_dev")
        try:
            cg = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                # The attachment holds the program: it lives as long as the cgroup, not this fd.
                libc.bpf_prog_attach(cg, prog, libc.BPF_CGROUP_DEVICE)
            finally:
                os.close(cg)
        finally:
            os.close(prog)

    def delegate(self, ctid: str, uid: int, gid: int) -> None:
        """Hand the container's own cgroup2 subtree to its root (a shifted uid): the payload and its control
        files, so its init (systemd) can manage what is below. v1 payloads stay host root's: the container
        is never shown v1 hierarchies, and has no need to write them."""
        for path in (p for h, p in zip(self.hierarchies, self.payload_paths(ctid)) if h.version == 2):
            os.chown(path, uid, gid)
            for name in ("cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "tasks"):
                if os.path.exists(os.path.join(path, name)):
                    os.chown(os.path.join(path, name), uid, gid)

    def apply_limits(self, ctid: str, limits, *, device: str | None = None) -> list:
        """Write the limits into every hierarchy; return what this host cannot enforce, in words."""
        missing = []
        for h, (path, todo) in zip(self.hierarchies, knobs.limit_writes(self.hierarchies, self.parent, ctid, limits, device)):
            missing += knobs.write_all(path, knobs.with_v1_payload_cpuset(path, todo) if h.version == 1 else todo)
            for _c, name, _v in todo:
                if name.startswith(knobs.PAYLOAD + os.sep):
                    os.chown(os.path.join(path, name), knobs.UNMAPPED_ID, knobs.UNMAPPED_ID)
        return missing

    def enforced(self, ctid: str, limits, *, device: str | None = None) -> dict:
        """What the kernel holds now in each limit file ``apply_limits`` writes: {file path: text}.

        Read back rather than compared with what was written, because the kernel normalises (pages,
        CPU lists, per-device tables): a record of this taken after applying tells any later change.
        """
        return {os.path.join(path, name): read(os.path.join(path, name)).strip()
                for path, todo in knobs.limit_writes(self.hierarchies, self.parent, ctid, limits, device) for _c, name, _v in todo
                if os.path.exists(os.path.join(path, name))}

    def usage(self, ctid: str) -> dict:
        """Current memory, swap, process count and CPU time, from whichever hierarchy has them."""
        out = {"memory": None, "swap": None, "pids": None, "cpu_seconds": None}
        for h in self.hierarchies:
            path = os.path.join(h.path, self.parent, ctid)
            out.update({k: v for k, v in knobs.usage_of(path, h).items() if v is not None and out.get(k) is None})
        return out

    def pids(self, ctid: str) -> set:
        found = set()
        for path in self.paths(ctid):
            for root, _subdirs, _names in os.walk(path):
                found.update(int(p) for p in read(os.path.join(root, "cgroup.procs")).split())
        return found

    def kill_all(self, ctid: str, *, timeout: float = 10.0) -> None:
        """SIGKILL every process left in the container's cgroups until none is left."""
        deadline = time.monotonic() + timeout
        while True:
            pids = self.pids(ctid)
            if not pids:
                return
            if time.monotonic() > deadline:
                raise VzStateError("processes %s of container %s survive SIGKILL" % (sorted(pids), ctid),
                                   hint="they may be in uninterruptible sleep (D state); check ps -o stat,wchan")
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def freezer_path(self, ctid: str):
        """(path, version) of the cgroup that freezes the whole container: the v1 freezer
        hierarchy when there is one, else the v2 cgroup (cgroup.freeze is core on v2)."""
        for h in self.hierarchies:
            if h.version == 1 and "freezer" in h.controllers:
                return os.path.join(h.path, self.parent, ctid), 1
        for h in self.hierarchies:
            if h.version == 2:
                return os.path.join(h.path, self.parent, ctid), 2
        raise VzUnsupported("freezing a container", "neither a v1 freezer hierarchy nor cgroup v2",
                            hint="mount cgroup2, or the v1 freezer controller (CONFIG_CGROUP_FREEZER)")

    def freeze(self, ctid: str, *, timeout: float = 30.0) -> None:
        """Stop every process of the container where it is; returns once all are frozen."""
        path, version = self.freezer_path(ctid)
        if version == 1:
            write(os.path.join(path, "freezer.state"), "FROZEN")
        else:
            write(os.path.join(path, "cgroup.freeze"), "1")
        deadline = time.monotonic() + timeout
        while not _frozen(path, version):
            if time.monotonic() > deadline:
                self.thaw(ctid)
                raise VzStateError("container %s did not freeze within %ds" % (ctid, timeout),
                                   hint="a process may be stuck in the kernel (D state); try again")
            time.sleep(0.01)

    def thaw(self, ctid: str) -> None:
        path, version = self.freezer_path(ctid)
        if version == 1:
            write(os.path.join(path, "freezer.state"), "THAWED")
        else:
            write(os.path.join(path, "cgroup.freeze"), "0")

    def remove(self, ctid: str) -> None:
        for path in self.paths(ctid):
            for root, dirs, _files in os.walk(path, topdown=False):
                for d in dirs:
                    self._rmdir(os.path.join(root, d))
            self._rmdir(path)
            # The shared parent goes too when this was the last container in it, unless a systemd unit
            # owns it (the unit's cgroup is systemd's to remove).
            parent = os.path.dirname(path)
            if not parent.endswith(SYSTEMD_UNIT_SUFFIXES):
                try:
                    os.rmdir(parent)
                except OSError:
                    pass
            else:
                self._release_unit_cgroup(parent)

    @staticmethod
    def _release_unit_cgroup(parent: str) -> None:
        """Without containers, hand the delegated unit's cgroup back able to take processes.

        systemd puts the unit's process in the unit's own cgroup when the unit (re)starts; cgroup v2
        refuses that while controllers are enabled for its children (EBUSY). So once the last container
        has gone, the controllers vzkit enabled there are turned off again (ours to write: delegated).
        """
        try:
            names = os.listdir(parent)
        except FileNotFoundError:
            return  # the unit is not running (a refused start cleaning up): nothing to hand back
        if any(not name.startswith(".") and os.path.isdir(os.path.join(parent, name)) for name in names):
            return
        for controller in read(os.path.join(parent, "cgroup.subtree_control")).split():
            try:
                write(os.path.join(parent, "cgroup.subtree_control"), "-" + controller)
            except OSError:
                pass  # still in use below (a leftover group): the next removal tries again

    @staticmethod
    def _rmdir(path: str) -> None:
        for _attempt in range(50):
            try:
                os.rmdir(path)
                return
            except FileNotFoundError:
                return
            except OSError as exc:
                if exc.errno != errno.EBUSY:
                    raise
                time.sleep(0.02)  # the last task is still leaving
        raise VzStateError("cgroup %s stays busy" % path)


def _fill_cpuset(path: str) -> None:
    """Give an empty v1 cpuset group its parent's cpus and mems (filling the parent first if need be).

    v1 cpuset groups start empty and refuse tasks (ENOSPC) until both are set. A group a run beside
    this one has just made may still be empty (that run has not got so far), and a child made meanwhile
    would copy the emptiness: so every level is filled when found empty; runs that race write the same."""
    for knob in ("cpuset.cpus", "cpuset.mems"):
        if read(os.path.join(path, knob)).strip():
            continue
        parent = os.path.dirname(path)
        if not read(os.path.join(parent, knob)).strip() and os.path.isfile(os.path.join(os.path.dirname(parent), knob)):
            _fill_cpuset(parent)
        write(os.path.join(path, knob), read(os.path.join(parent, knob)).strip())


def _frozen(path: str, version: int) -> bool:
    if version == 1:
        return read(os.path.join(path, "freezer.state")).strip() == "FROZEN"
    return "frozen 1" in read(os.path.join(path, "cgroup.events")).split("\n")


__all__ = ["Cgroups"]
