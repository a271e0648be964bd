# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OpenVZ value syntax: sizes with K/M/G/T/P suffixes, ``barrier:limit`` pairs, ``unlimited``.

Private to vzkit.vz; may change in any release. Pure functions only: nothing here touches the system.
"""
from __future__ import annotations

import re

from ._errors import VzConfigError

# OpenVZ counts "pages" in 4 KiB units regardless of the host's page size (x86 heritage);
# configs written on one host must mean the same on another.
PAGE_SIZE = 4096
# Values old configs use for "no limit": LONG_MAX on 64-bit hosts and on 32-bit hosts.
UNLIMITED_VALUES = (9223372036854775807, 2147483647)
UNLIMITED = None

_SUFFIX = {"": 1, "B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4, "P": PAGE_SIZE}
_NUMBER = re.compile(r"^\s*(\d+)\s*([BKMGTP]?)\s*$", re.IGNORECASE)

# How a bare number (no suffix) is read for each family of keys.
UNIT_BYTES = 1
UNIT_KBYTES = 1024
UNIT_PAGES = PAGE_SIZE
UNIT_COUNT = 0  # plain counts: no suffixes allowed


def parse_size(text, *, unit: int = UNIT_BYTES, param: str = "value"):
    """Parse one OpenVZ number into bytes (or a count); ``unlimited`` and LONG_MAX give None."""
    raw = str(text).strip()
    if raw.lower() == "unlimited":
        return UNLIMITED
    m = _NUMBER.match(raw)
    if not m or (unit == UNIT_COUNT and m.group(2)):
        if unit == UNIT_COUNT:
            raise VzConfigError("%s is not a count" % raw, param=param,
                                hint="use a whole number or 'unlimited'")
        raise VzConfigError("%s is not a size" % raw, param=param,
                            hint="use a number with K, M, G, T or P (pages), or 'unlimited'")
    number = int(m.group(1))
    if number in UNLIMITED_VALUES:
        return UNLIMITED
    if unit == UNIT_COUNT:
        return number
    suffix = m.group(2).upper()
    return number * (_SUFFIX[suffix] if suffix else unit)


def parse_pair(text, *, unit: int = UNIT_BYTES, param: str = "value"):
    """Parse ``barrier:limit`` (or a single value, used for both) into a (barrier, limit) tuple."""
    raw = str(text).strip()
    parts = raw.split(":")
    if len(parts) > 2 or not all(p.strip() for p in parts):
        raise VzConfigError("%s is not a value or barrier:limit pair" % raw, param=param,
                            hint="write it as VALUE or BARRIER:LIMIT, e.g. 512M or 65:65")
    barrier = parse_size(parts[0], unit=unit, param=param)
    limit = parse_size(parts[-1], unit=unit, param=param)
    if limit is not None and (barrier is None or barrier > limit):
        raise VzConfigError("barrier %s is above limit %s" % (parts[0], parts[-1]), param=param,
                            hint="the barrier (first number) must not exceed the limit (second)")
    return barrier, limit


def format_size(value, *, unit: int = UNIT_BYTES) -> str:
    """Render bytes back into the shortest exact OpenVZ notation (``unlimited`` for None)."""
    if value is None:
        return "unlimited"
    if unit == UNIT_COUNT or value == 0:
        return str(value)
    for suffix in ("T", "G", "M", "K"):
        factor = _SUFFIX[suffix]
        if value and value % factor == 0:
            return "%d%s" % (value // factor, suffix)
    # A bare number would be read in the key's own unit (pages, KiB): say bytes explicitly.
    return str(value) if unit == UNIT_BYTES else "%dB" % value


def format_pair(barrier, limit, *, unit: int = UNIT_BYTES) -> str:
    return "%s:%s" % (format_size(barrier, unit=unit), format_size(limit, unit=unit))


__all__ = ["PAGE_SIZE", "UNLIMITED", "UNIT_BYTES", "UNIT_KBYTES", "UNIT_PAGES", "UNIT_COUNT",
           "parse_size", "parse_pair", "format_size", "format_pair"]
