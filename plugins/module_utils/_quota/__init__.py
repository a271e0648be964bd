# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Disk quota of containers, in two levels, and its usage. Private to vzkit.vz; may change in any release.

- ``_request``: what vz_quota is asked (``QuotaSpec``), checked and normalised.
- ``_ensure``: vz_quota's entry: picks the layout's backend and runs it through the converge step.
- Backends, one per ``Capabilities.quota_backend``: ``_dataset`` (zfs: refquota, userquota@),
  ``_volume`` (zvol: the volume's size, the user and group quota of its filesystem), ``_project``
  (simfs: ext4/xfs project quota).
- ``_owners``: the users and groups of second-level quota, read in the container's own files and mapped
  to host ids.

The kernel's side of ext4/xfs quota (quotactl, project ids on files and their choice) is ``_fsquota``, a
floor below, since the layouts use it too.
"""
