# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start the containers marked ONBOOT="yes" at boot, in BOOTORDER (highest first, as vzctl did), and
stop every running container at shutdown, in the reverse order. Run by vz.service; uses the same
runtime as the modules (installed by the vzkit.vz.vz_host role under /usr/lib/vzkit).
Usage: vzkit-boot start|stop [VZ_CONF]"""
import sys

sys.path.insert(0, "/usr/lib/vzkit")

from ansible_collections.vzkit.vz.plugins.module_utils._container import _ensure as container  # noqa: E402
from ansible_collections.vzkit.vz.plugins.module_utils._config import DEFAULT_VZ_CONF  # noqa: E402
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzError  # noqa: E402
from ansible_collections.vzkit.vz.plugins.module_utils._host import Host  # noqa: E402
from ansible_collections.vzkit.vz.plugins.module_utils._spec import ContainerSpec  # noqa: E402


def order(containers):
    def key(c):
        try:
            prio = int(c["config"].get("BOOTORDER") or 0)
        except ValueError:
            prio = 0
        return (-prio, c["ctid"])
    return sorted(containers, key=key)


def main(argv) -> int:
    if len(argv) < 1 or argv[0] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    vz_conf = argv[1] if len(argv) > 1 else DEFAULT_VZ_CONF
    host = Host()
    everything = order(container.info(vz_conf, host))
    if argv[0] == "start":
        todo = [c for c in everything if c["config"].get("ONBOOT") == "yes" and c["state"] != "running"]
        state = "started"
    else:
        todo = [c for c in reversed(everything) if c["state"] == "running"]
        state = "stopped"
    failed = 0
    for c in todo:
        try:
            container.ensure(ContainerSpec(ctid=c["ctid"], state=state, vz_conf=vz_conf), host)
            print("vzkit: container %s %s" % (c["ctid"], state))
        except VzError as exc:
            failed += 1
            print("vzkit: container %s: %s" % (c["ctid"], exc), file=sys.stderr)
    for w in host.warnings:
        print("vzkit: warning: %s" % w, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
