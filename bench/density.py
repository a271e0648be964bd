# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Density: --containers busybox containers running at once, each with its own network namespace and a
routed address, started by one vz_fleet task; listed by vzlist -a and vz_container_info; what the host
pays beyond the containers' own processes; then all stopped and removed, and nothing left.

Also reads, at the peak, the kernel counters that a growing number of containers uses up (pids,
threads, keys per user, neighbour entries, user and network namespaces, inotify instances, mounts,
cgroups) against their limits, so that the limit that breaks first is found by measurement.

Runs in a network namespace of its own (it re-runs itself under `unshare --net`): no packet leaves.
Usage, from the repository root, as root: .venv/bin/python bench/density.py [--containers 500]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as common  # noqa: E402  (bench/ is not a package)

SECTION = "density"
BUILD_SCRIPT = os.path.join(common.REPO, "roles", "vz_host", "files", "build-busybox-template.sh")
CLI = os.path.join(common.REPO, "roles", "vz_host", "files", "vzkit-cli.py")
CGROUP_PARENT = "vzkit-bench-density"
FIRST_CTID = 7001
HOST_PYTHON = sys.executable  # (it has pyroute2, which routed addresses need)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Many containers at once: start, list, cost to the host, stop, leaks.")
    p.add_argument("--containers", type=int, default=500, help="containers (default: 500)")
    p.add_argument("--workdir", default="/tmp/vzkit-bench-density", help="made and removed by the run")
    p.add_argument("--output", default=common.DEFAULT_OUTPUT, help="the results file (its density section)")
    args = p.parse_args(argv)
    if not 1 <= args.containers <= 65000:
        p.error("--containers from 1 to 65000")
    return args


def address(i: int) -> str:
    return "fd42:7a6b:5::%x" % (i + 1)


def playbook(work: str, name: str, containers: list, state: str) -> str:
    path = os.path.join(work, "%s.yml" % name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("- hosts: localhost\n  connection: local\n  gather_facts: false\n"
                 "  vars: {ansible_python_interpreter: %s}\n  tasks:\n" % HOST_PYTHON)
        if name == "info":
            fh.write("    - vzkit.vz.vz_container_info: {vz_conf: %s}\n      register: info\n"
                     "    - ansible.builtin.assert: {that: [\"info.containers | length == %d\"]}\n"
                     % (os.path.join(work, "vz.conf"), len(containers)))
        elif name == "ping":
            fh.write("    - ansible.builtin.ping:\n")
        else:
            fh.write("    - vzkit.vz.vz_fleet:\n        vz_conf: %s\n        fleet: density\n        prune: true\n"
                     "        parallel: 8\n        defaults: {ostemplate: busybox, state: %s, stop_timeout: 10}\n"
                     "        containers: %s\n" % (os.path.join(work, "vz.conf"), state, json.dumps(containers)))
    return path


def meminfo() -> dict:
    out = {}
    for line in common.read_text("/proc/meminfo").splitlines():
        key, _sep, value = line.partition(":")
        out[key] = int(value.split()[0]) * 1024
    return out


def host_used() -> int:
    m = meminfo()
    return m["MemTotal"] - m["MemAvailable"]


def container_memory(ctids) -> int:
    """What the containers' own cgroups are charged (their processes, their page cache, their kernel memory)."""
    total = 0
    for ctid in ctids:
        for path in ("/sys/fs/cgroup/memory/%s/%s/memory.usage_in_bytes" % (CGROUP_PARENT, ctid),
                     "/sys/fs/cgroup/%s/%s/memory.current" % (CGROUP_PARENT, ctid)):
            text = common.read_text(path).strip()
            if text:
                total += int(text)
                break
    return total


def processes_outside() -> int:
    """Live processes of this host not in a container's cgroup (a per-container host process would show
    here); zombies are left out (this machine's init reaps a stopped container's init late)."""
    count = 0
    for pid in os.listdir("/proc"):
        stat = common.read_text("/proc/%s/stat" % pid) if pid.isdigit() else ""
        if stat and stat[stat.rindex(")") + 2] not in "ZX" \
                and "/%s/" % CGROUP_PARENT not in common.read_text("/proc/%s/cgroup" % pid):
            count += 1
    return count


def kernel_counters(ctids) -> list:
    """(what, used at the peak, limit) of the kernel resources containers use up."""
    def sysctl(name):  # (None: not readable here, as the neighbour tables' limits outside the first network namespace)
        words = common.read_text("/proc/sys/" + name.replace(".", "/")).split()
        return int(words[0]) if words else None
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    threads = sum(len(os.listdir("/proc/%s/task" % p)) for p in pids if os.path.isdir("/proc/%s/task" % p))
    keys = [line.split() for line in common.read_text("/proc/key-users").splitlines()]
    most_keys = max((int(k[3].split("/")[0]) for k in keys), default=0)
    neigh = subprocess.run(["ip", "-6", "neigh", "show", "proxy"], capture_output=True, text=True, check=False).stdout
    userns = sum(1 for p in pids if os.path.exists("/proc/%s/ns/user" % p)
                 and os.readlink("/proc/%s/ns/user" % p) != os.readlink("/proc/self/ns/user"))
    cgroups = sum(len(d) for _r, d, _f in os.walk("/sys/fs/cgroup/pids/%s" % CGROUP_PARENT))
    return [("processes (pids)", len(pids), sysctl("kernel.pid_max")),
            ("threads", threads, sysctl("kernel.threads-max")),
            ("keys of the busiest user", most_keys, sysctl("kernel.keys.maxkeys")),
            ("proxy neighbour entries (IPv6)", len(neigh.splitlines()), sysctl("net.ipv6.neigh.default.gc_thresh3")),
            ("processes in a user namespace not the host's", userns, sysctl("user.max_user_namespaces")),
            ("network namespaces (one per container)", len(ctids), sysctl("user.max_net_namespaces")),
            ("inotify instances of root (host)", _inotify_instances(), sysctl("fs.inotify.max_user_instances")),
            ("mounts in the host's table", len(common.read_text("/proc/self/mountinfo").splitlines()), sysctl("fs.mount-max")),
            ("cgroups below the parent (pids hierarchy)", cgroups, None)]


def _inotify_instances() -> int:
    count = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or "/%s/" % CGROUP_PARENT in common.read_text("/proc/%s/cgroup" % pid):
            continue
        try:
            count += sum(1 for fd in os.listdir("/proc/%s/fd" % pid)
                         if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == "anon_inode:inotify")
        except OSError:
            pass
    return count


def leftovers(work: str) -> list:
    found = ["mount %s" % m for m in common.mountpoints() if m.startswith(work + "/")]
    found += ["cgroup %s" % os.path.join(m, CGROUP_PARENT) for m, _t, _o in common.cgroup_mounts()
              if os.path.isdir(os.path.join(m, CGROUP_PARENT))]
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=False).stdout.splitlines()
    found += ["link %s" % line.split(":")[1].strip() for line in links if line.split(":")[1].strip() != "lo"]
    for d in ("run", "vz/private", "vz/root", "vz/lock"):
        path = os.path.join(work, d)
        found += ["file %s/%s" % (d, n) for n in (os.listdir(path) if os.path.isdir(path) else [])]
    return found


def set_up(work: str) -> None:
    os.makedirs(os.path.join(work, "template", "cache"))
    os.makedirs(os.path.join(work, "collections", "ansible_collections", "vzkit"))
    os.symlink(common.REPO, os.path.join(work, "collections", "ansible_collections", "vzkit", "vz"))  # the work tree
    common.run(["sh", BUILD_SCRIPT, os.path.join(work, "template", "cache", "busybox.tar.gz")])
    common.run(["ip", "link", "set", "lo", "up"])
    with open(os.path.join(work, "vz.conf"), "w", encoding="utf-8") as fh:
        fh.write(common.vz_conf_text("bench/density.py", work, private=os.path.join(work, "vz", "private"),
                                     template=os.path.join(work, "template"), cgroup_parent=CGROUP_PARENT))
    playbook(work, "down", [], "absent")  # (first: tear_down removes what a run that stopped half-way left)


def measure(args, work: str, env: dict) -> dict:
    ctids = [str(FIRST_CTID + i) for i in range(args.containers)]
    items = [{"ctid": c, "ip_address": [address(i)]} for i, c in enumerate(ctids)]
    fig = {"used_before": host_used(), "outside_before": processes_outside()}
    fig["start"] = common.run_playbook(playbook(work, "up", items, "started"), env)
    time.sleep(2)  # (the inits settle)
    fig["used_after"], fig["outside_after"] = host_used(), processes_outside()
    fig["containers_memory"] = container_memory(ctids)
    fig["counters"] = kernel_counters(ctids)
    cli_env = dict(env, VZKIT_VZ_CONF=os.path.join(work, "vz.conf"), VZKIT_RUNTIME=os.path.join(work, "collections"))
    started = time.monotonic()
    listing = subprocess.run([HOST_PYTHON, CLI, "vzlist", "-a", "-H", "-o", "ctid,status,ip"], env=cli_env,
                             capture_output=True, text=True, check=True).stdout.splitlines()
    fig["vzlist"] = time.monotonic() - started
    fig["running"] = sum(1 for line in listing if line.split()[1:2] == ["running"])
    fig["addresses"] = sum(1 for line in listing if "fd42:7a6b:5::" in line)
    fig["info_play"] = common.run_playbook(playbook(work, "info", items, ""), env)
    fig["ping_play"] = common.run_playbook(playbook(work, "ping", [], ""), env)
    fig["inside"] = subprocess.run([HOST_PYTHON, CLI, "vzctl", "exec", ctids[-1], "ip", "-6", "-o", "addr"], env=cli_env,
                                   capture_output=True, text=True, check=False).stdout
    fig["stop"] = common.run_playbook(os.path.join(work, "down.yml"), env)  # prune: every member goes
    time.sleep(3)  # (the host's init reaps the last inits late)
    fig["leftovers"] = leftovers(work)
    fig["used_end"] = host_used()
    return fig


def report(args, argv, fig: dict) -> str:
    n = args.containers
    mib = 1 << 20
    overhead = fig["used_after"] - fig["used_before"] - fig["containers_memory"]
    lines = ["## Density: %d containers at once" % n, "",
             "Generated by `bench/density.py` (see `bench/README.md`). Reproduce from the repository root:", "",
             "    sudo .venv/bin/python bench/density.py %s" % " ".join(argv), "",
             "%s; %d busybox containers, each with its own network namespace and a routed IPv6 address, started by "
             "one vz_fleet task (parallel 8), in a network namespace of the run's own; modules run by %s. vzkit %s."
             % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), n, HOST_PYTHON, common.vzkit_revision("worktree")),
             "",
             "| what | figure |", "| --- | ---: |",
             "| create + start of all, one vz_fleet task (whole playbook) | %.1f s |" % fig["start"],
             "| running afterwards (vzlist -a) / with their address | %d / %d |" % (fig["running"], fig["addresses"]),
             "| `vzlist -a` over all | %.2f s |" % fig["vzlist"],
             "| vz_container_info over all (whole playbook; an empty one with ping takes %.2f s) | %.2f s |"
             % (fig["ping_play"], fig["info_play"]),
             "| host memory used, before / with all running | %.0f / %.0f MiB |" % (fig["used_before"] / mib, fig["used_after"] / mib),
             "| charged to the containers' own cgroups | %.0f MiB (%.0f KiB each) |"
             % (fig["containers_memory"] / mib, fig["containers_memory"] / n / 1024),
             "| the rest: what the host pays beyond the containers (kernel: namespaces, links, cgroups, mounts) "
             "| %.0f MiB (%.0f KiB per container) |" % (overhead / mib, overhead / n / 1024),
             "| live host processes outside the containers, before / with all running | %d / %d |"
             % (fig["outside_before"], fig["outside_after"]),
             "| stop + destroy of all, one vz_fleet task (prune) | %.1f s |" % fig["stop"],
             "| host memory used after the removal | %.0f MiB |" % (fig["used_end"] / mib),
             "| left behind (mounts, cgroups, links, run state, files) | %s |" % (", ".join(fig["leftovers"][:5]) or "nothing"),
             "", "Kernel counters with all %d running, against their limits:" % n, "",
             "| counter | used | limit | share |", "| --- | ---: | ---: | ---: |"]
    for what, used, limit in fig["counters"]:
        share = "%.1f%%" % (100.0 * used / limit) if limit else "-"
        lines.append("| %s | %d | %s | %s |" % (what, used, limit if limit is not None else "-", share))
    return "\n".join(lines) + "\n"


def tear_down(work: str, env: dict) -> None:
    if os.path.exists(os.path.join(work, "down.yml")) and os.path.isdir(os.path.join(work, "vz", "private")):
        try:
            common.run_playbook(os.path.join(work, "down.yml"), env)
        except common.BenchError as exc:
            print("warning: %s" % exc, file=sys.stderr)
    for mount_point, _t, _o in common.cgroup_mounts():
        common.remove_cgroup_tree(os.path.join(mount_point, CGROUP_PARENT))
    if any(m.startswith(work + "/") for m in common.mountpoints()):
        print("warning: mounts are left under %s; not removing it" % work, file=sys.stderr)
        return
    shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    common.in_own_network_namespace(__file__, argv)
    args = parse_args(argv)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(args.workdir, "collections"), ANSIBLE_NOCOLOR="1",
               PYTHONWARNINGS="ignore", ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False")

    def measured() -> str:
        fig = measure(args, args.workdir, env)
        print(fig["inside"])
        return report(args, argv, fig)
    return common.run_measurement(SECTION, args.output, set_up=lambda: set_up(args.workdir), measure=measured,
                                  tear_down=lambda: tear_down(args.workdir, env))


if __name__ == "__main__":
    sys.exit(main())
