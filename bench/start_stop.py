# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop latency of the busybox container: vzkit against LXC and systemd-nspawn.

Run as root from the repository root:

    sudo .venv/bin/python bench/start_stop.py --runs 20

Every tool runs the same busybox tree (unpacked from one template cache built by
roles/vz_host/files/build-busybox-template.sh) in the same run, interleaved round by round, and
the report gives min/median/max per tool and vzkit's ratios to each peer (bench/RESULTS.md).

Everything lives under the work dir (default /tmp/vzkit-bench): its own vz.conf, template, private
and root areas, lock, run and log dirs, the LXC path and the nspawn tree. Cgroups are named
"vzbench" (vzkit's VZ_CGROUP_PARENT), "vzbench-nspawn" and LXC's "lxc.*.vzbench-lxc". The script
installs nothing, and removes all it made on exit, on error and on Ctrl-C.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

from harness import (  # bench/ is on sys.path when run as `python bench/start_stop.py`
    DEFAULT_OUTPUT, NEVER, REPO, SAFE_PATH, BenchError, Signals, ancestors, cgroup_mounts, install_signal_handlers,
    link_collection, load_runtime, mountpoints, ms, own_cgroup_dirs, ratio, read_text, remove_cgroup_tree, run, tail,
    vz_conf_text, vzkit_revision, which, write_section)

BUILD_SCRIPT = os.path.join(REPO, "roles", "vz_host", "files", "build-busybox-template.sh")
CTID = "bench1"
LXC_NAME = "vzbench-lxc"
NSPAWN_NAME = "vzbench-nspawn"
CGROUP_PARENT = "vzbench"
SECTION = "start_stop"            # this script's part of RESULTS.md (see write_section)
MARKER = ".vzkit-bench"           # marks a work dir as this script's own, so it may remove it
LXC_COMMON = "/usr/share/lxc/config/common.conf"
POLL = 0.0005                     # seconds between /proc polls while waiting for an init

# Programs each tool needs, with the Debian package that ships them.
PROGRAMS = {
    "vzkit": (("tar", "tar"), ("setpriv", "util-linux"), ("sh", "dash")),
    "lxc": (("lxc-start", "lxc"), ("lxc-stop", "lxc"), ("lxc-wait", "lxc"), ("lxc-info", "lxc"),
            ("lxc-destroy", "lxc")),
    "nspawn": (("systemd-nspawn", "systemd-container"),),
}
TOOLS = ("vzkit", "lxc", "nspawn")


# ---- /proc: finding a container's init from outside ------------------------------------------

def file_id(path: str) -> tuple:
    st = os.stat(path)
    return (st.st_dev, st.st_ino)


def children(pid: int) -> list:
    """Direct children of pid (every thread's children file)."""
    out = []
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        out.extend(int(c) for c in read_text("/proc/%d/task/%s/children" % (pid, tid)).split())
    return out


def is_container_init(pid: int, busybox: tuple) -> bool:
    """True once pid runs the tree's own busybox (same inode) as pid 1 of its own pid namespace.

    Comparing the inode, not the path, tells "has exec'd" from "is still the tool's process" and
    tells this tool's tree from every other busybox on the host.
    """
    try:
        if file_id("/proc/%d/exe" % pid) != busybox:
            return False
    except OSError:
        return False
    for line in read_text("/proc/%d/status" % pid).splitlines():
        if line.startswith("NSpid:"):
            return line.split()[-1] == "1"
    return False


def wait_init(candidates, busybox: tuple, *, timeout: float, alive=None) -> int:
    """Poll candidates() until one is the container's exec'd init; return its (host) pid."""
    deadline = time.perf_counter() + timeout
    while True:
        for pid in candidates():
            if is_container_init(pid, busybox):
                return pid
        if alive is not None and not alive():
            raise BenchError("the tool exited before the container's init ran")
        if time.perf_counter() > deadline:
            raise BenchError("no container init running busybox after %.0fs" % timeout)
        time.sleep(POLL)


def wait_booted(init_pid: int, timeout: float) -> bool:
    """Wait until busybox init has run /etc/init.d/rcS and respawned syslogd (its first service).

    Once there, init sits in its main loop with its shutdown signals blocked, so a stop request
    cannot be lost in the instant between exec and init's own signal setup.
    """
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for pid in children(init_pid):
            if read_text("/proc/%d/comm" % pid).strip() == "syslogd":
                return True
        time.sleep(POLL)
    return False


def orphan_reap_delay(samples: int = 5) -> str:
    """How long after an orphan of ours exits the process that inherits it reaps it (median).

    vzkit's init is such an orphan (daemonless: the process that forked it exits at once), so how
    soon it disappears from /proc after exiting depends on that reaper; LXC's monitor and
    systemd-nspawn reap their container's init themselves.
    """
    delays, reaper = [], "unknown"
    for _sample in range(samples):
        r, w = os.pipe()
        child = os.fork()
        if child == 0:  # an intermediate that exits and leaves a short-lived grandchild, as vzkit's start
            grand = os.fork()
            if grand == 0:
                time.sleep(0.05)
                os._exit(0)
            os.write(w, b"%d" % grand)
            os._exit(0)
        os.close(w)
        os.waitpid(child, 0)
        with os.fdopen(r, "rb") as fh:
            pid = int(fh.read())
        stat = read_text("/proc/%d/stat" % pid)
        ppid = int(stat[stat.rindex(")") + 2:].split()[1]) if stat else 0
        reaper = "pid %d (%s)" % (ppid, read_text("/proc/%d/comm" % ppid).strip()) if ppid else reaper
        fd = os.pidfd_open(pid)
        try:
            select.select([fd], [], [], 5)  # readable once the grandchild has exited
            t0 = time.perf_counter()
            while os.path.exists("/proc/%d" % pid) and time.perf_counter() - t0 < 10:
                time.sleep(0.001)
            delays.append(ms(time.perf_counter() - t0))
        finally:
            os.close(fd)
    return "%.0f ms after exit, by %s (median of %d)" % (statistics.median(delays), reaper, samples)


# ---- the work dir: everything this run makes on disk ----------------------------------------

@dataclass
class Work:
    root: str

    def __post_init__(self):
        self.root = os.path.normpath(os.path.abspath(self.root))
        r = self.root
        self.vz_conf = os.path.join(r, "etc", "vz.conf")
        self.template = os.path.join(r, "vz", "template")
        self.cache = os.path.join(self.template, "cache", "busybox.tar.gz")
        self.private = os.path.join(r, "vz", "private", CTID)
        self.collections = os.path.join(r, "collections")
        self.lxcpath = os.path.join(r, "lxc")
        self.nspawn_dir = os.path.join(r, "nspawn")
        self.tmp = os.path.join(r, "tmp")

    def check(self) -> None:
        # The path goes into vz.conf and LXC's config unquoted-safe: keep it to plain characters.
        if not SAFE_PATH.match(self.root) or self.root in NEVER or "/../" in self.root + "/":
            raise BenchError("--workdir %s: use a dedicated absolute path of letters, digits, '.', '_', "
                             "'-' and '/', such as /tmp/vzkit-bench" % self.root)
        if os.path.lexists(self.root) and not os.path.exists(os.path.join(self.root, MARKER)):
            raise BenchError("--workdir %s exists and was not made by this script; remove it or pick "
                             "another --workdir" % self.root)

    def prepare(self) -> None:
        """A fresh work dir (a kept one from an earlier run is removed first)."""
        if os.path.lexists(self.root):
            self.remove()
        os.makedirs(self.root, mode=0o755)
        with open(os.path.join(self.root, MARKER), "w", encoding="ascii") as fh:
            fh.write("made by bench/start_stop.py; removed at the end of its run\n")
        for d in (os.path.dirname(self.vz_conf), os.path.dirname(self.cache), self.lxcpath,
                  self.nspawn_dir, self.tmp):
            os.makedirs(d, mode=0o755, exist_ok=True)

    def mounts(self) -> list:
        return [m for m in mountpoints() if m == self.root or m.startswith(self.root + "/")]

    def remove(self) -> None:
        if not os.path.exists(os.path.join(self.root, MARKER)):
            return
        left = self.mounts()
        if left:
            raise BenchError("not removing %s: still mounted: %s" % (self.root, ", ".join(left)))
        # --one-file-system: never descend into anything mounted below, whatever happened before.
        run(["rm", "-rf", "--one-file-system", "--", self.root])


def write_vz_conf(work: Work) -> None:
    """The benchmark's own vz.conf: every path vzkit uses is under the work dir."""
    r = work.root
    text = vz_conf_text("bench/start_stop.py", r, private="%s/vz/private" % r, template=work.template,
                        cgroup_parent=CGROUP_PARENT)
    with open(work.vz_conf, "w", encoding="utf-8") as fh:
        fh.write(text)


def build_template(work: Work) -> None:
    """The busybox template cache, built by the role's own script into the work dir."""
    env = dict(os.environ, TMPDIR=work.tmp)  # the script's scratch tree goes under the work dir too
    run(["sh", BUILD_SCRIPT, work.cache], env=env)


def unpack(cache: str, dest: str) -> None:
    """Unpack the template exactly as vzkit does (owners, modes, ACLs, xattrs): identical trees."""
    os.makedirs(dest, mode=0o755, exist_ok=True)
    run(["tar", "--extract", "--file", cache, "--directory", dest, "--numeric-owner",
         "--preserve-permissions", "--same-owner", "--acls", "--xattrs", "--xattrs-include=*", "--gzip"])


# ---- cgroups the peers need (vzkit manages its own) -------------------------------------------

def nspawn_cgroup_dirs() -> list:
    """Where systemd-nspawn is put: the hierarchies it manages (name=systemd v1 and cgroup2).

    With --keep-unit nspawn makes "payload" and "supervisor" groups below its own cgroup; started
    from the root cgroup they would land in the root. A group of our own keeps them named.
    """
    return [os.path.join(mp, NSPAWN_NAME) for mp, fstype, opts in cgroup_mounts()
            if fstype == "cgroup2" or "name=systemd" in opts]


# ---- the tools ----------------------------------------------------------------------------------
# Each runner: create() once; start() returns the init's host pid once it has exec'd; stop()
# returns once the container is down; destroy() removes everything the runner made. The caller
# times start() and stop() and nothing else.

class Vzkit:
    key, label = "vzkit", "vzkit"

    def __init__(self, work: Work, api, *, stop_timeout: int):
        self.work, self.api, self.stop_timeout = work, api, stop_timeout
        self.busybox = None
        self.warnings = []

    def _ensure(self, state: str, **extra) -> dict:
        """One runtime call, as the module makes it: a fresh Host and a spec built from params."""
        host = self.api.Host()
        spec = self.api.ContainerSpec.from_params(dict(ctid=CTID, state=state, vz_conf=self.work.vz_conf,
                                                       stop_timeout=self.stop_timeout, **extra))
        result = self.api.ensure(spec, host)
        self.warnings.extend(host.warnings)
        return result["container"]

    def create(self) -> None:
        self._ensure("stopped", ostemplate="busybox")
        self.busybox = file_id(os.path.join(self.work.private, "bin", "busybox"))

    def start(self) -> int:
        c = self._ensure("started")
        if c["state"] != "running" or not c["init_pid"]:
            raise BenchError("vzkit: started container reports state %s, init pid %s" % (c["state"], c["init_pid"]))
        pid = c["init_pid"]
        # ensure() returns after exec; the same check as for the peers confirms it (one /proc read).
        return wait_init(lambda: [pid], self.busybox, timeout=10)

    def stop(self) -> None:
        c = self._ensure("stopped")
        if c["state"] != "stopped":
            raise BenchError("vzkit: stopped container reports state %s" % c["state"])

    def destroy(self) -> None:
        try:
            self._ensure("absent")
        finally:
            for mp, _fstype, _opts in cgroup_mounts():  # only if the runtime left its parent behind
                remove_cgroup_tree(os.path.join(mp, CGROUP_PARENT))


class Lxc:
    key, label = "lxc", "LXC"

    def __init__(self, work: Work):
        self.path = work.lxcpath
        self.dir = os.path.join(self.path, LXC_NAME)
        self.rootfs = os.path.join(self.dir, "rootfs")
        self.pidfile = os.path.join(self.dir, "monitor.pid")
        self.cache = work.cache
        self.busybox = None

    def _argv(self, prog: str, *extra) -> list:
        return [which(prog) or prog, "-n", LXC_NAME, "-P", self.path] + list(extra)

    def config(self) -> str:
        lines = ["# LXC peer of bench/start_stop.py: Debian's common.conf, the busybox tree, no network"]
        if os.path.exists(LXC_COMMON):
            lines.append("lxc.include = " + LXC_COMMON)
        lines += ["lxc.uts.name = " + LXC_NAME,
                  "lxc.rootfs.path = dir:" + self.rootfs,
                  "lxc.init.cmd = /sbin/init",
                  "lxc.signal.halt = SIGUSR2",       # busybox init powers off on SIGUSR2
                  "lxc.net.0.type = empty",          # a network namespace with loopback only, as vzkit
                  "lxc.apparmor.profile = unconfined",
                  "lxc.log.file = " + os.path.join(self.dir, "lxc.log"),
                  "lxc.log.level = ERROR",
                  "lxc.console.logfile = " + os.path.join(self.dir, "console.log")]
        return "\n".join(lines) + "\n"

    def create(self) -> None:
        unpack(self.cache, self.rootfs)
        with open(os.path.join(self.dir, "config"), "w", encoding="utf-8") as fh:
            fh.write(self.config())
        self.busybox = file_id(os.path.join(self.rootfs, "bin", "busybox"))

    def start(self) -> int:
        run(self._argv("lxc-start", "-d", "-p", self.pidfile))
        run(self._argv("lxc-wait", "-s", "RUNNING", "-t", "10"))
        monitor = int(read_text(self.pidfile).strip() or 0)  # the daemonized lxc-start: init's parent
        if not monitor:
            raise BenchError("lxc-start -p %s wrote no pid; see %s" % (self.pidfile, os.path.join(self.dir, "lxc.log")))
        return wait_init(lambda: children(monitor), self.busybox, timeout=10)

    def stop(self) -> None:
        run(self._argv("lxc-stop"))  # asks init with lxc.signal.halt and waits (60s, then kills)

    def destroy(self) -> None:
        if os.path.exists(os.path.join(self.dir, "config")):
            state = run(self._argv("lxc-info", "-s", "-H"), check=False).stdout.strip()
            if state not in ("STOPPED", ""):
                run(self._argv("lxc-stop", "-k"), check=False)
            run(self._argv("lxc-destroy"), check=False)
        # LXC keeps per-lxcpath lock files in /run/lxc/lock/<lxcpath>: ours only, then empty parents.
        lock = os.path.normpath("/run/lxc/lock/" + self.path.lstrip("/"))
        shutil.rmtree(lock, ignore_errors=True)
        parent = os.path.dirname(lock)
        while parent.startswith("/run/lxc/lock/"):
            try:
                os.rmdir(parent)
            except OSError:
                break
            parent = os.path.dirname(parent)
        for d in own_cgroup_dirs():  # LXC removes these itself at stop; only leftovers go here
            for name in ("lxc.payload." + LXC_NAME, "lxc.monitor." + LXC_NAME):
                remove_cgroup_tree(os.path.join(d, name))


class Nspawn:
    key, label = "nspawn", "systemd-nspawn"

    def __init__(self, work: Work, *, stop_timeout: int):
        self.tree = os.path.join(work.nspawn_dir, NSPAWN_NAME)  # the directory name is the machine name
        self.log_path = os.path.join(work.nspawn_dir, "console.log")
        self.cache = work.cache
        self.stop_timeout = stop_timeout
        self.groups = nspawn_cgroup_dirs()
        self.proc = None
        self.log = None
        self.busybox = None
        self.lock = None

    def argv(self) -> list:
        return [which("systemd-nspawn") or "systemd-nspawn", "--quiet",
                "--directory=" + self.tree, "--boot",   # --boot: the tree's /sbin/init is pid 1
                "--register=no", "--keep-unit",         # no systemd as PID 1 here: no machined, no scope unit
                "--console=pipe",                       # no tty: the console is our log file, as in vzkit
                "--private-network",                    # loopback only, as vzkit and lxc.net.0.type = empty
                "--kill-signal=SIGUSR2"]                # what nspawn sends init on SIGTERM; busybox powers off

    def create(self) -> None:
        unpack(self.cache, self.tree)
        self.busybox = file_id(os.path.join(self.tree, "bin", "busybox"))
        # nspawn locks the tree with a file named after its inode; one it was killed with stays behind.
        st = os.stat(self.tree)
        self.lock = "/run/systemd/nspawn/locks/inode-%d:%d" % (st.st_dev, st.st_ino)
        for g in self.groups:
            os.makedirs(g, exist_ok=True)
        self.log = open(self.log_path, "ab")  # opened once, outside the timed part

    def _enter_cgroups(self) -> None:
        # Runs in the child between fork and exec: writing "0" moves the writer itself.
        for g in self.groups:
            with open(os.path.join(g, "cgroup.procs"), "w", encoding="ascii") as fh:
                fh.write("0")

    def start(self) -> int:
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, close_fds=True, start_new_session=True,
                                     preexec_fn=self._enter_cgroups)
        proc = self.proc
        try:
            return wait_init(lambda: children(proc.pid), self.busybox, timeout=10,
                             alive=lambda: proc.poll() is None)
        except BenchError as exc:
            raise BenchError("systemd-nspawn: %s (exit %s); log: %s" % (exc, proc.poll(), tail(self.log_path)))

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        proc.send_signal(signal.SIGTERM)  # nspawn passes --kill-signal to init and waits for it
        try:
            rc = proc.wait(timeout=self.stop_timeout + 30)
        except subprocess.TimeoutExpired:
            self.proc = proc
            raise BenchError("systemd-nspawn did not exit %ds after SIGTERM" % (self.stop_timeout + 30))
        if rc != 0:
            raise BenchError("systemd-nspawn exited with %d; log: %s" % (rc, tail(self.log_path)))

    def destroy(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGTERM)  # a second SIGTERM: nspawn terminates at once
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()  # the container's processes go with the cgroup sweep below
                    proc.wait()
        if self.log is not None:
            self.log.close()
            self.log = None
        for g in self.groups:
            remove_cgroup_tree(g)
        if self.lock and os.path.exists(self.lock):
            os.unlink(self.lock)
        # nspawn's mount-propagation dir for this machine name; a killed nspawn leaves it (empty).
        propagate = "/run/systemd/nspawn/propagate/" + NSPAWN_NAME
        if os.path.isdir(propagate) and not os.path.islink(propagate):
            os.rmdir(propagate)


class VzkitAnsible(Vzkit):
    """The same container driven through the module: `ansible localhost -m vzkit.vz.vz_container`."""

    key, label = "vzkit-ansible", "vzkit via ansible"

    def __init__(self, work: Work, api, *, stop_timeout: int, ansible: str):
        super().__init__(work, api, stop_timeout=stop_timeout)
        self.ansible = ansible
        home = os.path.join(work.root, "ansible")
        os.makedirs(os.path.join(home, "tmp"), mode=0o700, exist_ok=True)
        cfg = os.path.join(home, "ansible.cfg")
        with open(cfg, "w", encoding="ascii") as fh:
            fh.write("[defaults]\n")  # no ansible.cfg of the caller's cwd or home is picked up
        self.env = dict(os.environ, ANSIBLE_CONFIG=cfg, ANSIBLE_HOME=home,
                        ANSIBLE_LOCAL_TEMP=os.path.join(home, "tmp"), ANSIBLE_REMOTE_TEMP=os.path.join(home, "tmp"),
                        TMPDIR=os.path.join(home, "tmp"),  # AnsiballZ unpacks the module there, not in /tmp
                        ANSIBLE_COLLECTIONS_PATH=work.collections, ANSIBLE_NOCOLOR="1",
                        ANSIBLE_DEPRECATION_WARNINGS="0")

    def _ensure(self, state: str, **extra) -> dict:
        args = dict(ctid=CTID, state=state, vz_conf=self.work.vz_conf, stop_timeout=self.stop_timeout, **extra)
        argv = [self.ansible, "localhost", "-i", "localhost,", "-c", "local",
                "-e", "ansible_python_interpreter=" + sys.executable,
                "-m", "vzkit.vz.vz_container", "-a", json.dumps(args)]
        proc = run(argv, check=False, env=self.env, locale="C.UTF-8")  # Ansible refuses a non-UTF-8 locale
        try:  # ad-hoc output: "localhost | CHANGED => {result as JSON}"
            res = json.loads(proc.stdout.partition(" => ")[2])
        except ValueError:
            raise BenchError("ansible: exit %d: %s" % (proc.returncode, (proc.stderr or proc.stdout).strip()[-500:]))
        if res.get("failed"):
            raise BenchError("vz_container failed: %s" % res.get("msg"))
        self.warnings.extend(res.get("warnings", []))
        return res["container"]

    def create(self) -> None:
        self.busybox = file_id(os.path.join(self.work.private, "bin", "busybox"))

    def destroy(self) -> None:
        pass  # the in-process runner owns the container and removes it


# ---- measuring ----------------------------------------------------------------------------------

@dataclass
class Samples:
    start: list = field(default_factory=list)
    boot: list = field(default_factory=list)
    stop: list = field(default_factory=list)


def init_gone(pid: int, busybox: tuple) -> bool:
    """The init has exited (gone, or a zombie its new parent has not reaped yet)."""
    stat = read_text("/proc/%d/stat" % pid)
    return not stat or stat[stat.rindex(")") + 2:].split()[0] in ("Z", "X") or not is_container_init(pid, busybox)


def cycle(runner, settle: float) -> tuple:
    """One start and one stop; (start ms, start-to-first-service ms, stop ms)."""
    t0 = time.perf_counter()
    pid = runner.start()
    t1 = time.perf_counter()
    if not wait_booted(pid, timeout=10):
        raise BenchError("%s: busybox init started no syslogd within 10s" % runner.label)
    t2 = time.perf_counter()
    time.sleep(settle)  # untimed: let the boot's own writes and the tool's bookkeeping settle
    t3 = time.perf_counter()
    runner.stop()
    t4 = time.perf_counter()
    if not init_gone(pid, runner.busybox):
        raise BenchError("%s: stop returned but init %d still runs" % (runner.label, pid))
    time.sleep(settle)
    return ms(t1 - t0), ms(t2 - t0), ms(t4 - t3)


def measure(runners, *, runs: int, warmup: int, settle: float, failures: dict) -> dict:
    """Interleave the tools round by round, rotating who goes first; drop a peer that fails."""
    samples = {r.key: Samples() for r in runners}
    active = list(runners)
    for i in range(warmup + runs):
        if not active:
            break
        k = i % len(active)
        for r in active[k:] + active[:k]:
            try:
                start, boot, stop = cycle(r, settle)
            except BenchError as exc:
                if r.key == "vzkit":
                    raise
                failures[r.key] = "%s failed in %s round %d: %s" % (
                    r.label, "warm-up" if i < warmup else "measured", i + 1, exc)
                print("  %s: %s; measuring the others" % (r.label, exc), flush=True)
                active.remove(r)
                continue
            tag = "warm-up" if i < warmup else "run %d/%d" % (i - warmup + 1, runs)
            print("  %-9s %-16s start %8.1f ms  first service %8.1f ms  stop %8.1f ms"
                  % (tag, r.label, start, boot, stop), flush=True)
            if i >= warmup:
                samples[r.key].start.append(start)
                samples[r.key].boot.append(boot)
                samples[r.key].stop.append(stop)
    return samples


def summary(values) -> tuple | None:
    return (min(values), statistics.median(values), max(values)) if values else None


# ---- the report ---------------------------------------------------------------------------------

DEFINITIONS = {
    "vzkit": (
        "from calling `ensure(ContainerSpec(state=started))` in-process (mount the root area, create "
        "the cgroups `vzbench/bench1`, fork, unshare, pivot_root, exec `/sbin/init`, write the init "
        "record) until it returns. `ensure` returns only after the init has exec'd (a close-on-exec "
        "pipe reaches EOF); the same /proc check as for the peers confirms it.",
        "from calling `ensure(state=stopped)` until it returns: SIGUSR2 to init, wait for it to exit, "
        "kill what is left in the cgroups, remove them and the run dir, unmount the root area."),
    "lxc": (
        "from running `lxc-start -n vzbench-lxc -P LXCPATH -d -p PIDFILE` (returns once the container "
        "is started) and `lxc-wait -s RUNNING -t 10`, until the monitor's child is pid 1 of its own pid "
        "namespace and runs the tree's busybox (same inode), polled every 0.5 ms.",
        "from running `lxc-stop -n vzbench-lxc -P LXCPATH` until it returns: LXC sends "
        "`lxc.signal.halt` (SIGUSR2) and waits for STOPPED (60 s, then kills)."),
    "nspawn": (
        "from spawning `systemd-nspawn --quiet -D TREE -b --register=no --keep-unit --console=pipe "
        "--private-network --kill-signal=SIGUSR2` in the background (its stdout a log file, first moved "
        "into the cgroup `vzbench-nspawn`), until nspawn's child is pid 1 of its own pid namespace and "
        "runs the tree's busybox (same inode), polled every 0.5 ms.",
        "from SIGTERM to systemd-nspawn (which sends `--kill-signal`, SIGUSR2, to init) until nspawn "
        "has exited (waitpid), i.e. after it has torn the container down."),
    "vzkit-ansible": (
        "`ansible localhost -c local -m vzkit.vz.vz_container -a '{ctid: bench1, state: started, ...}'` "
        "until the command exits; includes Ansible's own start-up (controller, AnsiballZ, module "
        "interpreter): a user's view, not comparable with the peers.",
        "the same with `state: stopped`."),
}


def package_versions() -> dict:
    proc = run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n", "lxc", "systemd-container",
                "busybox-static"], check=False) if which("dpkg-query") else None
    return dict(line.split(" ", 1) for line in (proc.stdout if proc else "").splitlines() if " " in line)


def environment(api, args, load_start: float, revision: str) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in read_text("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.machine())
    versions = package_versions()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "kernel": "%s (%s)" % (platform.release(), platform.version()),
        "CPU": "%d cores, %s" % (os.cpu_count() or 0, cpu),
        "cgroups": api.cgroups.detect().mode,
        "PID 1": read_text("/proc/1/comm").strip() or "unknown",
        "orphans reaped": orphan_reap_delay(),
        "load average (1 min) at start / end": "%.2f / %.2f" % (load_start, os.getloadavg()[0]),
        "vzkit": revision,
        "lxc": versions.get("lxc", "not installed"),
        "systemd-container": versions.get("systemd-container", "not installed"),
        "busybox-static": versions.get("busybox-static", "not installed"),
        "Python": platform.python_version(),
        "runs": "%d measured per tool after %d warm-up round(s); tools interleaved, first tool rotated "
                "each round; %.2f s pause after boot and after stop (untimed)" % (args.runs, args.warmup, args.settle),
    }


def results_table(runners, samples) -> list:
    out = ["| tool | start min | start median | start max | stop min | stop median | stop max |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in runners:
        s, t = summary(samples[r.key].start), summary(samples[r.key].stop)
        if s and t:
            out.append("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |" % ((r.label,) + s + t))
        else:
            out.append("| %s | n/a | n/a | n/a | n/a | n/a | n/a |" % r.label)
    return out


def ratios_table(runners, samples) -> list:
    out = ["| ratio | start min | start median | stop min | stop median |",
           "| --- | ---: | ---: | ---: | ---: |"]
    base_s, base_t = summary(samples["vzkit"].start), summary(samples["vzkit"].stop)
    for r in runners:
        if r.key in ("vzkit", "vzkit-ansible"):
            continue
        s, t = summary(samples[r.key].start), summary(samples[r.key].stop)
        out.append("| vzkit / %s | %s | %s | %s | %s |" % (
            r.label, ratio(base_s[0], s and s[0]), ratio(base_s[1], s and s[1]),
            ratio(base_t[0], t and t[0]), ratio(base_t[1], t and t[1])))
    return out


def boot_table(runners, samples) -> list:
    out = ["| tool | min | median | max |", "| --- | ---: | ---: | ---: |"]
    for r in runners:
        b = summary(samples[r.key].boot)
        out.append("| %s | %s |" % (r.label, " | ".join("%.1f" % v for v in b) if b else "n/a | n/a | n/a"))
    return out


def raw_table(runners, samples) -> list:
    head = "| run | " + " | ".join("%s start | %s stop" % (r.label, r.label) for r in runners) + " |"
    out = [head, "|" + " ---: |" * (1 + 2 * len(runners))]
    for i in range(max(len(samples[r.key].start) for r in runners)):
        cells = []
        for r in runners:
            s = samples[r.key]
            cells += ["%.1f" % s.start[i], "%.1f" % s.stop[i]] if i < len(s.start) else ["", ""]
        out.append("| %d | %s |" % (i + 1, " | ".join(cells)))
    return out


def notes(failures: dict, warnings: dict) -> list:
    out = []
    for msg in failures.values():
        out.append("- **Not measured:** `%s`" % " | ".join(msg.splitlines()).replace("`", "'"))
    for msg, count in sorted(warnings.items()):
        out.append("- vzkit warned %d time(s): \"%s\"" % (count, msg))
    out.append("- Busybox init's own shutdown dominates every stop: on SIGUSR2 it runs the inittab "
               "`shutdown` action, sends SIGTERM to all, sleeps 1 s, sends SIGKILL to all, sleeps 1 s, "
               "then calls reboot(), which ends a pid namespace's init. About 2 s of each stop is the "
               "same for all tools; the differences are each tool's own work around it.")
    return out


def render(rep: dict) -> str:
    runners, samples = rep["runners"], rep["samples"]
    lines = ["## Start/stop latency: vzkit vs LXC vs systemd-nspawn", "",
             "Generated by `bench/start_stop.py` (see `bench/README.md`). Reproduce from the repository root:", "",
             "    " + rep["command"], "", "### Host", "", "| | |", "| --- | --- |"]
    lines += ["| %s | %s |" % (k, v) for k, v in rep["env"].items()]
    lines += ["", "### Latency (ms)", ""] + results_table(runners, samples)
    lines += ["", "### Ratios (vzkit ÷ peer; below 1.00 means vzkit is faster)", ""] + ratios_table(runners, samples)
    lines += ["", "### Start to first service (ms, not in the ratios)", "",
              "From the same start instant until busybox init has run `/etc/init.d/rcS` and respawned "
              "`syslogd`: the container is up, whoever started it.", ""] + boot_table(runners, samples)
    if rep.get("ansible"):
        lines += ["", "### vzkit through Ansible (optional; fewer runs, not compared)", ""]
        lines += results_table([rep["ansible"]], rep["ansible_samples"])
    lines += ["", "### Definitions", ""]
    for r in runners + ([rep["ansible"]] if rep.get("ansible") else []):
        start, stop = DEFINITIONS[r.key]
        lines += ["- **%s** start: %s Stop: %s" % (r.label, start, stop)]
    lines += ["- Times are wall-clock (`time.perf_counter`) in the benchmark process; min, median and max "
              "over the measured runs; a ratio divides vzkit's figure by the peer's same figure."]
    lines += ["", "### Notes", ""] + notes(rep["failures"], rep["warnings"])
    lines += ["", "<details><summary>Every measured run (ms)</summary>", ""] + raw_table(runners, samples)
    lines += ["", "</details>", ""]
    return "\n".join(lines)


# ---- preflight, set-up, clean-up ----------------------------------------------------------------

def busybox_static_installed() -> bool:
    if which("dpkg-query"):
        status = run(["dpkg-query", "-W", "-f", "${Status}", "busybox-static"], check=False).stdout
        return status.strip().endswith("install ok installed") and os.access("/bin/busybox", os.X_OK)
    return os.access("/bin/busybox", os.X_OK)


def preflight(tools) -> None:
    """Root, and every program the chosen tools need; a missing one names its Debian package."""
    if os.geteuid() != 0:
        raise BenchError("run as root: containers need namespaces, mounts and cgroups "
                         "(sudo .venv/bin/python bench/start_stop.py)")
    missing = {}
    for tool in tools:
        for prog, package in PROGRAMS[tool]:
            if not which(prog):
                missing.setdefault(package, []).append(prog)
    if not busybox_static_installed():
        missing.setdefault("busybox-static", []).append("/bin/busybox (a static, full busybox)")
    if missing:
        lines = ["  %s: missing %s" % (pkg, ", ".join(progs)) for pkg, progs in sorted(missing.items())]
        raise BenchError("Debian packages missing (this script installs nothing):\n%s\ninstall them with:\n"
                         "  apt-get install -y --no-install-recommends %s"
                         % ("\n".join(lines), " ".join(sorted(missing))))


def leftovers(work: Work, busyboxes) -> list:
    """What this run may have left: mounts under the work dir, vzbench cgroups, processes."""
    found = ["mount %s" % m for m in work.mounts()]
    for base in sorted({mp for mp, _f, _o in cgroup_mounts()} | set(own_cgroup_dirs())):
        try:
            names = os.listdir(base)
        except OSError:
            continue
        found += ["cgroup %s" % os.path.join(base, n) for n in names if "vzbench" in n]
    mine = ancestors()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in mine:
            continue
        args = [a for a in read_text("/proc/%s/cmdline" % entry).split("\0") if a]
        try:
            exe = file_id("/proc/%s/exe" % entry)
        except OSError:
            exe = None
        # Whole words only: the LXC monitor renames itself "[lxc monitor] LXCPATH NAME" in one argument.
        words = " ".join(args).split()
        if exe in busyboxes or any(w == work.root or w.startswith(work.root + "/") for w in words):
            found.append("process %s: %s" % (entry, " ".join(args)[:120]))
    return found


def cleanup(work: Work, runners, *, keep: bool, made_work: bool) -> list:
    """Destroy what the runners made (last made, first gone), check, remove the work dir."""
    Signals.cleaning = True
    for r in reversed(runners):
        try:
            r.destroy()
        except Exception as exc:  # keep cleaning; report every failure
            print("cleanup: %s: %s" % (r.label, exc), file=sys.stderr)
    left = leftovers(work, [r.busybox for r in runners if r.busybox])
    if made_work and not keep:
        try:
            work.remove()
        except BenchError as exc:
            left.append(str(exc))
    if left:
        print("cleanup: left behind:\n  " + "\n  ".join(left), file=sys.stderr)
    else:
        print("cleanup: no mounts, vzbench cgroups or processes left%s"
              % ("; work dir kept: %s" % work.root if keep and made_work else ""))
    return left


def make_runners(args, work: Work, api) -> list:
    runners = [Vzkit(work, api, stop_timeout=args.stop_timeout)]
    if "lxc" in args.tools:
        runners.append(Lxc(work))
    if "nspawn" in args.tools:
        runners.append(Nspawn(work, stop_timeout=args.stop_timeout))
    return runners


def create_all(runners, failures: dict) -> list:
    """Create each tool's container; a peer that cannot even be set up is reported, not fatal."""
    ready = []
    for r in runners:
        try:
            r.create()
            ready.append(r)
        except (BenchError, OSError) as exc:
            if r.key == "vzkit":
                raise
            failures[r.key] = "%s set-up failed: %s" % (r.label, exc)
    return ready


def measure_ansible(args, work: Work, api, failures: dict):
    """Optional: the same container through `ansible localhost -m vzkit.vz.vz_container`."""
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    ansible = ansible if os.access(ansible, os.X_OK) else which("ansible")
    if not ansible:
        failures["vzkit-ansible"] = "vzkit via ansible: no ansible next to %s or in PATH" % sys.executable
        return None, None
    runner = VzkitAnsible(work, api, stop_timeout=args.stop_timeout, ansible=ansible)
    runner.create()
    print("vzkit through Ansible: %d run(s) after 1 warm-up" % args.ansible_runs, flush=True)
    try:
        samples = measure([runner], runs=args.ansible_runs, warmup=1, settle=args.settle, failures=failures)
    except BenchError as exc:  # measure() re-raises for vzkit keys only; this one is optional
        failures["vzkit-ansible"] = "vzkit via ansible: %s" % exc
        return None, None
    return runner, samples


def reproduce_command(argv) -> str:
    py = sys.executable
    if py.startswith(REPO + os.sep):
        py = os.path.relpath(py, REPO)
    return "sudo " + shlex.join([py, "bench/start_stop.py"] + list(argv))


def run_bench(args, argv, work: Work, runners: list) -> str:
    """Set up, measure, write the report; ``runners`` is filled as containers are made (for cleanup)."""
    load_start = os.getloadavg()[0]
    write_vz_conf(work)
    print("building the busybox template into %s" % work.cache, flush=True)
    build_template(work)
    link_collection(work, args.source)
    api = load_runtime(work)
    revision = vzkit_revision(args.source)  # now: the code imported is the code on disk at this moment
    print("vzkit runtime: %s, %s" % (api.source, revision), flush=True)
    failures, wanted = {}, make_runners(args, work, api)
    runners.extend(wanted)  # before create: a half-made container is cleaned up too
    active = create_all(wanted, failures)
    print("measuring %s: %d run(s) after %d warm-up round(s)" % (", ".join(r.label for r in active), args.runs,
                                                                 args.warmup), flush=True)
    samples = measure(active, runs=args.runs, warmup=args.warmup, settle=args.settle, failures=failures)
    for r in wanted:
        samples.setdefault(r.key, Samples())
    rep = {"runners": wanted, "samples": samples, "failures": failures, "command": reproduce_command(argv)}
    if args.ansible_runs > 0:
        rep["ansible"], rep["ansible_samples"] = measure_ansible(args, work, api, failures)
    warnings = {}
    for r in wanted + ([rep["ansible"]] if rep.get("ansible") else []):
        for w in getattr(r, "warnings", []):
            warnings[w] = warnings.get(w, 0) + 1
    rep["warnings"] = warnings
    rep["env"] = environment(api, args, load_start, revision)
    return render(rep)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Start/stop latency of the busybox container: vzkit vs LXC "
                                            "vs systemd-nspawn, as ratios. Run as root.")
    p.add_argument("--runs", type=int, default=20, help="measured start/stop cycles per tool (default 20)")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first (default 1)")
    p.add_argument("--settle", type=float, default=0.2,
                   help="untimed pause in seconds after boot and after stop (default 0.2)")
    p.add_argument("--tools", default="vzkit,lxc,nspawn", help="comma-separated: vzkit,lxc,nspawn (vzkit always)")
    p.add_argument("--ansible-runs", type=int, default=5,
                   help="also time the module through `ansible localhost` this many times (default 5; 0: skip)")
    p.add_argument("--stop-timeout", type=int, default=60, help="vzkit stop_timeout, seconds (default 60)")
    p.add_argument("--workdir", default="/tmp/vzkit-bench", help="work dir (default /tmp/vzkit-bench)")
    p.add_argument("--keep", action="store_true", help="keep the work dir (logs, configs, template)")
    p.add_argument("--source", choices=("worktree", "head"), default="worktree",
                   help="vzkit code: the repo as it is (default) or its committed HEAD (git archive)")
    p.add_argument("--output", default=DEFAULT_OUTPUT, help="Markdown report (default bench/RESULTS.md)")
    args = p.parse_args(argv)
    args.tools = ["vzkit"] + [t for t in (x.strip() for x in args.tools.split(",")) if t and t != "vzkit"]
    bad = [t for t in args.tools if t not in TOOLS]
    if bad or args.runs < 1 or args.warmup < 0 or args.settle < 0:
        p.error("unknown tool(s) %s" % ", ".join(bad) if bad else "--runs >= 1, --warmup and --settle >= 0")
    return args


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    install_signal_handlers()
    work = Work(args.workdir)
    try:
        preflight(args.tools)
        work.check()
        work.prepare()
    except BenchError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    runners, rc = [], 0
    try:
        text = run_bench(args, argv, work, runners)
        write_section(args.output, SECTION, text)
        print("\n" + text[text.index("### Latency"):text.index("### Start to first service")].rstrip())
        print("written to %s" % args.output)
    except BenchError as exc:
        print("error: %s" % exc, file=sys.stderr)
        rc = 1
    except KeyboardInterrupt:
        print("interrupted: cleaning up", file=sys.stderr)
        rc = 130
    except SystemExit as exc:
        print("terminated: cleaning up", file=sys.stderr)
        rc = exc.code if isinstance(exc.code, int) else 1
    finally:
        left = cleanup(work, runners, keep=args.keep, made_work=True)
    if Signals.pending and not rc:  # interrupted during the clean-up itself: still say so
        rc = 128 + Signals.pending[0]
    return rc or (3 if left else 0)


if __name__ == "__main__":
    sys.exit(main())
