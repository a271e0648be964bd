# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The users and groups of second-level quota: names resolved in the container's own files, mapped to
host ids, and listed with their figures. Shared by the zfs and zvol layouts. Private to vzkit.vz; may
change in any release."""
from __future__ import annotations

from .. import _idshift as idshift
from .. import _mounts as mounts
from .._errors import VzConfigError


def read_ids(private: str, relpath: str) -> dict:
    """name -> id from a passwd or group file inside the container's tree (links resolved inside)."""
    text = mounts.read_in_root(private, relpath) or ""
    out = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue  # a comment, as glibc reads these files
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit():
            out.setdefault(fields[0], int(fields[2]))
    return out


def resolve(entry, ids: dict, *, param: str, host_id) -> tuple:
    """(container id, host id) of a user or group entry (anything with a ``name``)."""
    if entry.name.isdigit():
        inner = int(entry.name)
    elif entry.name in ids:
        inner = ids[entry.name]
    else:
        raise VzConfigError("no %s in the container" % entry.name, param=param,
                            hint="names are looked up in the container's own files; create it there first, or give a number")
    return inner, host_id(inner)


def resolve_wanted(spec, private: str, conf) -> tuple:
    """(id map, the container's users, its groups, {"user": [(entry, id, host id)], "group": [...]})."""
    idmap = idshift.idmap_of(conf.items())
    users = read_ids(private, "etc/passwd")
    groups = read_ids(private, "etc/group")
    wanted = {"user": [(e,) + resolve(e, users, param="users[%d].name" % i, host_id=idmap.host_uid)
                       for i, e in enumerate(spec.users)],
              "group": [(e,) + resolve(e, groups, param="groups[%d].name" % i, host_id=idmap.host_gid)
                        for i, e in enumerate(spec.groups)]}
    return idmap, users, groups, wanted


def listing(names: dict, host_id, read) -> list:
    """The named users or groups that have a quota or use space, by id inside: names maps name -> id
    inside, read(host id) -> (quota in bytes or None/0, bytes used)."""
    out = []
    for name, inner in sorted(names.items(), key=lambda t: t[1]):
        h = host_id(inner)
        quota, used = read(h)
        if quota or used:
            out.append({"name": name, "id": inner, "host_id": h, "quota": quota or None, "used": used or 0})
    return out


__all__ = ["read_ids", "resolve", "resolve_wanted", "listing"]
