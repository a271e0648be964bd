# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options shared by every vz_* module; private to vzkit.vz; may change in any release."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  vz_conf:
    description:
      - Path of the global configuration file, in OpenVZ's C(vz.conf) syntax.
      - Its directory's C(conf/) subdirectory holds the per-container C(CTID.conf) files and the
        C(ve-NAME.conf-sample) config samples.
      - Keys read from it are C(VE_ROOT), C(VE_PRIVATE) (both may use C($VEID)), C(TEMPLATE),
        C(VE_LAYOUT), C(LOCKDIR), C(CONFIGFILE), C(DEF_OSTEMPLATE), and vzkit's own
        C(VZ_RUN_DIR) (runtime state, default C(/run/vz)), C(VZ_LOG_DIR) (console logs, default
        C(/var/log/vz)) and C(VZ_CGROUP_PARENT) (cgroup below which containers live, default C(vz); on systemd hosts the
        vzkit.vz.vz_host role sets the cgroup of the unit it makes for them, which vzkit never creates itself).
      - When the file does not exist, vzctl's defaults apply (C(/vz/private/$VEID), C(/vz/root/$VEID),
        C(/vz/template), layout C(simfs)).
    type: path
    default: /etc/vz/vz.conf
"""
