# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backups of containers and their restores. Private to vzkit.vz; may change in any release.

- ``_archive``: the backup file (an uncompressed tar holding the container's CTID.conf, its payload and a
  manifest with the payload's size and sha256), written in one pass and verified before any restore.
- ``_dump``: making one (``vz_backup``): simfs as GNU tar passes (the last with the container frozen),
  zfs as a ``zfs send`` of a consistent snapshot, full or incremental; retention.
- ``_restore``: a container from a backup file (``vz_restore``), under its own ctid or a new one, onto
  simfs or zfs.
"""
