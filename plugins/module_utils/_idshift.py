# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unprivileged containers: allocate a host uid/gid range per container, shift a tree's ownership.

Private to vzkit.vz; may change in any release. OpenVZ heritage: ``LOCAL_UID``/``LOCAL_GID`` in
CTID.conf hold the first host uid/gid of the container's range (65536 ids); container uid N is host
uid LOCAL_UID+N. Ranges never overlap between containers: a range is claimed under a host-wide lock
(``LOCKDIR/.vzkit-ids``) and recorded (``LOCKDIR/.vzkit-idranges/CTID``) before the container's config
exists, and every config and claim is checked before a range is given out.
"""
from __future__ import annotations

import os
import stat

from ._config import ctids_in, read_conf
from ._confine import IdMap
from ._errors import VzConfigError, VzStateError
from ._lock import host_lock

RANGE = 65536
DEFAULT_BASE = 100000  # above the host's own users and the usual /etc/subuid start


def idmap_of(items: dict) -> IdMap:
    """The container's user namespace mapping from its config: shifted, or identity."""
    uid, gid = items.get("LOCAL_UID"), items.get("LOCAL_GID")
    if not uid and not gid:
        return IdMap()
    if not (uid or "").isdigit() or not (gid or uid).isdigit():  # isdigit: no sign, no blanks
        raise VzConfigError("LOCAL_UID %r / LOCAL_GID %r are not host ids" % (uid, gid), param="unprivileged",
                            hint="set both to the first host id of the range (a number), or remove both")
    return IdMap(int(uid), int(gid or uid), RANGE)


RESERVATIONS = ".vzkit-idranges"  # LOCKDIR/.vzkit-idranges/CTID: a range claimed before its config is written
LOCK_NAME = ".vzkit-ids"


def _reservations(lock_dir: str) -> dict:
    """ctid -> first id of each range claimed under the host-wide lock."""
    out = {}
    folder = os.path.join(lock_dir, RESERVATIONS)
    try:
        names = os.listdir(folder)
    except OSError:
        return out
    for name in names:
        try:
            with open(os.path.join(folder, name), encoding="ascii") as fh:
                text = fh.read().strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text.isdigit():
            out[name] = int(text)
    return out


# config path -> (its identity when read, its IdMap or None): every container's range is read to place or
# check one, so a config is parsed again only when it changed (a fleet's workers inherit this, warm).
_READ = {}


def _range_in(path: str):
    """The shifted IdMap a container's config holds, or None (identity, broken, unreadable, gone)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (st.st_ino, st.st_mtime_ns, st.st_size)  # (configs are replaced by a rename: a new inode)
    if path in _READ and _READ[path][0] == key:
        return _READ[path][1]
    try:
        conf = read_conf(path)
        idmap = idmap_of(conf.items()) if conf is not None else None
    except (OSError, UnicodeDecodeError, VzConfigError):  # a broken LOCAL_UID is that container's own error
        idmap = None
    idmap = idmap if idmap is not None and idmap.shifted else None
    _READ[path] = (key, idmap)
    return idmap


def ranges(conf_dir: str, lock_dir: str | None = None, *, exclude: str | None = None) -> dict:
    """ctid -> IdMap of every shifted container (configs, then claims not yet in a config), but exclude's."""
    out = {}
    for ctid in ctids_in(conf_dir):
        idmap = _range_in(os.path.join(conf_dir, ctid + ".conf")) if ctid != exclude else None
        if idmap is not None:
            out[ctid] = idmap
    for ctid, first in (_reservations(lock_dir) if lock_dir else {}).items():
        if ctid != exclude and ctid not in out:
            out[ctid] = IdMap(first, first, RANGE)
    return out


def overlap(a: IdMap, b: IdMap) -> bool:
    return (a.first_uid < b.first_uid + b.count and b.first_uid < a.first_uid + a.count) or \
        (a.first_gid < b.first_gid + b.count and b.first_gid < a.first_gid + a.count)


def overlapping(idmap: IdMap, conf_dir: str, *, ctid: str) -> list:
    """The other containers whose shifted id range shares ids with idmap (identity maps share by choice)."""
    if not idmap.shifted:
        return []
    return sorted(other for other, theirs in ranges(conf_dir, exclude=ctid).items() if overlap(idmap, theirs))


def allocate(conf_dir: str, ctid: str, base: int = DEFAULT_BASE, *, lock_dir: str | None = None,
             wanted: int | None = None) -> int:
    """The range start to use: wanted when it is free, else the lowest free one at or above base."""
    used = list(ranges(conf_dir, lock_dir, exclude=ctid).values())
    if wanted is not None and not any(overlap(IdMap(wanted, wanted, RANGE), u) for u in used):
        return wanted
    start = base
    while any(overlap(IdMap(start, start, RANGE), u) for u in used):
        start += RANGE
    return start


def claim(conf_dir: str, lock_dir: str, ctid: str, *, base: int, wanted: int | None = None) -> int:
    """Allocate a range and record the claim, under the host-wide lock: runs creating containers at the
    same time each see the others' claims before their configs exist, so no two get the same ids."""
    with host_lock(lock_dir, LOCK_NAME):
        first = allocate(conf_dir, ctid, base, lock_dir=lock_dir, wanted=wanted)
        folder = os.path.join(lock_dir, RESERVATIONS)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        tmp = os.path.join(folder, ".%s.tmp" % ctid)
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write("%d\n" % first)
        os.replace(tmp, os.path.join(folder, ctid))
    return first


def release(lock_dir: str, ctid: str) -> None:
    """Drop the container's claim (destroyed, or back to the identity map); the folder goes with the last."""
    folder = os.path.join(lock_dir, RESERVATIONS)
    if not os.path.exists(os.path.join(folder, ctid)):
        return
    with host_lock(lock_dir, LOCK_NAME):  # a claim may be making the folder again
        try:
            os.unlink(os.path.join(folder, ctid))
            os.rmdir(folder)
        except OSError:
            pass  # already gone, or other claims remain


def shift_tree(path: str, old: IdMap, new: IdMap, *, keep_foreign: bool = False) -> int:
    """Move every owner in the tree from old's host range to new's; return how many entries changed.

    Links are changed themselves (lchown), never followed; the walk stays on one filesystem. A file with
    several names (hard links: Debian has hundreds) is moved once, at its first name. chown clears
    setuid/setgid bits, so they are put back. Ids outside the old range are refused, or with keep_foreign
    (a restore, which reproduces the tree as it was) kept as they are: the container sees them as nobody.
    """
    if old == new:
        return 0
    dev = os.lstat(path).st_dev
    changed, seen = 0, set()
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if os.lstat(os.path.join(root, d)).st_dev == dev]
        for name in [None] + dirs + files if root == path else dirs + files:
            full = root if name is None else os.path.join(root, name)
            st = os.lstat(full)
            if st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode):
                if st.st_ino in seen:
                    continue
                seen.add(st.st_ino)
            uid = _move(st.st_uid, old.first_uid, new.first_uid, new.count, keep_foreign)
            gid = _move(st.st_gid, old.first_gid, new.first_gid, new.count, keep_foreign)
            if (uid, gid) == (st.st_uid, st.st_gid):
                continue
            os.lchown(full, uid, gid)
            if stat.S_ISREG(st.st_mode) and st.st_mode & (stat.S_ISUID | stat.S_ISGID):
                os.chmod(full, stat.S_IMODE(st.st_mode))
            changed += 1
    return changed


def _move(host_id: int, old_first: int, new_first: int, new_count: int, keep_foreign: bool = False) -> int:
    inner = host_id - old_first
    if keep_foreign and not 0 <= inner < new_count:
        return host_id
    if inner < 0:
        raise VzStateError("owner %d in the tree is below its id range starting at %d" % (host_id, old_first),
                           hint="the tree holds files of another owner; fix them before changing unprivileged")
    if inner >= new_count:
        raise VzStateError("owner %d (container id %d) does not fit a range of %d ids" % (host_id, inner, new_count),
                           hint="a container uses ids below 65536 when unprivileged")
    return new_first + inner


__all__ = ["RANGE", "DEFAULT_BASE", "idmap_of", "ranges", "overlap", "overlapping", "allocate", "claim", "release", "shift_tree"]
