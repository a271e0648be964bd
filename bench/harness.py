# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the benchmark scripts share: commands, signals, the results file, the work dir's guards, cgroup
clean-up, and loading vzkit's runtime in-process. Imported by bench/start_stop.py and bench/create.py
(bench/ is on sys.path when a script runs as `python bench/<script>.py`).
"""
from __future__ import annotations

import importlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import types

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO, "bench", "RESULTS.md")
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])


class BenchError(Exception):
    """An expected failure, reported as one line (no traceback)."""


# ---- signals: Ctrl-C and SIGTERM end the run through the cleanup, never around it ------------

class Signals:
    cleaning = False  # set while cleaning up: a second Ctrl-C must not cut the cleanup short
    pending = []


def _on_signal(signum, _frame):
    if Signals.cleaning:
        Signals.pending.append(signum)
        return
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def install_signal_handlers() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)


# ---- small helpers ----------------------------------------------------------------------------

def which(name: str) -> str | None:
    return shutil.which(name, path=SBIN_PATH)


def run(argv, *, check: bool = True, env=None, locale: str = "C") -> subprocess.CompletedProcess:
    """Run a command (argv list, never a shell) with a fixed locale; a failure says what failed."""
    env = dict(env or os.environ, LC_ALL=locale, LANG=locale)
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, close_fds=True, check=False)
    if check and proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip().splitlines()
        raise BenchError("%s: exit %d: %s" % (shlex.join(argv), proc.returncode, " | ".join(msg[-5:])))
    return proc


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def tail(path: str, lines: int = 5) -> str:
    return " | ".join(read_text(path).strip().splitlines()[-lines:])


def ms(seconds: float) -> float:
    return seconds * 1000.0


# ---- RESULTS.md: one section per benchmark script ------------------------------------------

RESULTS_TITLE = ("# Benchmark results\n\n"
                 "Each section is written by one script in `bench/` (see [`README.md`](README.md)), which "
                 "rewrites only its own section, between its `begin` and `end` markers, and leaves the "
                 "others as they are.\n")


def section_markers(name: str) -> tuple:
    return "<!-- %s:begin -->" % name, "<!-- %s:end -->" % name


def replace_section(text: str, name: str, body: str) -> str:
    """``text`` with section ``name`` (markers included) replaced by ``body``, or appended if absent.

    Everything outside the section stays byte for byte. Markers that are unbalanced, duplicated or out
    of order are an error: the file was edited by hand and nothing is overwritten.
    """
    begin, end = section_markers(name)
    block = "%s\n%s\n%s" % (begin, body.strip("\n"), end)
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == begin]
    ends = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == end]
    if not starts and not ends:
        base = text if text.strip() else RESULTS_TITLE
        return base.rstrip("\n") + "\n\n" + block + "\n"
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise BenchError("the %s section of the results file has %d begin and %d end marker(s) (%s ... %s): "
                         "fix it by hand" % (name, len(starts), len(ends), begin, end))
    tail_nl = "\n" if lines[ends[0]].endswith("\n") else ""
    return "".join(lines[:starts[0]]) + block + tail_nl + "".join(lines[ends[0] + 1:])


def write_section(path: str, name: str, body: str) -> None:
    """Rewrite section ``name`` of the results file at ``path`` (through a temporary file and rename)."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    new = replace_section(text, name, body)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(new)
    os.replace(tmp, path)


# ---- the work dir ------------------------------------------------------------------------------

SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/-]+$")
NEVER = ("/", "/tmp", "/var", "/var/tmp", "/root", "/home", "/vz", "/etc", "/etc/vz", "/run", "/run/vz",
         "/var/log/vz", "/usr", "/srv", "/opt")


def mountpoints(path: str = "/proc/self/mountinfo") -> list:
    out = []
    for line in read_text(path).splitlines():
        fields = line.split(" ")
        if len(fields) > 4:
            out.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4]))
    return out


def vz_conf_text(script: str, root: str, *, private: str, template: str, cgroup_parent: str) -> str:
    """A vz.conf that keeps a benchmark's containers inside its work dir (shared by the bench scripts)."""
    return ("# vz.conf of %s: nothing outside %s, cgroups below %s\n" % (script, root, cgroup_parent)
            + 'VE_ROOT="%s/vz/root/$VEID"\n' % root
            + 'VE_PRIVATE="%s/$VEID"\n' % private
            + 'TEMPLATE="%s"\n' % template
            + 'VE_LAYOUT="simfs"\n'
            + 'LOCKDIR="%s/vz/lock"\n' % root
            + 'VZ_RUN_DIR="%s/run"\n' % root
            + 'VZ_LOG_DIR="%s/log"\n' % root
            + 'VZ_CGROUP_PARENT="%s"\n' % cgroup_parent)


def link_collection(work, source: str) -> None:
    """ansible_collections/vzkit/vz inside the work dir: a link to the repo, or a copy of HEAD."""
    parent = os.path.join(work.collections, "ansible_collections", "vzkit")
    os.makedirs(parent, mode=0o755, exist_ok=True)
    dest = os.path.join(parent, "vz")
    if source == "worktree":
        os.symlink(REPO, dest)
        return
    # --source head: the committed runtime, read with git archive (which writes nothing to the repo).
    os.mkdir(dest)
    git = subprocess.Popen(["git", "--no-optional-locks", "-C", REPO, "archive", "--format=tar", "HEAD"],
                           stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    untar = subprocess.run(["tar", "-x", "-f", "-", "-C", dest], stdin=git.stdout, capture_output=True, check=False)
    git.stdout.close()
    if git.wait() != 0 or untar.returncode != 0:
        raise BenchError("could not export HEAD of %s: %s" % (REPO, untar.stderr.decode(errors="replace")))


def load_runtime(work) -> types.SimpleNamespace:
    """Import vzkit's runtime in-process, the way modules reach it: through ansible_collections."""
    sys.path.insert(0, work.collections)
    base = "ansible_collections.vzkit.vz.plugins.module_utils."
    container = importlib.import_module(base + "_container._ensure")
    return types.SimpleNamespace(ensure=container.ensure,
                                 ContainerSpec=importlib.import_module(base + "_spec").ContainerSpec,
                                 Host=importlib.import_module(base + "_host").Host,
                                 cgroups=importlib.import_module(base + "_cgroups._hierarchy"),
                                 source=os.path.dirname(os.path.dirname(container.__file__)))


def cgroup_mounts() -> list:
    """(mount point, fstype, super options) of every cgroup hierarchy."""
    out = []
    for line in read_text("/proc/self/mountinfo").splitlines():
        left, _sep, right = line.partition(" - ")
        r = right.split(" ")
        if len(r) > 2 and r[0] in ("cgroup", "cgroup2"):
            out.append((left.split(" ")[4], r[0], set(r[2].split(","))))
    return out


def own_cgroup_dirs() -> list:
    """The directories of this process's own cgroup in every hierarchy (LXC nests below them)."""
    own = [line.split(":", 2) for line in read_text("/proc/self/cgroup").splitlines() if line.count(":") >= 2]
    out = []
    for mp, fstype, opts in cgroup_mounts():
        for _hid, ctrls, path in own:
            if (fstype == "cgroup2" and not ctrls) or (fstype == "cgroup" and ctrls and set(ctrls.split(",")) <= opts):
                out.append(os.path.join(mp, path.lstrip("/")))
    return out


def remove_cgroup_tree(path: str) -> None:
    """Kill whatever is left in a cgroup subtree, then remove it bottom-up."""
    if not os.path.isdir(path):
        return
    for _attempt in range(100):
        pids = [int(p) for d, _dirs, _files in os.walk(path)
                for p in read_text(os.path.join(d, "cgroup.procs")).split()]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    for d, _dirs, _files in sorted(os.walk(path), key=lambda w: -len(w[0])):
        for _attempt in range(50):
            try:
                os.rmdir(d)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.02)  # the last task may still be leaving


def ratio(a, b) -> str:
    return "%.2f" % (a / b) if a is not None and b else "n/a"


def vzkit_revision(source: str) -> str:
    head = run(["git", "--no-optional-locks", "-C", REPO, "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
    if not head:
        return "unknown (not a git checkout)"
    if source == "head":
        return "%s (HEAD, exported with git archive)" % head
    dirty = run(["git", "--no-optional-locks", "-C", REPO, "status", "--porcelain", "--", "plugins"],
                check=False).stdout.strip()
    return "%s%s" % (head, " + uncommitted changes in plugins/" if dirty else " (plugins/ clean)")


def ancestors() -> set:
    """This process and its ancestors: their command lines may name the work dir."""
    out, pid = set(), os.getpid()
    while pid > 1 and pid not in out:
        out.add(pid)
        stat = read_text("/proc/%d/stat" % pid)
        pid = int(stat[stat.rindex(")") + 2:].split()[1]) if stat else 0
    return out


# ---- the shape every scripted run has ------------------------------------------------------------

NETNS_MARK = "VZKIT_BENCH_OWN_NETNS"


def in_own_network_namespace(script: str, argv) -> None:
    """Re-run script under `unshare --net` unless it already is: no packet of a benchmark leaves."""
    if os.environ.get(NETNS_MARK) != "1":
        os.execvpe("unshare", ["unshare", "--net", "--", sys.executable, os.path.abspath(script)] + list(argv),
                   dict(os.environ, **{NETNS_MARK: "1"}))


def run_playbook(playbook: str, env: dict, *, inventory: str | None = None) -> float:
    """Seconds for one whole ansible-playbook run (the venv's), which must succeed."""
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook]
    if inventory:
        argv[1:1] = ["-i", inventory]
    started = time.monotonic()
    res = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if res.returncode:
        raise BenchError("%s failed: %s" % (" ".join(argv[1:]), res.stdout[-3000:]))
    return elapsed


def run_measurement(section: str, output: str, *, set_up, measure, tear_down) -> int:
    """Clean, set up, measure (-> the section's text), write it; clean up whatever happened. Exit status."""
    install_signal_handlers()
    rc = 0
    try:
        tear_down()
        set_up()
        text = measure()
        write_section(output, section, text)
        print(text)
        print("written to the %s section of %s" % (section, output))
    except BenchError as exc:
        print("error: %s" % exc, file=sys.stderr)
        rc = 1
    except KeyboardInterrupt:
        rc = 130
    finally:
        Signals.cleaning = True
        tear_down()
    return rc
