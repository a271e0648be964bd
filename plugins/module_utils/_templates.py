# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OS template caches: find ``TEMPLATE/cache/NAME.tar.{zst,xz,gz}`` and unpack one.

Private to vzkit.vz; may change in any release.
"""
from __future__ import annotations

import os
import re

from ._errors import VzConfigError

# Searched in this order when several caches of one name exist.
EXTENSIONS = ((".tar.zst", "--zstd"), (".tar.xz", "--xz"), (".tar.gz", "--gzip"), (".tar", None))
NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")  # used with fullmatch


def validate_name(name: str, *, param: str = "ostemplate") -> None:
    if not NAME_RE.fullmatch(name or "") or ".." in name:
        raise VzConfigError("%r is not a template name" % name, param=param,
                            hint="use a cache name such as debian-12-x86_64-minimal (no '/', not starting with '.')")


def find_cache(template_dir: str, name: str, *, param: str = "ostemplate") -> str:
    validate_name(name, param=param)
    cache_dir = os.path.join(template_dir, "cache")
    for ext, _flag in EXTENSIONS:
        path = os.path.join(cache_dir, name + ext)
        if os.path.isfile(path):
            return path
    available = sorted({n.split(".tar")[0] for n in _listdir(cache_dir) if ".tar" in n})
    raise VzConfigError("template %r not found in %s" % (name, cache_dir), param=param,
                        hint="build it first, or use one of: %s" % (", ".join(available) or "(none cached)"))


def _listdir(path: str) -> list:
    try:
        return os.listdir(path)
    except OSError:
        return []


def unpack_argv(*, setpriv: str, tar: str, cache: str, dest: str) -> list:
    """The tar command that unpacks a cache with owners, modes, device nodes, ACLs and xattrs.

    setpriv --pdeathsig KILL ties tar's life to ours: if this run is killed part-way, tar stops too
    instead of writing on into a directory the next run is about to remove.
    """
    flag = next((f for ext, f in EXTENSIONS if cache.endswith(ext)), None)
    argv = [setpriv, "--pdeathsig", "KILL", "--", tar, "--extract", "--file", cache, "--directory", dest,
            "--numeric-owner", "--preserve-permissions", "--same-owner", "--acls", "--xattrs",
            "--xattrs-include=*"]
    if flag:
        argv.append(flag)
    return argv


__all__ = ["EXTENSIONS", "validate_name", "find_cache", "unpack_argv"]
