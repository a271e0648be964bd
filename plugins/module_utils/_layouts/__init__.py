# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Layouts: where a container's files live. Private to vzkit.vz; may change in any release.

A layout implements ``exists``, ``create(template, unpack, finish)``, ``is_mounted``, ``mount``, ``umount``,
``destroy``, ``capabilities`` and ``enforces_diskspace(items)`` for a container's private area
(``VE_PRIVATE``) and root area (``VE_ROOT``). It knows nothing of cgroups or networking.
"""
from __future__ import annotations

from .._errors import VzConfigError
from ._simfs import SimfsLayout
from ._zfs import ZfsLayout
from ._zvol import ZvolLayout

LAYOUTS = {"simfs": SimfsLayout, "zfs": ZfsLayout, "zvol": ZvolLayout}


def get_layout(name: str, host, *, private: str, root: str, ctid: str, zfs_dataset=None, lock_dir=None, conf_dir=None):
    try:
        cls = LAYOUTS[name]
    except KeyError:
        raise VzConfigError("unknown layout %r" % name, param="layout",
                            hint="use one of: %s" % ", ".join(sorted(LAYOUTS)))
    if cls is ZvolLayout:
        return cls(host, private=private, root=root, ctid=ctid, zfs_dataset=zfs_dataset, lock_dir=lock_dir, conf_dir=conf_dir)
    if cls is ZfsLayout:
        return cls(host, private=private, root=root, ctid=ctid, zfs_dataset=zfs_dataset, lock_dir=lock_dir)
    return cls(host, private=private, root=root, ctid=ctid, conf_dir=conf_dir, lock_dir=lock_dir)


__all__ = ["LAYOUTS", "get_layout"]
