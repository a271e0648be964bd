# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vzctl and vzlist: the host's command line, on the same runtime as the modules (installed by the
vzkit.vz.vz_host role under /usr/lib/vzkit, or where $VZKIT_RUNTIME points). docs/cli.md is the manual.
Usage: vzkit-cli.py vzctl|vzlist [ARGS...]"""
import importlib
import os
import sys

sys.path.insert(0, os.environ.get("VZKIT_RUNTIME") or "/usr/lib/vzkit")

PROGRAMS = ("vzctl", "vzlist")

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in PROGRAMS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    # only the program asked for is imported: a vzctl exec starts without what vzlist needs
    program = importlib.import_module("ansible_collections.vzkit.vz.plugins.module_utils._cli._%s" % sys.argv[1])
    sys.exit(program.main(sys.argv[2:]))
