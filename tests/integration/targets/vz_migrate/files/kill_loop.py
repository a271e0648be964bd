# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SIGKILL a running vz_migrate at points spread over its whole run, again and again, then let one run to its end.

Each attempt starts the module (keeping the source, so that an attempt that got through can be undone:
the copy on the destination destroyed, the source started again) and kills its process after a delay;
the delays cover the run evenly, passes, stop, last pass and finish alike. Right after the kill the
source's state says whether the kill came while it was stopped; once the guard has had its time, the
source must run with nothing running on the destination, or - when the kill came after the destination
took over - the destination must run it while the source is stopped. Prints one JSON object.
Usage: kill_loop.py CONFIG_JSON with kills, spread (seconds), module_args, final_args, source_vzlist,
dest_vzlist (shell commands printing `vzlist -a -H -o ctid,status`), undo (a shell command), ctid, dest_ctid."""
import json
import os
import random
import signal
import subprocess
import sys
import time


def state(command, ctid):
    out = subprocess.run(command, shell=True, capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[0] == ctid:
            return fields[1]
    return "absent"


def module_processes(root_pid=None):
    """The vz_migrate module's processes among root_pid's descendants (the guard it starts detaches
    itself, so it is none of them: the kill is the run's, not the guard's); with no root_pid, every one
    (after the kill: the guards)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/%s/cmdline" % entry, "rb") as fh:
                cmdline = fh.read()
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append((int(entry), cmdline))
    if root_pid is None:
        return [pid for pids in children.values() for pid, cmdline in pids if b"AnsiballZ_vz_migrate" in cmdline]
    found, todo = [], [root_pid]
    while todo:
        for pid, cmdline in children.get(todo.pop(), []):
            todo.append(pid)
            if b"AnsiballZ_vz_migrate" in cmdline:
                found.append(pid)
    return found


def settled(src, dst):
    return (src == "running" and dst == "absent") or (dst == "running" and src == "stopped")


def attempt(cfg, delay):
    adhoc = ["ansible", "localhost", "-c", "local", "-m", "vzkit.vz.vz_migrate", "-a", json.dumps(cfg["module_args"])]
    run = subprocess.Popen(adhoc, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30  # the delay counts from the module's start, not Ansible's
    while not module_processes(run.pid) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(delay)
    pids = module_processes(run.pid)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    run.wait()
    at_kill = state(cfg["source_vzlist"], cfg["ctid"])
    deadline = time.monotonic() + 60  # the guard, if the kill found one armed, restarts the source and ends
    while module_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    while True:
        src, dst = state(cfg["source_vzlist"], cfg["ctid"]), state(cfg["dest_vzlist"], cfg["dest_ctid"])
        if settled(src, dst) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    result = {"delay": round(delay, 2), "killed": bool(pids), "source_at_kill": at_kill, "source": src, "dest": dst,
              "settled": settled(src, dst)}
    if dst == "running":  # it got through: undo it for the next attempt
        subprocess.run(cfg["undo"], shell=True, check=False, capture_output=True)
    return result


def main(cfg):
    kills, spread = cfg["kills"], cfg["spread"]
    attempts = []
    for i in range(3 * kills):
        if sum(a["killed"] for a in attempts) >= kills:
            break
        slot = i % kills  # delays spread evenly over the run, each slot at a random point of its own
        attempts.append(attempt(cfg, spread * (slot + random.random()) / kills))
    final = subprocess.run(["ansible", "localhost", "-c", "local", "-m", "vzkit.vz.vz_migrate", "-a",
                            json.dumps(cfg["final_args"])], capture_output=True, text=True, check=False)
    print(json.dumps({"attempts": attempts, "landed": sum(a["killed"] for a in attempts),
                      "in_downtime": sum(a["killed"] and a["source_at_kill"] != "running" for a in attempts),
                      "final_rc": final.returncode, "final": final.stdout[-3000:]}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
