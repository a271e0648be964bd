# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cost of a task inside a container through the vzkit.vz.vz connection, against the same task on
its host over the same SSH.

One vzkit test host (tests/integration/targets/setup_vz_test_hosts: a network and mount namespace with
its own sshd) runs one busybox+Python container. Two inventories reach it: the host itself with
ansible.builtin.ssh, and the container with vzkit.vz.vz through that host's SSH (vzctl exec there). The
same play of --tasks trivial module tasks (ansible.builtin.ping) runs against each, interleaved round by
round, with pipelining on and off; the cost of one task is the difference between a play of --tasks tasks
and a play of one, divided by the tasks between, so Ansible's own start-up is not counted.

Runs in a network namespace of its own (it re-runs itself under `unshare --net`): no packet leaves.
Usage, from the repository root, as root: .venv/bin/python bench/connection.py [--runs 5] [--tasks 20]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as common  # noqa: E402  (bench/ is not a package)

SECTION = "connection"
FIXTURE = os.path.join(common.REPO, "tests", "integration", "targets", "setup_vz_test_hosts", "files", "vzkit-test-host")
PYTHON_TEMPLATE = os.path.join(common.REPO, "tests", "integration", "targets", "setup_vz_python_template", "files",
                               "build.sh")
BUSYBOX_TEMPLATE = os.path.join(common.REPO, "roles", "vz_host", "files", "build-busybox-template.sh")
ADDRESS = "198.51.100.21"
CTID = "101"


def parse_args(argv):
    p = argparse.ArgumentParser(description="A task inside a container through vzkit.vz.vz against the same task "
                                            "on its host over the same SSH.")
    p.add_argument("--runs", type=int, default=5, help="rounds, each timing every play once (default: 5)")
    p.add_argument("--tasks", type=int, default=20, help="tasks in the long play (default: 20)")
    p.add_argument("--workdir", default="/tmp/vzkit-bench-connection", help="made and removed by the run")
    p.add_argument("--output", default=common.DEFAULT_OUTPUT, help="the results file (its connection section)")
    args = p.parse_args(argv)
    if args.runs < 1 or args.tasks < 2:
        p.error("--runs >= 1 and --tasks >= 2")
    return args


def inventories(work: str) -> dict:
    key, known = os.path.join(work, "hosts", "id_ed25519"), os.path.join(work, "hosts", "known_hosts")
    common_vars = "ansible_python_interpreter=/usr/bin/python3"
    files = {
        "host": "target ansible_host=%s ansible_user=root ansible_ssh_private_key_file=%s "
                "ansible_ssh_common_args='-o UserKnownHostsFile=%s' %s\n" % (ADDRESS, key, known, common_vars),
        "container": "target ansible_connection=vzkit.vz.vz vz_ctid=%s vz_host=%s vz_host_user=root "
                     "vz_host_private_key_file=%s vz_host_ssh_args='-o UserKnownHostsFile=%s' %s\n"
                     % (CTID, ADDRESS, key, known, common_vars),
    }
    paths = {}
    for name, text in files.items():
        paths[name] = os.path.join(work, "%s.ini" % name)
        with open(paths[name], "w", encoding="utf-8") as fh:
            fh.write(text)
    return paths


def play(work: str, tasks: int) -> str:
    path = os.path.join(work, "play-%d.yml" % tasks)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("- hosts: target\n  gather_facts: false\n  tasks:\n")
        fh.write("    - ansible.builtin.ping:\n" * tasks)
    return path


def set_up(work: str) -> None:
    """The test host with one running busybox+Python container."""
    os.makedirs(os.path.join(work, "cache"), exist_ok=True)
    os.makedirs(os.path.join(work, "collections", "ansible_collections", "vzkit"))
    os.symlink(common.REPO, os.path.join(work, "collections", "ansible_collections", "vzkit", "vz"))  # the work tree
    cache = os.path.join(work, "cache")
    common.run(["sh", BUSYBOX_TEMPLATE, os.path.join(cache, "busybox.tar.gz")])
    common.run(["sh", PYTHON_TEMPLATE, cache])
    common.run(["ip", "link", "set", "lo", "up"])
    common.run(["bash", FIXTURE, "up", "bench", ADDRESS, os.path.join(work, "hosts"), sys.executable,
                os.path.join(work, "collections")])
    shutil.copy(os.path.join(cache, "busybox-python.tar.gz"), os.path.join(work, "hosts", "bench", "vz", "template",
                                                                           "cache"))
    ssh(work, "vzctl create %s --ostemplate busybox-python && vzctl start %s" % (CTID, CTID))


def ssh(work: str, command: str) -> None:
    hosts = os.path.join(work, "hosts")
    common.run(["ssh", "-i", os.path.join(hosts, "id_ed25519"), "-o", "UserKnownHostsFile=%s" % os.path.join(hosts, "known_hosts"),
                "-o", "BatchMode=yes", "root@%s" % ADDRESS, command])


def tear_down(work: str) -> None:
    hosts = os.path.join(work, "hosts")
    if os.path.isdir(os.path.join(hosts, "bench")):
        try:
            ssh(work, "vzctl destroy %s" % CTID)
        except common.BenchError as exc:
            print("warning: %s" % exc, file=sys.stderr)
        common.run(["bash", FIXTURE, "down", "bench", hosts], check=False)
    shutil.rmtree(work, ignore_errors=True)


def measure(args, work: str) -> dict:
    paths = inventories(work)
    plays = {1: play(work, 1), args.tasks: play(work, args.tasks)}
    times = {}  # (pipelining, target, tasks) -> [seconds]
    base = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(work, "collections"), ANSIBLE_HOST_KEY_CHECKING="True",
                ANSIBLE_SSH_CONTROL_PATH_DIR=os.path.join(work, "hosts", "cp"), ANSIBLE_NOCOLOR="1",
                PYTHONWARNINGS="ignore")
    order = [(p, t, n) for p in ("True", "False") for t in ("host", "container") for n in plays]
    for r in range(args.runs + 1):  # round 0 warms the SSH control master and the caches
        for i in range(len(order)):
            pipelining, target, tasks = order[(i + r) % len(order)]
            elapsed = common.run_playbook(plays[tasks], dict(base, ANSIBLE_PIPELINING=pipelining), inventory=paths[target])
            if r:
                times.setdefault((pipelining, target, tasks), []).append(elapsed)
    return times


def report(args, argv, times: dict) -> str:
    def per_task(pipelining, target):
        long_, short = times[(pipelining, target, args.tasks)], times[(pipelining, target, 1)]
        return [(a - b) / (args.tasks - 1) for a, b in zip(long_, short)]
    head = "vzkit %s." % common.vzkit_revision("worktree")
    lines = ["## A task inside a container (vzkit.vz.vz) against the same task on its host over SSH", "",
             "Generated by `bench/connection.py` (see `bench/README.md`). Reproduce from the repository root:", "",
             "    sudo .venv/bin/python bench/connection.py %s" % " ".join(argv), "",
             "%s; %d rounds (after one warm-up), plays of 1 and %d `ansible.builtin.ping` tasks, interleaved; a task's "
             "cost is (play of %d - play of 1) / %d. %s"
             % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), args.runs, args.tasks, args.tasks, args.tasks - 1, head),
             "",
             "| pipelining | host (ms per task, median) | container through the host (ms per task, median) | ratio |",
             "| --- | ---: | ---: | ---: |"]
    for pipelining in ("True", "False"):
        host, inside = statistics.median(per_task(pipelining, "host")), statistics.median(per_task(pipelining, "container"))
        mode = "on" if pipelining == "True" else "off"
        lines.append("| %s | %.0f | %.0f | %.2f |" % (mode, host * 1000, inside * 1000, inside / host))
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    common.in_own_network_namespace(__file__, argv)
    args = parse_args(argv)
    return common.run_measurement(SECTION, args.output, set_up=lambda: set_up(args.workdir),
                                  measure=lambda: report(args, argv, measure(args, args.workdir)),
                                  tear_down=lambda: tear_down(args.workdir))


if __name__ == "__main__":
    sys.exit(main())
