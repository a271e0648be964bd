# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A container made of another's files and config: a restore (vz_restore) or a migration's arrival.

Private to vzkit.vz; may change in any release. The config keeps what the source had but for what is this
host's own (paths, layout keys, project id); an unprivileged container gets an id range here (the one
asked for when free) and its files are shifted to it, ids outside its old range kept as they are (a
file the source host's root put there). The config is written just before the private area is renamed
into place; a failure removes the config, the id claim and - through the layout - the partial area.
"""
from __future__ import annotations

import os

from .. import _idshift as idshift
from .. import _templates as templates
from .._config import ConfFile
from .._confine import IdMap

HOST_KEYS = ("VE_ZFS_DATASET", "DISK_PROJID")  # replaced by this host's own (layout keys, vz_quota)


def local_conf(source: ConfFile, ctx) -> ConfFile:
    """source's config with this host's paths and layout keys."""
    new = source.copy()
    new.set("VE_ROOT", ctx.root)
    new.set("VE_PRIVATE", ctx.private)
    new.set("VE_LAYOUT", ctx.layout.name)
    for key in HOST_KEYS:
        new.unset(key)
    for key, value in ctx.layout.creation_keys(zvol={}, disk_quota=False).items():  # its dataset's parent (zfs)
        new.set(key, value)
    return new


def arrive(ctx, source: ConfFile, conf: ConfFile, make, *, wanted_ids=None, reset_identity: bool = False,
           claimed: bool = False) -> None:
    """Make the container: make(finish, items) fills the partial area and calls finish(directory) before
    the rename (the layout's create_from or adopt_partial). conf is the config to write; its id range is
    claimed here (wanted_ids first) unless claimed (a finish cut short wrote it already)."""
    g = ctx.globals
    old_map = idshift.idmap_of(source.items())
    lock_dir = g.get("LOCKDIR")
    claim = old_map.shifted and not claimed
    if claim:
        first = idshift.claim(g.conf_dir, lock_dir, ctx.ctid, base=int(g.get("VZ_USERNS_BASE")), wanted=wanted_ids)
        conf.set("LOCAL_UID", str(first))
        conf.set("LOCAL_GID", str(first))

    def finish(directory):
        if reset_identity:
            templates.reset_identity(directory)
        # (ids already in the new range, from a finish cut short, lie outside the old one: kept as they are)
        idshift.shift_tree(directory, old_map if old_map.shifted else IdMap(), idshift.idmap_of(conf.items()),
                           keep_foreign=True)
        os.makedirs(g.conf_dir, mode=0o755, exist_ok=True)
        ctx.host.atomic_write(ctx.conf_path, conf.render(), 0o644)

    try:
        make(finish, conf.items())
    except BaseException:
        if not claimed:
            try:
                os.unlink(ctx.conf_path)
            except FileNotFoundError:
                pass
        if claim:
            idshift.release(lock_dir, ctx.ctid)
        raise


__all__ = ["HOST_KEYS", "arrive", "local_conf"]
