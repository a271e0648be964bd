# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unprivileged containers: allocate a host uid/gid range per container, shift a tree's ownership.

Private to vzkit.vz; may change in any release. OpenVZ heritage: ``LOCAL_UID``/``LOCAL_GID`` in
CTID.conf hold the first host uid/gid of the container's range (65536 ids); container uid N is host
uid LOCAL_UID+N. Ranges never overlap between containers.
"""
from __future__ import annotations

import os
import stat

from ._config import numbers_in_configs
from ._confine import IdMap
from ._errors import VzConfigError, VzStateError

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


def used_ranges(conf_dir: str, *, exclude: str) -> set:
    """First uids of the ranges other containers' configs hold."""
    return numbers_in_configs(conf_dir, "LOCAL_UID", exclude=exclude)


def allocate(conf_dir: str, ctid: str, base: int = DEFAULT_BASE) -> int:
    """The lowest free range start at or above base."""
    used = used_ranges(conf_dir, exclude=ctid)
    start = base
    while any(u < start + RANGE and start < u + RANGE for u in used):
        start += RANGE
    return start


def shift_tree(path: str, old: IdMap, new: IdMap) -> int:
    """Move every owner in the tree from old's host range to new's; return how many entries changed.

    Links are changed themselves (lchown), never followed; the walk stays on one filesystem.
    chown clears setuid/setgid bits, so they are put back. Ids beyond the new range are refused.
    """
    if old == new:
        return 0
    dev = os.lstat(path).st_dev
    changed = 0
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if os.lstat(os.path.join(root, d)).st_dev == dev]
        for name in [None] + dirs + files if root == path else dirs + files:
            full = root if name is None else os.path.join(root, name)
            st = os.lstat(full)
            uid, gid = _move(st.st_uid, old.first_uid, new.first_uid, new.count), _move(st.st_gid, old.first_gid, new.first_gid, new.count)
            if (uid, gid) == (st.st_uid, st.st_gid):
                continue
            os.lchown(full, uid, gid)
            if stat.S_ISREG(st.st_mode) and st.st_mode & (stat.S_ISUID | stat.S_ISGID):
                os.chmod(full, stat.S_IMODE(st.st_mode))
            changed += 1
    return changed


def _move(host_id: int, old_first: int, new_first: int, new_count: int) -> int:
    inner = host_id - old_first
    if inner < 0:
        raise VzStateError("owner %d in the tree is below its id range starting at %d" % (host_id, old_first),
                           hint="the tree holds files of another owner; fix them before changing unprivileged")
    if inner >= new_count:
        raise VzStateError("owner %d (container id %d) does not fit a range of %d ids" % (host_id, inner, new_count),
                           hint="a container uses ids below 65536 when unprivileged")
    return new_first + inner


__all__ = ["RANGE", "DEFAULT_BASE", "idmap_of", "used_ranges", "allocate", "shift_tree"]
