# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Layouts: where a container's files live. Private to vzkit.vz; may change in any release.

A layout implements ``exists``, ``create(populate)``, ``is_mounted``, ``mount``, ``umount``,
``destroy`` and ``capabilities`` for a container's private area (``VE_PRIVATE``) and root area
(``VE_ROOT``). It knows nothing of cgroups or networking.
"""
from __future__ import annotations

from .._errors import VzConfigError
from ._simfs import SimfsLayout

LAYOUTS = {"simfs": SimfsLayout}


def get_layout(name: str, host, *, private: str, root: str, ctid: str):
    try:
        cls = LAYOUTS[name]
    except KeyError:
        raise VzConfigError("unknown layout %r" % name, param="layout",
                            hint="use one of: %s" % ", ".join(sorted(LAYOUTS)))
    return cls(host, private=private, root=root, ctid=ctid)


__all__ = ["LAYOUTS", "get_layout"]
