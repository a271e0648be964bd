# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which project id a simfs container's private area gets (``DISK_PROJID`` in its CTID.conf).

Private to vzkit.vz; may change in any release.

An id is free when no container's config records it, ``/etc/projid`` does not name it, no directory
next to the private area carries it, and the filesystem keeps no quota record of it. The directories
next to the private area are the reservation that counts: a new container's empty directory is tagged
under a host-wide lock before its template is unpacked, so two containers created at once never share
an id, even before either has written its config.
"""
from __future__ import annotations

import os
import re

from .._config import numbers_in_configs
from .._lock import host_lock
from . import _kernel as kernel
from . import _tags as tags

KEY = "DISK_PROJID"
LOCK_NAME = ".vzkit-projid"
PROJID_BASE = 100000  # ids allocated for containers whose ctid is not a usable number
_PROJID_LINE = re.compile(r"^[^#:\s][^:]*:\s*(\d+)\s*$")


def parse_etc_projid(text: str) -> set:
    """Ids named in /etc/projid (``name:id`` lines)."""
    return {int(m.group(1)) for m in map(_PROJID_LINE.match, text.splitlines()) if m}


def recorded(conf_dir: str, *, skip: str) -> set:
    """Ids in other containers' configs."""
    return numbers_in_configs(conf_dir, KEY, exclude=skip)


def on_siblings(private: str, *, own) -> set:
    """Ids the directories next to the private area carry (other containers, and their partial ones)."""
    parent = os.path.dirname(private)
    out = set()
    try:
        names = os.listdir(parent)
    except OSError:
        return out
    for name in names:
        path = os.path.join(parent, name)
        if path in own or os.path.islink(path) or not os.path.isdir(path):
            continue
        try:
            projid, _inherit = tags.projid_of(path)
        except OSError:
            continue
        if projid:
            out.add(projid)
    return out


def choose_projid(ctid: str, taken) -> int:
    """The container's project id: its ctid when that is a free number (vzquota's convention), else the
    lowest free id from PROJID_BASE."""
    taken = set(taken)
    if ctid.isdigit() and 0 < int(ctid) <= kernel.MAX_ID and int(ctid) not in taken:
        return int(ctid)
    candidate = PROJID_BASE
    while candidate in taken:
        candidate += 1
    return candidate


def taken(private: str, ctid: str, conf_dir: str, *, own) -> set:
    out = recorded(conf_dir, skip=ctid) | on_siblings(private, own=own)
    try:
        with open("/etc/projid", encoding="utf-8") as fh:
            out |= parse_etc_projid(fh.read())
    except OSError:
        pass
    try:
        out |= kernel.ids_in_use(os.path.dirname(private))
    except OSError:
        pass  # the filesystem keeps no quota records (xfs without pquota): the other sources still count
    return out - {0}


def choose(private: str, ctid: str, conf_dir: str, *, own, current: int = 0) -> int:
    """The id for the container: the one its tree already carries when no one else has it, else its
    ctid when that is a free number, else the lowest free id from PROJID_BASE."""
    used = taken(private, ctid, conf_dir, own=own)
    if current and current not in used:
        return current
    return choose_projid(ctid, used)


def locked(lock_dir: str):
    """The host-wide lock of project id choice."""
    return host_lock(lock_dir, LOCK_NAME)


def claim(directory: str, private: str, ctid: str, conf_dir: str, lock_dir: str, *, wanted: int) -> int:
    """Tag a new, empty directory with a free id (wanted, when it is still free), under the host-wide lock."""
    with locked(lock_dir):
        used = taken(private, ctid, conf_dir, own=(private, directory))
        projid = wanted if wanted not in used else choose_projid(ctid, used)
        tags.tag_dir(directory, projid)
    return projid


__all__ = ["KEY", "PROJID_BASE", "choose_projid", "parse_etc_projid", "recorded", "on_siblings", "taken", "choose", "claim", "locked"]
