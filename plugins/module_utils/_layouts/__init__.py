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
from ._simfs import SimfsLayout
from ._zfs import ZfsLayout
from ._zvol import ZvolLayout

LAYOUTS = {"simfs": SimfsLayout, "zfs": ZfsLayout, "zvol": ZvolLayout}


def get_layout(name: str, host, **where):
    """The layout called name for one container (where: private, root, ctid, zfs_dataset, lock_dir, conf_dir)."""
    try:
        cls = LAYOUTS[name]
    except KeyError:
        raise VzConfigError("unknown layout %r" % name, param="layout",
                            hint="use one of: %s" % ", ".join(sorted(LAYOUTS)))
    return cls(host, **where)


__all__ = ["LAYOUTS", "Capabilities", "Layout", "get_layout"]
