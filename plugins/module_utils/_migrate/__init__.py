# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Moving a container to another vzkit host over SSH (vz_migrate). Private to vzkit.vz; may change in any release.

- ``_send``: the source's half (the module): passes while the container runs, the last with it stopped,
  then the destination's finish, then the source's destroy.
- ``_receive``: the destination's half, run over SSH as ``vzctl migrate-receive``: a partial private area
  that the passes fill (rsync into its directory, or ``zfs receive`` into its dataset), made a container
  by ``finish``.
- ``_watchdog``: what the run's guard (``_guard``) does if the run dies while the source is stopped for the
  last pass: unless the destination has the container, start the source again.
"""
