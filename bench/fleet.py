# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleets: one vz_fleet task against a loop of vz_container over the same containers, and the cost of
one module call beyond Ansible's own.

In one run, on busybox containers in a vz.conf of the work dir (no network options, so no packet):
- cold create + start of --containers containers with one vz_fleet task (whole ansible-playbook), against
  the same number through a shell loop of `lxc-create -t busybox` and `lxc-start -d` (Debian's lxc, when
  installed; no network, as vzkit's);
- no-op converge of those running containers: one vz_fleet task against a `loop:` of vz_container
  over the same list (whole ansible-playbook each, interleaved round by round; ratio loop / fleet);
- one module call: a `loop:` of --items items of ansible.builtin.ping, of vz_container (no-op, one running
  container) and of vz_container_info (that container); an item's cost is (loop of --items - loop of 1)
  / (--items - 1), so Ansible's own start-up is not counted; ratio to ping's;
- the host CLI with the fleet running: `vzctl status`, `vzlist -a` and `vzlist -a -j` as an admin types
  them (the host's /usr/bin/python3, the runtime's bytecode cached as on an installed host), each run
  --cli-runs times, medians, beside `python3 -c pass`.
Modules run with the host's /usr/bin/python3 (as on a managed Debian host), ping's as well.
Usage, from the repository root, as root: .venv/bin/python bench/fleet.py [--containers 100] [--runs 3]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as common  # noqa: E402  (bench/ is not a package)

SECTION = "fleet"
BUILD_SCRIPT = os.path.join(common.REPO, "roles", "vz_host", "files", "build-busybox-template.sh")
CGROUP_PARENT = "vzkit-bench-fleet"
FIRST_CTID = 5001
LXC_COMMON = "/usr/share/lxc/config/common.conf"
CLI = os.path.join(common.REPO, "roles", "vz_host", "files", "vzkit-cli.py")
HOST_PYTHON = "/usr/bin/python3"


def parse_args(argv):
    p = argparse.ArgumentParser(description="One vz_fleet task against a loop of vz_container, and one module call "
                                            "against ansible.builtin.ping.")
    p.add_argument("--containers", type=int, default=100, help="containers in the fleet (default: 100)")
    p.add_argument("--items", type=int, default=20, help="items in the loops that time one module call (default: 20)")
    p.add_argument("--runs", type=int, default=3, help="rounds, each timing every play once (default: 3)")
    p.add_argument("--cli-runs", type=int, default=21, help="runs of each host CLI command (default: 21)")
    p.add_argument("--workdir", default="/tmp/vzkit-bench-fleet", help="made and removed by the run")
    p.add_argument("--output", default=common.DEFAULT_OUTPUT, help="the results file (its fleet section)")
    args = p.parse_args(argv)
    if args.runs < 1 or args.items < 2 or args.containers < 1 or args.cli_runs < 1:
        p.error("--runs >= 1, --items >= 2, --containers >= 1, --cli-runs >= 1")
    return args


def plays(work: str, args) -> dict:
    """name -> playbook path."""
    vz_conf = os.path.join(work, "vz.conf")
    ctids = [str(FIRST_CTID + i) for i in range(args.containers)]
    # every module (ping too) runs with the host's own Python, as on a managed host (not the controller's venv)
    head = ("- hosts: localhost\n  connection: local\n  gather_facts: false\n"
            "  vars: {ansible_python_interpreter: %s}\n  tasks:\n" % HOST_PYTHON)
    fleet = ("    - vzkit.vz.vz_fleet:\n        vz_conf: %s\n        fleet: bench\n        prune: true\n"
             "        defaults: {ostemplate: busybox, state: started, stop_timeout: 5}\n        containers: %s\n"
             % (vz_conf, ctids))
    loop = ("    - vzkit.vz.vz_container: {ctid: '{{ item }}', vz_conf: %s, ostemplate: busybox, state: started}\n"
            "      loop: %s\n" % (vz_conf, ctids))
    texts = {"fleet": head + fleet, "loop": head + loop,
             "remove": head + fleet.replace("containers: %s" % ctids, "containers: []")}
    for n in (1, args.items):
        items = list(range(n))
        texts["ping-%d" % n] = head + "    - ansible.builtin.ping:\n      loop: %s\n" % items
        texts["container-%d" % n] = head + ("    - vzkit.vz.vz_container: {ctid: '%s', vz_conf: %s, ostemplate: busybox, "
                                            "state: started}\n      loop: %s\n" % (ctids[0], vz_conf, items))
        texts["info-%d" % n] = head + ("    - vzkit.vz.vz_container_info: {ctid: ['%s'], vz_conf: %s}\n      loop: %s\n"
                                       % (ctids[0], vz_conf, items))
    paths = {}
    for name, text in texts.items():
        paths[name] = os.path.join(work, "%s.yml" % name)
        with open(paths[name], "w", encoding="utf-8") as fh:
            fh.write(text)
    return paths


def set_up(work: str) -> None:
    os.makedirs(os.path.join(work, "template", "cache"))
    os.makedirs(os.path.join(work, "collections", "ansible_collections", "vzkit"))
    os.symlink(common.REPO, os.path.join(work, "collections", "ansible_collections", "vzkit", "vz"))  # the work tree
    common.run(["sh", BUILD_SCRIPT, os.path.join(work, "template", "cache", "busybox.tar.gz")])
    with open(os.path.join(work, "vz.conf"), "w", encoding="utf-8") as fh:
        fh.write(common.vz_conf_text("bench/fleet.py", work, private=os.path.join(work, "vz", "private"),
                                     template=os.path.join(work, "template"), cgroup_parent=CGROUP_PARENT))


def tear_down(work: str, env: dict) -> None:
    if os.path.exists(os.path.join(work, "remove.yml")):
        try:
            common.run_playbook(os.path.join(work, "remove.yml"), env)
        except common.BenchError as exc:
            print("warning: %s" % exc, file=sys.stderr)
    for path in common.cgroup_mounts():
        common.remove_cgroup_tree(os.path.join(path[0], CGROUP_PARENT))
    if any(m.startswith(work + "/") for m in common.mountpoints()):
        print("warning: mounts are left under %s; not removing it" % work, file=sys.stderr)
        return
    shutil.rmtree(work, ignore_errors=True)


def lxc_cold(work: str, n: int):
    """Seconds for a shell loop creating and starting n busybox containers with LXC, or None without LXC;
    the containers are removed afterwards (not timed)."""
    if not common.which("lxc-create"):
        return None
    path = os.path.join(work, "lxc")
    os.makedirs(path)
    conf = os.path.join(work, "lxc.conf")
    with open(conf, "w", encoding="utf-8") as fh:
        fh.write(("lxc.include = %s\n" % LXC_COMMON if os.path.exists(LXC_COMMON) else "")
                 + "lxc.net.0.type = empty\nlxc.apparmor.profile = unconfined\nlxc.signal.halt = SIGUSR2\n")
    names = " ".join("bench%d" % i for i in range(n))
    loop = ('for n in %s; do lxc-create -q -P %s -n $n -f %s -t busybox && lxc-start -P %s -n $n -d || exit 1; done'
            % (names, path, conf, path))
    started = time.monotonic()
    res = subprocess.run(["sh", "-c", loop], capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    subprocess.run(["sh", "-c", "for n in %s; do lxc-stop -P %s -n $n -k; lxc-destroy -P %s -n $n; done"
                    % (names, path, path)], capture_output=True, check=False)
    shutil.rmtree(os.path.normpath("/run/lxc/lock/" + path.lstrip("/")), ignore_errors=True)
    if res.returncode:
        raise common.BenchError("the LXC loop failed: %s" % res.stderr[-800:])
    return elapsed


def measure(args, work: str, env: dict) -> dict:
    paths = plays(work, args)
    times = {"create": [common.run_playbook(paths["fleet"], env)], "lxc": [lxc_cold(work, args.containers)]}
    times.update(cli_times(args, work))
    order = ["fleet", "loop"] + ["%s-%d" % (kind, n) for kind in ("ping", "container", "info") for n in (1, args.items)]
    for r in range(args.runs + 1):  # round 0 warms the caches
        for i in range(len(order)):
            name = order[(i + r) % len(order)]
            elapsed = common.run_playbook(paths[name], env)
            if r:
                times.setdefault(name, []).append(elapsed)
    return times


def cli_times(args, work: str) -> dict:
    """Seconds of each host CLI command over the running fleet, --cli-runs times (the first warms the
    runtime's bytecode cache, as the first command on an installed host does)."""
    env = dict(os.environ, VZKIT_VZ_CONF=os.path.join(work, "vz.conf"), VZKIT_RUNTIME=os.path.join(work, "collections"))
    commands = {"cli-status": [HOST_PYTHON, CLI, "vzctl", "status", str(FIRST_CTID)],
                "cli-vzlist": [HOST_PYTHON, CLI, "vzlist", "-a"], "cli-vzlist-json": [HOST_PYTHON, CLI, "vzlist", "-a", "-j"],
                "cli-python": [HOST_PYTHON, "-c", "pass"]}
    out = {}
    for r in range(args.cli_runs + 1):
        for name, argv in commands.items():
            started = time.monotonic()
            common.run(argv, env=env)
            if r:
                out.setdefault(name, []).append(time.monotonic() - started)
    return out


def report(args, argv, times: dict) -> str:
    med = {name: statistics.median(values) for name, values in times.items()}

    def per_item(kind):
        return statistics.median([(a - b) / (args.items - 1)
                                  for a, b in zip(times["%s-%d" % (kind, args.items)], times["%s-1" % kind])])
    ping, container, info = per_item("ping"), per_item("container"), per_item("info")
    n = args.containers
    lines = ["## Fleets: one vz_fleet task against a loop of vz_container; one module call against ping", "",
             "Generated by `bench/fleet.py` (see `bench/README.md`). Reproduce from the repository root:", "",
             "    sudo .venv/bin/python bench/fleet.py %s" % " ".join(argv), "",
             "%s; %d busybox containers without network options; %d rounds (after one warm-up), plays interleaved; "
             "whole `ansible-playbook` runs, medians; modules run by %s. vzkit %s."
             % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), n, args.runs, HOST_PYTHON, common.vzkit_revision("worktree")),
             "",
             "| what | time | against | ratio | goal |", "| --- | ---: | --- | ---: | --- |",
             "| no-op converge of %d running containers, one vz_fleet task | %.2f s | `loop:` of vz_container over them: "
             "%.1f s | %.1fx faster | 15x, and the playbook under 3 s |" % (n, med["fleet"], med["loop"], med["loop"] / med["fleet"]),
             "| cold create + start of %d containers, one vz_fleet task (one run) | %.1f s | %s | %s | no slower than "
             "LXC |" % (n, times["create"][0], "a shell loop of lxc-create -t busybox + lxc-start -d: %.1f s" % times["lxc"][0]
                        if times["lxc"][0] else "LXC not installed", "%.2f" % (times["create"][0] / times["lxc"][0])
                        if times["lxc"][0] else "-"),
             "| one vz_container call (no-op), per item of a loop | %.0f ms | ansible.builtin.ping: %.0f ms | %.2f | 1.2 |"
             % (container * 1000, ping * 1000, container / ping),
             "| one vz_container_info call, per item of a loop | %.0f ms | ansible.builtin.ping: %.0f ms | %.2f | 1.2 |"
             % (info * 1000, ping * 1000, info / ping)]
    for name, what in (("cli-status", "`vzctl status %d`" % FIRST_CTID), ("cli-vzlist", "`vzlist -a`"),
                       ("cli-vzlist-json", "`vzlist -a -j`")):
        lines.append("| %s at the host's shell, %d containers running (%d runs) | %.0f ms | `python3 -c pass`: %.0f ms | - "
                     "| under 100 ms |" % (what, n, args.cli_runs, med[name] * 1000, med["cli-python"] * 1000))
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(args.workdir, "collections"), ANSIBLE_NOCOLOR="1",
               PYTHONWARNINGS="ignore", ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    return common.run_measurement(SECTION, args.output, set_up=lambda: set_up(args.workdir),
                                  measure=lambda: report(args, argv, measure(args, args.workdir, env)),
                                  tear_down=lambda: tear_down(args.workdir, env))


if __name__ == "__main__":
    sys.exit(main())
