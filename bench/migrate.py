# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The downtime of a migration, against an offline stop-copy-start of the same container.

Two running busybox containers of --size MiB each (random data: nothing compresses or dedups) move to a
vzkit test host (tests/integration/targets/setup_vz_test_hosts, `up-shared`: a network namespace with its
own sshd and vz.conf) over real SSH:
- live: vz_migrate's way (its runtime in-process, as the module calls it), while a process inside writes
  --churn MiB (1 MiB files, one every 0.1 s) from the moment the move starts; its downtime is the
  module's own figure (from the stop here to the destination's answer that it runs);
- offline: stop here, copy it all (vz_migrate of the stopped container: one rsync pass, the same
  command), start there; its downtime is all of that.
Runs in a network namespace of its own (it re-runs itself under `unshare --net`): no packet leaves.
Usage, from the repository root, as root: .venv/bin/python bench/migrate.py [--size 1024] [--churn 20]
"""
from __future__ import annotations

import argparse
import importlib
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as common  # noqa: E402  (bench/ is not a package)

SECTION = "migrate"
FIXTURE = os.path.join(common.REPO, "tests", "integration", "targets", "setup_vz_test_hosts", "files", "vzkit-test-host")
BUSYBOX_TEMPLATE = os.path.join(common.REPO, "roles", "vz_host", "files", "build-busybox-template.sh")
CLI = os.path.join(common.REPO, "roles", "vz_host", "files", "vzkit-cli.py")
ADDRESS = "198.51.100.22"
CGROUP_PARENT = "vzkit-bench-migrate"
LIVE, OFFLINE = "501", "502"


def parse_args(argv):
    p = argparse.ArgumentParser(description="The downtime of a migration against an offline stop-copy-start.")
    p.add_argument("--size", type=int, default=1024, help="MiB of data in each container (default: 1024)")
    p.add_argument("--churn", type=int, default=20, help="MiB written inside while it moves (default: 20)")
    p.add_argument("--workdir", default="/tmp/vzkit-bench-migrate", help="made and removed by the run")
    p.add_argument("--output", default=common.DEFAULT_OUTPUT, help="the results file (its migrate section)")
    args = p.parse_args(argv)
    if args.size < 1 or args.churn < 0:
        p.error("--size >= 1, --churn >= 0")
    return args


class Work:
    def __init__(self, root: str):
        self.root = root
        self.collections = os.path.join(root, "collections")
        self.hosts = os.path.join(root, "hosts")
        self.vz_conf = os.path.join(root, "etc", "vz.conf")
        self.dest_vzctl = os.path.join(self.hosts, "bench", "sbin", "vzctl")

    def ssh(self):
        return ["ssh", "-i", os.path.join(self.hosts, "id_ed25519"), "-o",
                "UserKnownHostsFile=%s" % os.path.join(self.hosts, "known_hosts"), "-o", "BatchMode=yes", "root@" + ADDRESS]


def vzctl(work: Work, *args, check: bool = True):
    env = dict(os.environ, VZKIT_VZ_CONF=work.vz_conf, VZKIT_RUNTIME=work.collections)
    return common.run([sys.executable, CLI, "vzctl"] + list(args), check=check, env=env)


def set_up(args, work: Work) -> None:
    cache = os.path.join(work.root, "template", "cache")
    os.makedirs(cache)
    os.makedirs(os.path.dirname(work.vz_conf))
    with open(work.vz_conf, "w", encoding="utf-8") as fh:
        fh.write(common.vz_conf_text("bench/migrate.py", work.root, private=os.path.join(work.root, "private"),
                                     template=os.path.join(work.root, "template"), cgroup_parent=CGROUP_PARENT))
    common.link_collection(work, "worktree")
    common.run(["sh", BUSYBOX_TEMPLATE, os.path.join(cache, "busybox.tar.gz")])
    common.run(["ip", "link", "set", "lo", "up"])
    common.run(["bash", FIXTURE, "up-shared", "bench", ADDRESS, work.hosts, sys.executable, work.collections])
    for ctid in (LIVE, OFFLINE):
        vzctl(work, "create", ctid, "--ostemplate", "busybox", "--unprivileged", "no")
        data = os.path.join(work.root, "private", ctid, "srv", "data")
        os.makedirs(data)
        for i in range(args.size):  # random: what rsync sends is what there is
            with open(os.path.join(data, "%04d" % i), "wb") as fh:
                fh.write(os.urandom(1 << 20))
        vzctl(work, "start", ctid)


def tear_down(work: Work) -> None:
    if os.path.isdir(os.path.join(work.hosts, "bench")):
        out = common.run(work.ssh() + [os.path.join(work.hosts, "bench", "sbin", "vzlist"), "-a", "-H", "-o", "ctid"],
                         check=False).stdout
        for ctid in out.split():
            common.run(work.ssh() + [work.dest_vzctl, "destroy", ctid], check=False)
        common.run(["bash", FIXTURE, "down", "bench", work.hosts], check=False)
    if os.path.exists(work.vz_conf):
        for ctid in (LIVE, OFFLINE):
            vzctl(work, "destroy", ctid, check=False)
    for path in common.cgroup_mounts():
        common.remove_cgroup_tree(os.path.join(path[0], CGROUP_PARENT))
    shutil.rmtree(work.root, ignore_errors=True)


def migrate(work: Work, ctid: str) -> dict:
    """vz_migrate's runtime in-process, as the module calls it."""
    sys.path.insert(0, work.collections)
    base = "ansible_collections.vzkit.vz.plugins.module_utils."
    send = importlib.import_module(base + "_migrate._send")
    host = importlib.import_module(base + "_host").Host()
    spec = send.MigrateSpec.from_params({"ctid": ctid, "dest": ADDRESS, "private_key_file": os.path.join(work.hosts, "id_ed25519"),
                                         "ssh_args": ["-o", "UserKnownHostsFile=%s" % os.path.join(work.hosts, "known_hosts")],
                                         "dest_vzctl": work.dest_vzctl, "vz_conf": work.vz_conf})
    return send.ensure(spec, host)["migration"]


def measure(args, work: Work) -> dict:
    churn = ("i=0; while [ $i -lt %d ]; do i=$((i+1)); dd if=/dev/urandom of=/srv/churn.$i bs=1048576 count=1 "
             "2>/dev/null; usleep 100000; done" % args.churn)
    vzctl(work, "exec", LIVE, "sh -c '%s' </dev/null >/dev/null 2>&1 &" % churn)
    started = time.monotonic()
    live = migrate(work, LIVE)
    live_wall = time.monotonic() - started
    churned = common.run(work.ssh() + ["ls %s/bench/vz/private/%s/srv | grep -c churn" % (work.hosts, LIVE)],
                         check=False).stdout.strip()
    started = time.monotonic()
    vzctl(work, "stop", OFFLINE)
    offline = migrate(work, OFFLINE)
    common.run(work.ssh() + [work.dest_vzctl, "start", OFFLINE])
    offline_down = time.monotonic() - started
    return {"live": live, "live_wall": live_wall, "offline": offline, "offline_down": offline_down, "churned": churned}


def report(args, argv, m: dict) -> str:
    live, offline = m["live"], m["offline"]
    passes = ", ".join("%.1f MiB in %.1f s (%s)" % (p["bytes"] / 2 ** 20, p["seconds"], p["container"]) for p in live["passes"])
    parts = live.get("downtime_parts") or {}
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    facts = (when, args.size, socket.gethostname(), args.churn, m["churned"], common.vzkit_revision(common.REPO))
    lines = ["## Migration: downtime of vz_migrate against an offline stop-copy-start", "",
             "Generated by `bench/migrate.py` (see `bench/README.md`). Reproduce from the repository root:", "",
             "    sudo .venv/bin/python bench/migrate.py %s" % " ".join(argv), "",
             "%s; two busybox containers of %d MiB of random data each, moved over real SSH (loopback, to a test host "
             "in a network namespace of its own) on host %s; %d MiB written inside the live one while it moves "
             "(%s of its files arrived). vzkit %s." % facts, "",
             "| what | figure |", "| --- | ---: |",
             "| live: downtime (stop here, last pass, destination starts it) | %.2f s |" % live["downtime_seconds"],
             "| - of which the container's stop / the last pass / the destination's finish | %.2f / %.2f / %.2f s |"
             % (parts.get("stop", 0), parts.get("last_pass", 0), parts.get("finish", 0)),
             "| live: the passes | %s |" % passes,
             "| live: the whole move | %.1f s |" % m["live_wall"],
             "| offline: stop, copy all (%.0f MiB), start there | %.2f s |" % (offline["bytes_sent"] / 2 ** 20, m["offline_down"]),
             "| **ratio live downtime / offline downtime** | **%.3f** (goal under 0.1) |" % (live["downtime_seconds"] / m["offline_down"])]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    common.in_own_network_namespace(__file__, argv)
    args = parse_args(argv)
    work = Work(args.workdir)
    if os.geteuid() != 0:
        print("error: run as root (containers need namespaces, mounts and cgroups)", file=sys.stderr)
        return 1
    return common.run_measurement(SECTION, args.output, set_up=lambda: set_up(args, work),
                                  measure=lambda: report(args, argv, measure(args, work)),
                                  tear_down=lambda: tear_down(work))


if __name__ == "__main__":
    sys.exit(main())
