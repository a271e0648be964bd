# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Disk quota of a container, in two levels, and its usage.

Private to vzkit.vz; may change in any release.

- First level, the container as a whole: ``DISKSPACE`` (OpenVZ syntax, 1K blocks unless a suffix is
  given, ``barrier:limit``). On the zfs layout the limit is the dataset's ``refquota`` (ZFS has no soft
  limit: the barrier is stored, not enforced), optionally reserved with ``refreservation``.
  ``DISKINODES`` is stored but cannot be enforced on ZFS, which allocates inodes as it needs them.
- Second level, per user and group inside: ``userquota@UID`` / ``groupquota@GID``, the names resolved
  in the container's own ``/etc/passwd`` and ``/etc/group`` (read without following links out of its
  tree) and mapped to host ids when the container is unprivileged.
- zvol: the volume's size is the first level (grown online, shrunk offline on ext4 only), the user and
  group quota of the filesystem on it the second (``_volume``).
- simfs: ext4/xfs project quota (``_project``); where the filesystem keeps none, usage only,
  and asking for a quota fails naming the mkfs feature or mount option that is missing.
"""
from __future__ import annotations

from .._config import read_conf
from .._container._context import Context
from .._converge import converge
from .._lock import ContainerLock
from . import _dataset, _project, _volume

# The layouts' quota backends (Capabilities.quota_backend): each plans a QuotaSpec for one container.
BACKENDS = {"dataset": _dataset, "project": _project, "volume": _volume}


def ensure(spec, host, *, diff: bool = False) -> dict:
    """vz_quota: converge the container's quota to spec (a _request.QuotaSpec)."""
    ctx, _conf = Context.existing(spec.ctid, spec.vz_conf, host)
    backend = BACKENDS[ctx.layout.capabilities.quota_backend]
    return converge(host, lambda: backend.plan(spec, ctx, read_conf(ctx.conf_path)), noun="quota",
                    lock=ContainerLock(ctx.globals.get("LOCKDIR"), spec.ctid), diff=diff)


__all__ = ["BACKENDS", "ensure"]
