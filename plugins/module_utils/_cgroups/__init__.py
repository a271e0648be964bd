# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Control groups of containers. Private to vzkit.vz; may change in any release.

- ``_hierarchy``: which hierarchies the host has (v2, v1, hybrid), detected once from mountinfo.
- ``_groups``: ``Cgroups``, a container's groups: ``PARENT/CTID`` with its processes one level down in
  ``payload``, devices, delegation, freezing, killing, removal.
- ``_knobs``: the limit files: which writes go where, in the order the kernel takes them, read back, and
  the usage figures.
"""
