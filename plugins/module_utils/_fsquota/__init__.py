# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kernel's filesystem quota, as the layouts and vz_quota use it. Private to vzkit.vz; may change in any release.

- ``_kernel``: quotactl_fd(2): limits, usage, grace times, what a filesystem keeps and lacks.
- ``_tags``: project ids on files (FS_IOC_FSSETXATTR): read, tag a new directory, tag a tree.
- ``_projid``: which project id a simfs container gets, the one policy, under a host-wide lock.
"""
