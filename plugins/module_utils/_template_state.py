# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Template caches as a state machine (vz_template): plan, then build, import or remove.

Private to vzkit.vz; may change in any release. A cache only ever appears complete: the tree is
built in ``.NAME.vzkit-build``, packed to ``NAME.tar.EXT.partial``, its metadata written, and only
then renamed into place. A run killed at any point leaves only dot- or .partial-named files, which
the next run of the same name removes.
"""
from __future__ import annotations

import os
import re
import shutil

from . import _templates as t
from ._config import VzGlobals
from ._errors import VzCommandError, VzStateError
from ._converge import Planned, Report, converge
from ._lock import host_lock


def ensure_template(spec: t.TemplateSpec, host, vz_conf: str, *, diff: bool = False) -> dict:
    globals_ = VzGlobals.load(vz_conf)
    tdir = globals_.get("TEMPLATE")
    return converge(host, lambda: planned(spec, host, tdir, globals_.get("LOCKDIR")), noun="template", diff=diff)


def planned(spec: t.TemplateSpec, host, tdir: str, lock_dir: str) -> Planned:
    """The cache's plan. Only a run that changes it takes the template's lock (a run that changes nothing
    leaves the host as it was, lock directory included); the build starts over from a clean state
    under it. The lock keeps no state: its file goes on release, and waiters retry on a new one."""
    current = t.describe(tdir, spec.name)
    actions = _plan(spec, host, tdir, current)

    def apply():
        with host_lock(lock_dir, "template-" + spec.name):
            _apply(spec, host, tdir, actions)

    def report(applied: bool) -> Report:
        after = t.describe(tdir, spec.name) if applied else _predict(spec, tdir, current, actions)
        return Report(after or {"name": spec.name, "path": None},
                      diff={"before": _state(current), "after": _state(after)})
    return Planned(actions, apply, report)


def _state(cache) -> dict:
    return {"state": "present" if cache and cache.get("path") else "absent", "path": (cache or {}).get("path"),
            "checksum": (cache or {}).get("checksum")}


def _plan(spec, host, tdir: str, current) -> list:
    leftovers = t.leftovers(tdir, spec.name)
    if spec.state == "absent":
        if current or leftovers:
            return ["remove template cache %s" % spec.name]
        return []
    if current and not spec.force:
        return ["remove leftovers of an interrupted build"] if leftovers else []
    if spec.source == "debootstrap":
        host.bin("debootstrap")
        t.check_suite(spec.suite)
        what = "debootstrap %s (%s%s) from %s" % (spec.suite, spec.variant,
                                                  "".join(", " + p for p in spec.packages), spec.mirror)
    elif spec.source == "directory":
        if not os.path.isdir(spec.path):
            raise VzStateError("%s is not a directory" % spec.path, param="path", hint="give the root directory to pack")
        t.check_tree(spec.path)
        what = "pack the tree %s" % spec.path
    else:
        if not os.path.isfile(spec.path):
            raise VzStateError("%s is not a file" % spec.path, param="path", hint="give the tarball to import")
        what = "import the tarball %s" % spec.path
    return ["%s template cache %s: %s, %s" % ("rebuild" if current else "build", spec.name, what, spec.compression)]


def _predict(spec, tdir, current, actions):
    if not actions:
        return current
    if spec.state == "absent":
        return None
    ext = t.COMPRESSORS[spec.compression][1]
    return {"name": spec.name, "path": os.path.join(tdir, "cache", spec.name + ext), "size": None,
            "format": spec.compression, "checksum": None, "metadata": {}}


def _remove(paths) -> None:
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)  # fd-based on Linux: links inside are removed, never followed
        elif os.path.lexists(path):
            os.unlink(path)


def _apply(spec, host, tdir: str, actions) -> None:
    _remove(t.leftovers(tdir, spec.name))
    if spec.state == "absent":
        _remove(t.cache_files(tdir, spec.name) + [t.meta_path(tdir, spec.name)])
        return
    if actions == ["remove leftovers of an interrupted build"]:
        return
    cache_dir = os.path.join(tdir, "cache")
    os.makedirs(cache_dir, mode=0o755, exist_ok=True)
    work = os.path.join(cache_dir, ".%s.vzkit-build" % spec.name)
    final = os.path.join(cache_dir, spec.name + t.COMPRESSORS[spec.compression][1])
    partial = final + ".partial"
    try:
        tree, arch = _make_tree(spec, host, work)
        host.run(t.pack_argv(host.bin("tar"), tree, partial, spec.compression))
        checksum = t.sha256_of(partial)
        host.atomic_write(t.meta_path(tdir, spec.name),
                          t.metadata(spec, arch=arch, tree=tree, checksum=checksum, size=os.path.getsize(partial)), 0o644)
        _remove([f for f in t.cache_files(tdir, spec.name) if f != final])  # a rebuild in another format
        os.rename(partial, final)  # the cache appears only now, complete
    finally:
        _remove([work, partial])


def _make_tree(spec, host, work: str) -> tuple:
    """The root tree to pack, and its dpkg architecture."""
    arch = spec.arch or host.run([host.bin("dpkg"), "--print-architecture"]).stdout.strip()
    if spec.source == "directory":
        return spec.path, arch
    os.mkdir(work, 0o755)
    if spec.source == "debootstrap":
        try:
            host.run(t.debootstrap_argv(host.bin("debootstrap"), spec, work, arch))
        except VzCommandError as exc:
            out = "%s %s" % (exc.details.get("stdout", ""), exc.details.get("stderr", ""))
            if re.search(r"Failed getting release file|Couldn't download|Couldn't resolve|Connection refused|release signed", out):
                raise VzCommandError(exc.details["cmd"], exc.details["rc"], exc.details.get("stdout", ""),
                                     exc.details.get("stderr", ""), param="mirror",
                                     hint="check that %s is reachable from this host and serves suite %s" % (spec.mirror, spec.suite))
            raise
        for sub in ("var/cache/apt/archives", "var/lib/apt/lists"):  # downloaded packages and indexes
            directory = os.path.join(work, sub)
            if os.path.isdir(directory):
                _remove([os.path.join(directory, n) for n in os.listdir(directory) if n not in ("partial", "lock")])
    else:
        host.run([host.bin("tar"), "--extract", "--file", spec.path, "--directory", work, "--numeric-owner",
                  "--preserve-permissions", "--same-owner", "--acls", "--xattrs", "--xattrs-include=*"])
        t.check_tree(work)
    t.reset_identity(work)
    return work, arch


def template_info(vz_conf: str) -> list:
    return t.list_caches(VzGlobals.load(vz_conf).get("TEMPLATE"))


__all__ = ["ensure_template", "template_info"]
