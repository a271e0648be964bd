# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kernel headers' own bytes and numbers (fixtures/quota-structs.txt), for the struct and ioctl tests."""
from __future__ import annotations

import os

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def _load() -> dict:
    with open(os.path.join(FIXTURES, "quota-structs.txt"), encoding="ascii") as fh:
        return dict(line.split() for line in fh if line.strip() and not line.startswith("#"))


KERNEL = _load()
