# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host's command line, as OpenVZ admins type it. Private to vzkit.vz; may change in any release.

- ``_vzctl``: create, mount, start, stop, restart, set, destroy, status, exec, enter.
- ``_vzlist``: the containers, as a table or JSON.
- ``_common``: vz.conf, messages and exit codes they share.

The vz_host role installs them (``vzkit-cli.py`` in its files) with the runtime under /usr/lib/vzkit.
"""
