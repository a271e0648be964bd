# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What vz_quota is asked: the request, checked and normalised. Private to vzkit.vz; may change in any release.

``DISKSPACE`` is OpenVZ's syntax (1K blocks unless a suffix is given, ``barrier:limit``); users and
groups are names from the container's own files, or numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import _units as units
from .._config import DEFAULT_VZ_CONF
from .._errors import VzConfigError
from .._spec import validate_ctid


def parse_diskspace(text, *, param: str = "diskspace"):
    """OpenVZ DISKSPACE -> (barrier, limit) in bytes (None: unlimited); bare numbers are 1K blocks."""
    barrier, limit = units.parse_pair(str(text), unit=units.UNIT_KBYTES, param=param)
    if limit == 0:
        raise VzConfigError("a limit of 0 would allow no data at all", param=param,
                            hint="give a size, or unlimited to remove the quota")
    if barrier is not None and limit is not None and barrier > limit:
        raise VzConfigError("barrier %s is above limit %s" % (barrier, limit), param=param,
                            hint="give BARRIER:LIMIT with the barrier at or below the limit")
    return barrier, limit


def _size_or_none(value, *, param: str):
    if value in (None, "none", "unlimited", 0, "0"):
        return None
    size = units.parse_size(str(value), unit=units.UNIT_BYTES, param=param)
    return size or None


@dataclass(frozen=True)
class Entry:
    name: str
    quota: int | None  # bytes; None removes the quota


@dataclass(frozen=True)
class QuotaSpec:
    ctid: str
    diskspace: tuple | None = None      # (barrier, limit) bytes, or None (leave as is)
    diskspace_text: str | None = None
    diskinodes: str | None = None
    quotatime: str | None = None
    refreservation: bool | None = None
    users: tuple = ()
    groups: tuple = ()
    vz_conf: str = DEFAULT_VZ_CONF

    @classmethod
    def from_params(cls, p: dict) -> "QuotaSpec":
        diskspace = p.get("diskspace")
        parsed = parse_diskspace(diskspace) if diskspace is not None else None
        diskinodes = p.get("diskinodes")
        if diskinodes is not None:
            units.parse_pair(str(diskinodes), unit=units.UNIT_COUNT, param="diskinodes")
        quotatime = p.get("quotatime")
        if quotatime is not None and not str(quotatime).isdigit():
            raise VzConfigError("%r is not a number of seconds" % quotatime, param="quotatime",
                                hint="give the grace time in seconds, e.g. 604800 for a week (0: the kernel's default)")
        entries = {}
        for kind in ("users", "groups"):
            out, seen = [], set()
            for i, e in enumerate(p.get(kind) or ()):
                name = str(e.get("name") or "").strip()
                if not name or ":" in name or "\n" in name:
                    raise VzConfigError("%r is not a %s name or id" % (name, kind[:-1]), param="%s[%d].name" % (kind, i),
                                        hint="give a name from the container's own %s, or a number"
                                             % ("/etc/passwd" if kind == "users" else "/etc/group"))
                if name in seen:
                    raise VzConfigError("%s is listed twice" % name, param="%s[%d].name" % (kind, i), hint="list each once")
                seen.add(name)
                out.append(Entry(name, _size_or_none(e.get("quota"), param="%s[%d].quota" % (kind, i))))
            entries[kind] = tuple(out)
        text = units.format_pair(*parsed) if parsed else None
        return cls(ctid=validate_ctid(p.get("ctid")), diskspace=parsed, diskspace_text=text,
                   diskinodes=str(diskinodes) if diskinodes is not None else None,
                   quotatime=str(quotatime) if quotatime is not None else None,
                   refreservation=p.get("refreservation"), users=entries["users"], groups=entries["groups"],
                   vz_conf=p.get("vz_conf") or DEFAULT_VZ_CONF)


def stored_not_enforced(spec, conf_path: str, *, inodes: str, grace: str, limit: str) -> list:
    """Warnings for what a layout's quota stores in CTID.conf but cannot enforce: DISKINODES and QUOTATIME
    (with the layout's reason), and DISKSPACE's barrier (``limit`` says what the limit is, given its size)."""
    out = []
    if spec.diskinodes is not None:
        out.append("`diskinodes`: stored in %s, not enforced: %s" % (conf_path, inodes))
    if spec.quotatime is not None:
        out.append("`quotatime`: stored in %s, not enforced: %s" % (conf_path, grace))
    if spec.diskspace is not None and spec.diskspace[0] != spec.diskspace[1]:
        out.append("`diskspace`: the barrier %s is stored, not enforced: %s"
                   % (units.format_size(spec.diskspace[0]), limit % units.format_size(spec.diskspace[1])))
    return out


__all__ = ["QuotaSpec", "Entry", "parse_diskspace", "stored_not_enforced"]
