# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ZFS through the ``zfs`` command: pure argv builders and ``-H -p`` parsers, and ``Zfs(host)``.

Private to vzkit.vz; may change in any release. Works with OpenZFS 2.x and with zfs-fuse (which the
tests use): only ``zfs get -H -p`` (all properties of all datasets in one call), ``zfs list -H -o name``
and plain ``create/clone/snapshot/rollback/promote/rename/set/destroy`` are used. Nothing is ever
destroyed recursively (``-r``/``-R``) unless an option asks for it.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from ._errors import VzCommandError, VzConfigError, VzStateError

# OpenZFS's component rule: letters, digits and "-_.:", not "." or "..".
COMPONENT_RE = re.compile(r"(?!\.{1,2}\Z)[A-Za-z0-9_.:-]+")
OWNER_PROP = "vzkit:ctid"        # user property: the container a dataset belongs to
CACHE_PROP = "vzkit:cache"       # user property of a template dataset: the cache it was made from
# User property of a snapshot vzkit took: vz_snapshot or vz_backup. A property of the snapshot's own: the
# dataset's vzkit:ctid is inherited by all of its snapshots, however they were taken.
TAKEN_PROP = "vzkit:taken-by"
NO_DATASET = ("dataset does not exist", "could not find any snapshots", "no such pool", "no such dataset")


def validate_dataset(name, *, param: str) -> str:
    text = str(name or "").strip().strip("/")
    parts = text.split("/")
    if not text[:1].isalpha() or not all(COMPONENT_RE.fullmatch(p) for p in parts) or len(text) > 200:  # pool: a letter first
        raise VzConfigError("%r is not a ZFS dataset name" % name, param=param,
                            hint="give POOL/PATH, e.g. vz/private (letters, digits, '-', '_', '.', ':')")
    return text


def validate_snapshot_name(name, *, param: str = "name") -> str:
    text = str(name or "")
    if not COMPONENT_RE.fullmatch(text) or len(text) > 200:
        raise VzConfigError("%r is not a snapshot name" % text, param=param,
                            hint="use letters, digits, '-', '_', '.' and ':'")
    return text


# ---- argv builders (pure) --------------------------------------------------------------------

def get_argv(zfs: str, names, props) -> list:
    return [zfs, "get", "-H", "-p", "-o", "name,property,value,source", ",".join(props)] + list(names)


def list_argv(zfs: str, name: str, *, kind: str = "filesystem", depth=None) -> list:
    argv = [zfs, "list", "-H", "-o", "name", "-t", kind]
    argv += ["-d", str(depth)] if depth is not None else ["-r"]
    return argv + [name]


def _opts(props: dict) -> list:
    out = []
    for key in sorted(props):
        out += ["-o", "%s=%s" % (key, props[key])]
    return out


def create_argv(zfs: str, name: str, props: dict, *, parents: bool = False) -> list:
    return [zfs, "create"] + (["-p"] if parents else []) + _opts(props) + [name]


def volume_create_argv(zfs: str, name: str, size: int, props: dict, *, sparse: bool = False,
                       volblocksize=None) -> list:
    """A volume (zvol): -s leaves out the refreservation, -b sets the create-only volblocksize."""
    argv = [zfs, "create"] + (["-s"] if sparse else []) + (["-b", str(volblocksize)] if volblocksize else [])
    return argv + _opts(props) + ["-V", str(size), name]


def clone_argv(zfs: str, snapshot: str, name: str, props: dict) -> list:
    return [zfs, "clone"] + _opts(props) + [snapshot, name]


def snapshot_argv(zfs: str, names, *, recursive: bool = False, props=None) -> list:
    return [zfs, "snapshot"] + (["-r"] if recursive else []) + _opts(props or {}) + list(names)


def set_argv(zfs: str, name: str, props: dict) -> list:
    return [zfs, "set"] + ["%s=%s" % (k, props[k]) for k in sorted(props)] + [name]


def destroy_argv(zfs: str, name: str) -> list:
    return [zfs, "destroy", name]


def rollback_argv(zfs: str, snapshot: str, *, destroy_newer: bool = False) -> list:
    return [zfs, "rollback"] + (["-r"] if destroy_newer else []) + [snapshot]


def rename_argv(zfs: str, old: str, new: str) -> list:
    return [zfs, "rename", old, new]


def promote_argv(zfs: str, name: str) -> list:
    return [zfs, "promote", name]


# ---- parsers (pure) ----------------------------------------------------------------------------

def parse_get(text: str) -> dict:
    """``zfs get -H -p -o name,property,value,source`` output -> {name: {property: value}}.

    "-" values (not applicable, or a user property not set) become None.
    """
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 3:
            continue
        name, prop, value = fields[0], fields[1], fields[2]
        out.setdefault(name, {})[prop] = None if value == "-" else value
    return out


def parse_names(text: str) -> list:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def as_int(value):
    """A ``-p`` number, or None for "-", "none" or an empty value."""
    if value in (None, "", "-", "none"):
        return None
    try:
        return int(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class Snapshot:
    name: str        # full: DATASET@SNAP
    creation: int    # seconds since the epoch
    used: int
    taken_by: str | None = None  # vzkit:taken-by: vz_snapshot or vz_backup; None for one taken by hand

    @property
    def short(self) -> str:
        return self.name.split("@", 1)[1]

    @property
    def dataset(self) -> str:
        return self.name.split("@", 1)[0]


class Zfs:
    """The ``zfs`` command for one run; every call is an argv list, errors become VzCommandError."""

    def __init__(self, host):
        self.host = host
        self._zfs = None

    @property
    def zfs(self) -> str:
        if self._zfs is None:
            self._zfs = self.host.bin("zfs")
        return self._zfs

    def run(self, argv, *, busy_timeout: float = 30.0):
        """Run a changing command; "dataset is busy" is retried for a while (a just-mounted FUSE
        filesystem, or a mount whose last user is exiting, is briefly busy; OpenZFS rarely is). On a
        loaded machine zfs-fuse once stayed busy for over 10 s after a container stopped."""
        deadline = time.monotonic() + busy_timeout
        while True:
            res = self.host.run(argv, check=False)
            if res.rc == 0:
                return res
            if "busy" not in res.stderr or time.monotonic() >= deadline:
                raise VzCommandError(res.argv, res.rc, res.stdout, res.stderr)
            time.sleep(0.2)

    def get(self, names, props) -> dict:
        """Properties of datasets in one call; a dataset that does not exist is left out."""
        names = list(names)
        if not names:
            return {}
        res = self.host.run(get_argv(self.zfs, names, props), check=False)
        if res.rc != 0 and not any(m in res.stderr for m in NO_DATASET):
            raise VzCommandError(res.argv, res.rc, res.stdout, res.stderr)
        if res.rc != 0 and len(names) > 1:  # one missing dataset fails the whole call: ask one by one
            out = {}
            for name in names:
                out.update(self.get([name], props))
            return out
        return parse_get(res.stdout) if res.rc == 0 else {}

    def exists(self, name: str) -> bool:
        return name in self.get([name], ["type"])

    def children(self, name: str, *, kind: str = "filesystem") -> list:
        res = self.host.run(list_argv(self.zfs, name, kind=kind, depth=1), check=False)
        if res.rc != 0:
            return []
        return [n for n in parse_names(res.stdout) if n != name]

    def snapshots(self, name: str) -> list:
        """The dataset's snapshots, oldest first (``zfs list`` orders them by creation), with creation and used."""
        names = [n for n in self.children(name, kind="snapshot") if n.split("@", 1)[0] == name]
        props = self.get(names, ["creation", "used", TAKEN_PROP])
        return [Snapshot(n, as_int(props.get(n, {}).get("creation")) or 0, as_int(props.get(n, {}).get("used")) or 0,
                         props.get(n, {}).get(TAKEN_PROP)) for n in names]

    def clones(self, parent: str) -> dict:
        """{snapshot: [datasets cloned from it]} for every dataset below parent (from ``origin``)."""
        res = self.host.run([self.zfs, "get", "-r", "-H", "-p", "-o", "name,property,value,source", "origin", parent],
                            check=False)
        out = {}
        for name, props in (parse_get(res.stdout) if res.rc == 0 else {}).items():
            if props.get("origin") and "@" not in name:
                out.setdefault(props["origin"], []).append(name)
        return out

    def create(self, name: str, props: dict, *, parents: bool = False) -> None:
        self.run(create_argv(self.zfs, name, props, parents=parents))

    def create_volume(self, name: str, size: int, props: dict, *, sparse: bool = False, volblocksize=None) -> None:
        self.run(volume_create_argv(self.zfs, name, size, props, sparse=sparse, volblocksize=volblocksize))

    def clone(self, snapshot: str, name: str, props: dict) -> None:
        self.run(clone_argv(self.zfs, snapshot, name, props))

    def snapshot(self, names, *, recursive: bool = False, props=None) -> None:
        self.run(snapshot_argv(self.zfs, names, recursive=recursive, props=props))

    def set(self, name: str, props: dict) -> None:
        if props:
            self.run(set_argv(self.zfs, name, props))

    def destroy(self, name: str) -> None:
        self.run(destroy_argv(self.zfs, name))

    def rollback(self, snapshot: str, *, destroy_newer: bool = False) -> None:
        self.run(rollback_argv(self.zfs, snapshot, destroy_newer=destroy_newer))

    def rename(self, old: str, new: str) -> None:
        self.run(rename_argv(self.zfs, old, new))

    def promote(self, name: str) -> None:
        self.run(promote_argv(self.zfs, name))

    def mount(self, name: str) -> None:
        self.run([self.zfs, "mount", name])

    def unmount(self, name: str) -> None:
        self.run([self.zfs, "unmount", name])


def owned_by(props: dict, ctid: str) -> bool:
    return (props or {}).get(OWNER_PROP) == ctid


def require_owned(zfs: Zfs, name: str, ctid: str) -> None:
    props = zfs.get([name], [OWNER_PROP]).get(name)
    if props is not None and not owned_by(props, ctid):
        owner = props.get(OWNER_PROP) or "not set"
        raise VzStateError("dataset %s is not container %s's (its %s is %s)" % (name, ctid, OWNER_PROP, owner),
                           param="ctid", hint="vzkit never touches a dataset it did not make for this container")


__all__ = ["Zfs", "Snapshot", "validate_dataset", "validate_snapshot_name", "parse_get", "parse_names", "as_int",
           "get_argv", "list_argv", "create_argv", "volume_create_argv", "clone_argv", "snapshot_argv", "set_argv", "destroy_argv",
           "rollback_argv", "rename_argv", "promote_argv", "owned_by", "require_owned", "OWNER_PROP", "CACHE_PROP",
           "TAKEN_PROP"]
