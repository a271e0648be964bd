# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Layouts: where a container's files live. Private to vzkit.vz; may change in any release.

Every layout is a ``_base.Layout``: declared ``capabilities`` and the operations the runtime calls on a
container's private area (``VE_PRIVATE``) and root area (``VE_ROOT``). The runtime never tests a layout's
name; a new layout is a new file here, listed in ``LAYOUTS``.
"""
from __future__ import annotations

from .._errors import VzConfigError
from ._base import Capabilities, Layout

# A layout's module is imported when a container of that layout is met (a module call compiles only what
# its request needs: see _container/__init__.py), so the names are listed here, the classes in layout_class.
LAYOUTS = ("simfs", "zfs", "zvol")


def layout_class(name: str):
    """The class of the layout called name."""
    if name == "simfs":
        from ._simfs import SimfsLayout
        return SimfsLayout
    if name == "zfs":
        from ._zfs import ZfsLayout
        return ZfsLayout
    if name == "zvol":
        from ._zvol import ZvolLayout
        return ZvolLayout
    raise VzConfigError("unknown layout %r" % name, param="layout", hint="use one of: %s" % ", ".join(sorted(LAYOUTS)))


def get_layout(name: str, host, **where):
    """The layout called name for one container (where: private, root, ctid, zfs_dataset, lock_dir, conf_dir)."""
    return layout_class(name)(host, **where)


__all__ = ["LAYOUTS", "Capabilities", "Layout", "get_layout", "layout_class"]
