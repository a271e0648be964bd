# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Creation speed: vzkit's ``state=present`` from a 300 MB+ template cache against ``tar -x`` of it.

Run as root from the repository root:

    sudo .venv/bin/python bench/create.py --runs 5

Builds (once; kept in the work dir, default /var/tmp/vzkit-bench-create) a Debian 12 tree with
debootstrap (minbase plus developer packages, so that its .tar.zst is over 300 MB), packs it as
TEMPLATE/cache/debian-12-x86_64-bench.tar.zst (and .tar.gz, .tar.xz with --formats), then times,
interleaved round by round in this one process: vzkit creating a container from the cache
(``ensure(state=present)`` in-process), ``tar`` with vzkit's own flags, and a plain ``tar -x``.
The figures and ratios go to this script's section of bench/RESULTS.md.

Everything lives under the work dir: its own vz.conf, template, private area, lock, run and log
dirs. The cgroup parent is "vzbench-create" (ensure(present) makes no cgroup; any found is removed).
At the end only the debootstrap tree and the template caches stay (they are the cache of the next
run); containers, unpacked trees, configs and mounts are removed, on error and on Ctrl-C too.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import platform
import pstats
import resource
import shlex
import stat
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

import harness as common  # bench/ is on sys.path when run as `python bench/create.py`
from start_stop import BenchError, read_text, run, summary

REPO = common.REPO
DEFAULT_OUTPUT = common.DEFAULT_OUTPUT
DEFAULT_WORKDIR = "/var/tmp/vzkit-bench-create"  # /var/tmp: the 1.5 GB tree survives reboots and /tmp cleaners
MARKER = ".vzkit-bench-create"    # marks a work dir as this script's own
SECTION = "create"
CGROUP_PARENT = "vzbench-create"
MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
TEMPLATE = "debian-12-x86_64-bench"
# On top of minbase: a developer's container. Chosen (measured) so that the .tar.zst is over 300 MB.
PACKAGES = ("build-essential", "python3", "perl", "git", "vim", "clang", "golang-go", "default-jdk-headless")
MIN_CACHE = 300 * 1024 * 1024
# format: (extension, compressor used to pack it, tar's own flag for the plain unpack)
FORMATS = {
    "zst": (".tar.zst", "zstd -T0 -3", "--zstd"),
    "gz": (".tar.gz", "gzip -6", "--gzip"),
    "xz": (".tar.xz", "xz -T0 -6", "--xz"),   # -T0: several blocks, so xz may decompress in threads too
}
ENV_C = dict(os.environ, LC_ALL="C", LANG="C")  # what vzkit's Host gives its commands
VARIANTS = ("vzkit", "tar-flags", "tar-plain")
LABELS = {"vzkit": "vzkit `state=present`", "tar-flags": "tar, vzkit's argv", "tar-plain": "plain `tar -x`"}


# ---- the work dir -----------------------------------------------------------------------------

@dataclass
class Work:
    root: str
    fs: str = "ext4-loop"

    def __post_init__(self):
        self.root = r = os.path.normpath(os.path.abspath(self.root))
        self.rootfs = os.path.join(r, "rootfs")              # kept: the debootstrap tree
        self.state = os.path.join(r, "state.json")           # kept: how the tree and caches were made
        self.build_log = os.path.join(r, "debootstrap.log")  # kept
        self.vz_conf = os.path.join(r, "etc", "vz.conf")
        self.image = os.path.join(r, "scratch-ext4.img")     # --fs ext4-loop: the filesystem trees are made on
        self.mnt = os.path.join(r, "mnt")
        base = self.mnt if self.fs == "ext4-loop" else os.path.join(r, "vz")
        self.private = os.path.join(base, "private")         # VE_PRIVATE's parent
        self.tar_dir = os.path.join(base, "tar")
        self.collections = os.path.join(r, "collections")   # what start_stop.load_runtime imports from

    def template(self, fmt: str) -> str:
        """TEMPLATE of format fmt: one per format, since vzkit picks .zst first when a name has several."""
        return os.path.join(self.root, "vz", "template" if fmt == "zst" else "template-" + fmt)

    def cache(self, fmt: str) -> str:
        return os.path.join(self.template(fmt), "cache", TEMPLATE + FORMATS[fmt][0])

    def scratch(self) -> list:
        """Everything a run makes besides the cache: removed at start and at the end."""
        r = self.root
        return [os.path.join(r, "etc"), self.private, os.path.join(r, "vz", "root"), os.path.join(r, "vz", "lock"),
                os.path.join(r, "run"), os.path.join(r, "log"), self.tar_dir, self.collections,
                self.rootfs + ".partial", os.path.join(r, "pack.partial"), self.mnt, self.image,
                os.path.join(r, "vz", "private"), os.path.join(r, "vz", "tar")]  # --fs workdir's places

    def check(self) -> None:
        if not common.SAFE_PATH.match(self.root) or self.root in common.NEVER or "/../" in self.root + "/":
            raise BenchError("--workdir %s: use a dedicated absolute path of letters, digits, '.', '_', '-' "
                             "and '/', such as %s" % (self.root, DEFAULT_WORKDIR))
        if os.path.lexists(self.root) and not os.path.exists(os.path.join(self.root, MARKER)):
            raise BenchError("--workdir %s exists and was not made by this script; remove it or pick another"
                             % self.root)

    def prepare(self) -> None:
        os.makedirs(self.root, mode=0o755, exist_ok=True)
        with open(os.path.join(self.root, MARKER), "w", encoding="ascii") as fh:
            fh.write("made by bench/create.py; rootfs/ and vz/template*/ are its cache, kept between runs\n")
        self.clear()

    def make_areas(self) -> None:
        """Where trees are made (on a fresh filesystem with --fs ext4-loop), and the config dir."""
        if self.fs == "ext4-loop":
            self.mount_scratch()
        for d in (os.path.dirname(self.vz_conf), self.private, self.tar_dir):
            os.makedirs(d, mode=0o755, exist_ok=True)

    def mount_scratch(self, size: int = 8 << 30) -> None:
        """A fresh ext4 (with its journal, as mkfs.ext4 makes it) on a sparse image, loop-mounted on mnt/.

        Fully initialised at mkfs time (no lazy inode-table zeroing in the background during the runs).
        """
        with open(self.image, "wb") as fh:
            fh.truncate(size)
        run(["mkfs.ext4", "-q", "-F", "-L", CGROUP_PARENT, "-E", "lazy_itable_init=0,lazy_journal_init=0,nodiscard",
             self.image])
        os.mkdir(self.mnt, 0o755)
        run(["mount", "-o", "loop", self.image, self.mnt])  # -o loop: the loop device goes with the umount

    def loops(self) -> list:
        """Loop devices backed by a file in the work dir."""
        out = []
        for dev in sorted(os.listdir("/sys/block")):
            backing = read_text(os.path.join("/sys/block", dev, "loop", "backing_file")).strip()
            if backing.startswith(self.root + "/"):
                out.append("/dev/%s (%s)" % (dev, backing))
        return out

    def mounts(self) -> list:
        return [m for m in common.mountpoints() if m == self.root or m.startswith(self.root + "/")]

    def clear(self) -> None:
        """Remove the scratch paths (never below a mount: debootstrap's leftovers are unmounted first)."""
        for m in sorted(self.mounts(), key=len, reverse=True):
            run(["umount", m], check=False)
        left = self.mounts()
        if left:
            raise BenchError("still mounted under %s: %s" % (self.root, ", ".join(left)))
        for _attempt in range(20):  # the kernel detaches an autoclear loop device shortly after the umount
            if not self.loops():
                break
            time.sleep(0.1)
        for loop in self.loops():
            run(["losetup", "-d", loop.split()[0]], check=False)
        for path in self.scratch():
            if os.path.lexists(path):
                run(["rm", "-rf", "--one-file-system", "--", path])

    def load_state(self) -> dict:
        try:
            with open(self.state, encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return {}

    def save_state(self, state: dict) -> None:
        with open(self.state + ".tmp", "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=1, sort_keys=True)
        os.replace(self.state + ".tmp", self.state)


def write_vz_conf(work: Work, fmt: str) -> None:
    """The benchmark's own vz.conf: every path vzkit uses is under the work dir."""
    r = work.root
    text = common.vz_conf_text("bench/create.py", r, private=work.private, template=work.template(fmt),
                               cgroup_parent=CGROUP_PARENT)
    with open(work.vz_conf, "w", encoding="utf-8") as fh:
        fh.write(text)


# ---- the template: debootstrap tree and caches (built once, kept) ------------------------------

def tree_stats(root: str) -> dict:
    """Entries by type, apparent size and disk usage (hard links once) of a tree."""
    out = {"entries": 0, "dirs": 0, "files": 0, "symlinks": 0, "devices": 0, "other": 0, "with_xattrs": 0,
           "apparent_bytes": 0, "disk_bytes": 0}
    seen = set()
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(d, name)
            st = os.lstat(path)
            out["entries"] += 1
            kind = ("dirs" if stat.S_ISDIR(st.st_mode) else "files" if stat.S_ISREG(st.st_mode)
                    else "symlinks" if stat.S_ISLNK(st.st_mode)
                    else "devices" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "other")
            out[kind] += 1
            if not stat.S_ISLNK(st.st_mode) and os.listxattr(path, follow_symlinks=False):
                out["with_xattrs"] += 1
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                out["apparent_bytes"] += st.st_size
                out["disk_bytes"] += st.st_blocks * 512
    return out


def build_rootfs(work: Work, state: dict) -> dict:
    """The debootstrap tree, built once; rebuilt only when the package list changes or it is gone."""
    request = {"suite": SUITE, "mirror": MIRROR, "variant": "minbase", "packages": sorted(PACKAGES)}
    old = state.get("rootfs", {})
    if old.get("request") == request and os.path.isdir(work.rootfs):
        return old
    state.pop("caches", None)
    for path in (work.rootfs, work.rootfs + ".partial"):
        if os.path.lexists(path):
            run(["rm", "-rf", "--one-file-system", "--", path])
    partial = work.rootfs + ".partial"
    argv = [common.which("debootstrap") or "debootstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES),
            SUITE, partial, MIRROR]
    print("building the Debian tree: %s (log: %s)" % (shlex.join(argv), work.build_log), flush=True)
    t0 = time.perf_counter()
    with open(work.build_log, "w", encoding="utf-8") as log:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=ENV_C,
                              check=False)
    if proc.returncode != 0:
        raise BenchError("debootstrap failed (exit %d); see %s" % (proc.returncode, work.build_log))
    archives = os.path.join(partial, "var", "cache", "apt", "archives")
    for name in os.listdir(archives) if os.path.isdir(archives) else ():
        if name.endswith(".deb"):  # as `apt-get clean`: a template carries no package files
            os.unlink(os.path.join(archives, name))
    os.rename(partial, work.rootfs)
    built = {"request": request, "built": utc_now(), "seconds": round(time.perf_counter() - t0, 1),
             "debootstrap": package_version("debootstrap"), "stats": tree_stats(work.rootfs)}
    state["rootfs"] = built
    work.save_state(state)
    return built


def pack(work: Work, state: dict, fmt: str) -> dict:
    """TEMPLATE/cache/NAME.tar.FMT of the tree (numeric owners, ACLs, xattrs), unless already made from it."""
    ext, program, _flag = FORMATS[fmt]
    caches = state.setdefault("caches", {})
    old, path = caches.get(fmt, {}), work.cache(fmt)
    if old.get("rootfs_built") == state["rootfs"]["built"] and old.get("program") == program \
            and os.path.isfile(path) and os.path.getsize(path) == old.get("bytes"):
        return old
    partial = os.path.join(work.root, "pack.partial")
    argv = ["tar", "--create", "--file", partial, "--directory", work.rootfs, "--numeric-owner", "--acls",
            "--xattrs", "--xattrs-include=*", "--use-compress-program", program, "."]
    print("packing %s: %s" % (os.path.basename(path), shlex.join(argv)), flush=True)
    t0 = time.perf_counter()
    run(argv)
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    os.replace(partial, path)
    caches[fmt] = {"rootfs_built": state["rootfs"]["built"], "program": program, "bytes": os.path.getsize(path),
                   "seconds": round(time.perf_counter() - t0, 1), "extension": ext}
    work.save_state(state)
    return caches[fmt]


# ---- small helpers -------------------------------------------------------------------------------

def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def package_version(name: str) -> str:
    proc = run(["dpkg-query", "-W", "-f", "${Version}", name], check=False) if common.which("dpkg-query") else None
    return proc.stdout.strip() if proc and proc.returncode == 0 and proc.stdout.strip() else "not installed"


def warm(path: str) -> float:
    """Read a file whole (into the page cache); seconds it took."""
    t0 = time.perf_counter()
    with open(path, "rb", buffering=0) as fh:
        while fh.read(1 << 20):
            pass
    return time.perf_counter() - t0


def dirty_kib() -> int:
    for line in read_text("/proc/meminfo").splitlines():
        if line.startswith("Dirty:"):
            return int(line.split()[1])
    return -1


def cpu_seconds() -> float:
    """User + system CPU of this process and of every child it has waited for (tar, and tar's zstd)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def sync() -> float:
    t0 = time.perf_counter()
    run(["sync"])
    return time.perf_counter() - t0


def mib(n: float) -> str:
    return "%.0f MiB" % (n / 1048576.0)


# ---- the three ways to create a tree --------------------------------------------------------------

def timing_host(base):
    """vzkit's Host with each command's argv and start/end instants recorded (nothing else changes)."""

    class TimingHost(base):
        def __init__(self):
            super().__init__()
            self.calls = []

        def run(self, argv, **kwargs):
            t0 = time.perf_counter()
            try:
                return super().run(argv, **kwargs)
            finally:
                self.calls.append(([str(a) for a in argv], t0, time.perf_counter()))

    return TimingHost


class Vzkit:
    """``ensure(state=present)`` in-process, as the module calls it; ``state=absent`` removes it."""

    def __init__(self, work: Work, api):
        self.work, self.api = work, api
        self.host_class = timing_host(api.Host)
        self.argv = None      # the unpack command vzkit ran last (tar-flags reuses it)
        self.made = []        # ctids created and not yet removed (for the clean-up)
        self.warnings = []

    def _ensure(self, ctid: str, state: str, host) -> dict:
        spec = self.api.ContainerSpec.from_params(dict(ctid=ctid, state=state, ostemplate=TEMPLATE,
                                                       vz_conf=self.work.vz_conf))
        return self.api.ensure(spec, host)

    def create(self, n: int) -> dict:
        ctid, host = "bench%d" % n, self.host_class()
        self.made.append(ctid)
        t0 = time.perf_counter()
        result = self._ensure(ctid, "present", host)
        t1 = time.perf_counter()
        self.warnings.extend(host.warnings)
        if not result.get("changed") or result["container"]["state"] != "stopped":
            raise BenchError("vzkit: %s after create: %s" % (ctid, json.dumps(result["container"])[:300]))
        unpacks = [c for c in host.calls if "--extract" in c[0]]
        if len(unpacks) != 1:
            raise BenchError("vzkit ran %d tar --extract commands, expected 1: %r" % (len(unpacks), host.calls))
        self.argv, u0, u1 = unpacks[0]
        return {"total": t1 - t0, "before": u0 - t0, "unpack": u1 - u0, "after": t1 - u1,
                "tree": result["container"]["private"]}

    def remove(self, n: int) -> None:
        ctid = "bench%d" % n
        self._ensure(ctid, "absent", self.api.Host())
        self.made.remove(ctid)


class Tar:
    """tar into a fresh directory: vzkit's exact argv (``flags``) or a plain ``tar -x`` (``plain``)."""

    def __init__(self, work: Work, cache: str, flag: str, vzkit: Vzkit, *, plain: bool):
        self.work, self.cache, self.flag, self.vzkit, self.plain = work, cache, flag, vzkit, plain

    def dest(self, n: int) -> str:
        return os.path.join(self.work.tar_dir, "%s%d" % ("plain" if self.plain else "flags", n))

    def argv(self, dest: str) -> list:
        if self.plain:
            return ["tar", "-x", self.flag, "-f", self.cache, "-C", dest]
        if not self.vzkit.argv:
            raise BenchError("tar with vzkit's argv: vzkit has not unpacked yet (it goes first in the warm-up)")
        argv = list(self.vzkit.argv)
        argv[argv.index("--directory") + 1] = dest
        return argv

    def create(self, n: int) -> dict:
        dest = self.dest(n)
        os.mkdir(dest, 0o755)  # untimed: tar -C needs it (vzkit's own mkdir is inside its time)
        argv = self.argv(dest)
        t0 = time.perf_counter()
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=ENV_C, close_fds=True,
                              check=False)
        t1 = time.perf_counter()
        if proc.returncode != 0:
            raise BenchError("%s: exit %d: %s" % (shlex.join(argv), proc.returncode,
                                                  proc.stderr.decode(errors="replace")[-500:]))
        return {"total": t1 - t0, "tree": dest}

    def remove(self, n: int) -> None:
        run(["rm", "-rf", "--one-file-system", "--", self.dest(n)])


# ---- fidelity: is the unpacked tree the debootstrap tree? -------------------------------------------

def tree_meta(root: str) -> dict:
    """relative path -> (mode, uid, gid, rdev, size, mtime, link target, xattrs) for every entry below root."""
    out = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(d, name)
            st = os.lstat(path)
            link = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
            names = () if link is not None else os.listxattr(path, follow_symlinks=False)
            xattrs = tuple(sorted((k, os.getxattr(path, k, follow_symlinks=False)) for k in names))
            out[os.path.relpath(path, root)] = (st.st_mode, st.st_uid, st.st_gid, st.st_rdev,
                                                st.st_size if not stat.S_ISDIR(st.st_mode) else 0,
                                                int(st.st_mtime), link, xattrs)
    return out


FIELDS = ("mode", "uid", "gid", "rdev", "size", "mtime", "link", "xattrs")


def compare(source: dict, tree: str) -> dict:
    """Entries of the unpacked tree that differ from the source tree, by field, with examples."""
    got = tree_meta(tree)
    diffs = {"missing": [p for p in source if p not in got], "extra": [p for p in got if p not in source]}
    for path, want in source.items():
        have = got.get(path)
        if have is None:
            continue
        for name, a, b in zip(FIELDS, want, have):
            if a != b:
                diffs.setdefault(name, []).append(path)
    return {"entries": len(got), "diffs": {k: v for k, v in diffs.items() if v}}


# ---- measuring --------------------------------------------------------------------------------------

@dataclass
class Results:
    fmt: str
    cache: str
    runs: dict = field(default_factory=lambda: {v: [] for v in VARIANTS})   # variant -> [dict per run]
    warm: list = field(default_factory=list)        # seconds of each warm-up read of the cache
    sync_after: list = field(default_factory=list)  # seconds of the sync after each removal
    dirty_before: list = field(default_factory=list)  # KiB dirty right before each timed step
    fidelity: dict = field(default_factory=dict)
    profile: list = field(default_factory=list)
    argv: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def one_step(runner, key: str, n: int, res: Results, *, source: dict | None) -> dict:
    """Warm the cache, time one creation, check it (warm-up only), remove it, sync; all but creation untimed."""
    res.warm.append(warm(res.cache))
    res.dirty_before.append(dirty_kib())
    cpu0 = cpu_seconds()
    sample = runner.create(n)
    sample["cpu"] = cpu_seconds() - cpu0
    if source is not None:
        res.fidelity[key] = compare(source, sample["tree"])
    runner.remove(n)
    res.sync_after.append(sync())
    return sample


def measure(runners: dict, res: Results, *, runs: int, warmup: int, source: dict) -> None:
    """Rounds of one creation per variant, the first variant rotating; the warm-up rounds are not kept."""
    counter = 0
    for i in range(warmup + runs):
        k = i % len(VARIANTS)
        for key in VARIANTS[k:] + VARIANTS[:k]:
            counter += 1
            sample = one_step(runners[key], key, counter, res, source=source if i == 0 else None)
            tag = "warm-up" if i < warmup else "run %d/%d" % (i - warmup + 1, runs)
            extra = ("  (unpack %.2f s, rest %.3f s)" % (sample["unpack"], sample["total"] - sample["unpack"])
                     if key == "vzkit" else "")
            print("  %-4s %-9s %-22s %7.2f s%s" % (res.fmt, tag, LABELS[key], sample["total"], extra), flush=True)
            if i >= warmup:
                res.runs[key].append(sample)


def profile_once(vzkit: Vzkit, res: Results, n: int, top: int = 12) -> None:
    """cProfile of one more (unmeasured) vzkit creation: the functions its wall time is spent in (own time)."""
    warm(res.cache)
    prof = cProfile.Profile()
    prof.enable()
    try:
        vzkit.create(n)
    finally:
        prof.disable()
        vzkit.remove(n)
        sync()
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (filename, line, func), (_cc, calls, own, cum, _callers) in stats.stats.items():
        short = filename.split("ansible_collections/vzkit/vz/", 1)[-1] if "vzkit/vz/" in filename else (
            os.path.basename(filename) if filename.startswith("/") else filename)
        rows.append((own, cum, calls, "%s:%d(%s)" % (short, line, func)))
    res.profile = sorted(rows, reverse=True)[:top]


def measure_format(args, work: Work, api, state: dict, fmt: str, source: dict, live: list) -> Results:
    write_vz_conf(work, fmt)
    res = Results(fmt, work.cache(fmt))
    vzkit = Vzkit(work, api)
    runners = {"vzkit": vzkit, "tar-flags": Tar(work, res.cache, FORMATS[fmt][2], vzkit, plain=False),
               "tar-plain": Tar(work, res.cache, FORMATS[fmt][2], vzkit, plain=True)}
    live.append(vzkit)  # for the clean-up
    print("%s: %s (%s), %d run(s) after %d warm-up round(s)" % (
        fmt, res.cache, mib(state["caches"][fmt]["bytes"]), args.runs, args.warmup), flush=True)
    sync()
    measure(runners, res, runs=args.runs, warmup=args.warmup, source=source)
    res.argv = list(vzkit.argv)
    if args.profile:
        profile_once(vzkit, res, 10000)
    res.warnings = sorted(set(vzkit.warnings))
    return res


# ---- the report -------------------------------------------------------------------------------------

def figures(res: Results, key: str, part: str = "total") -> tuple | None:
    return summary([r[part] for r in res.runs[key]])


def ratio_of(a: tuple | None, b: tuple | None, i: int) -> str:
    return common.ratio(a and a[i], b and b[i])


def filesystem_of(path: str) -> str:
    """The filesystem holding path: type, device and mount point (longest mount prefix in mountinfo)."""
    best = ("", "?", "?")
    for line in read_text("/proc/self/mountinfo").splitlines():
        left, _sep, right = line.partition(" - ")
        mp, r = left.split(" ")[4], right.split(" ")
        if (path == mp or path.startswith(mp.rstrip("/") + "/")) and len(mp) >= len(best[0]) and len(r) > 1:
            best = (mp, r[0], r[1])
    return "%s on %s (mounted at %s)" % (best[1], best[2], best[0])


def io_pressure() -> str:
    """The share of the last 60 s in which some task waited for I/O (PSI), as the kernel reports it."""
    line = read_text("/proc/pressure/io").splitlines()[:1]
    fields = dict(f.split("=", 1) for f in line[0].split()[1:]) if line else {}
    return "%s %%" % fields["avg60"] if "avg60" in fields else "n/a"


def ext4_journal(path: str) -> str:
    """Whether the ext4 holding path has a journal ("journal: none" matters: see bench/README.md)."""
    source = filesystem_of(path).split(" on ", 1)[1].split(" ", 1)[0]
    task = read_text("/sys/fs/ext4/%s/journal_task" % os.path.basename(source)).strip()
    return "journal: %s" % ("none" if task == "<none>" else "yes" if task else "n/a (not ext4)")


def environment(args, work: Work, revision: str, load: tuple) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in read_text("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.machine())
    mem = next((int(line.split()[1]) for line in read_text("/proc/meminfo").splitlines()
                if line.startswith("MemTotal:")), 0)
    vm = ", ".join("%s=%s" % (k, read_text("/proc/sys/vm/" + k).strip()) for k in
                   ("dirty_background_ratio", "dirty_ratio", "dirty_expire_centisecs"))
    return {
        "date": utc_now(),
        "kernel": "%s (%s)" % (platform.release(), platform.version()),
        "CPU": "%d cores, %s" % (os.cpu_count() or 0, cpu),
        "memory": "%.1f GiB; %s" % (mem / 1048576.0, vm),
        "work dir": "%s: %s, %s" % (work.root, filesystem_of(work.root), ext4_journal(work.root)),
        "trees made on": ("a fresh 8 GiB ext4 image (`mkfs.ext4` defaults, %s), loop-mounted at %s"
                          % (ext4_journal(work.private), work.mnt) if work.fs == "ext4-loop"
                          else "the work dir's filesystem (`--fs workdir`)"),
        "programs": ", ".join("%s %s" % (p, package_version(p)) for p in ("tar", "zstd", "xz-utils", "gzip", "pigz")),
        "vzkit": revision,
        "Python": platform.python_version(),
        "load average (1 min) at start / end": "%.2f / %.2f" % (load[0], os.getloadavg()[0]),
        "I/O pressure (PSI some, avg60) at start / end": "%s / %s" % (load[1], io_pressure()),
        "runs": "%d measured per variant and format after %d warm-up round(s); variants interleaved, the first "
                "rotated each round" % (args.runs, args.warmup),
    }


def template_table(state: dict, formats) -> list:
    root = state["rootfs"]
    st = root["stats"]
    out = ["| | |", "| --- | --- |",
           "| tree | Debian 12 (%s), `debootstrap --variant=minbase --include=%s` from %s (debootstrap %s, "
           "built %s in %.0f s) |" % (
               SUITE, ",".join(PACKAGES), MIRROR, root["debootstrap"], root["built"], root["seconds"]),
           "| unpacked | %s apparent, %s on disk; %d entries: %d directories, %d files, %d symlinks, %d device "
           "nodes, %d other; %d with xattrs |" % (
               mib(st["apparent_bytes"]), mib(st["disk_bytes"]), st["entries"], st["dirs"], st["files"],
               st["symlinks"], st["devices"], st["other"], st["with_xattrs"])]
    for fmt in formats:
        c = state["caches"][fmt]
        out.append("| cache `%s%s` | %s (%d bytes), packed with `tar --numeric-owner --acls --xattrs "
                   "--xattrs-include='*' --use-compress-program '%s'` |"
                   % (TEMPLATE, c["extension"], mib(c["bytes"]), c["bytes"], c["program"]))
    return out


def results_table(res: Results) -> list:
    out = ["| variant | min | median | max | CPU median |", "| --- | ---: | ---: | ---: | ---: |"]
    for key in VARIANTS:
        f, c = figures(res, key), figures(res, key, "cpu")
        out.append("| %s | %s | %s |" % (LABELS[key], " | ".join("%.2f" % v for v in f) if f else "n/a | n/a | n/a",
                                         "%.2f" % c[1] if c else "n/a"))
    return out


def ratios_table(res: Results) -> list:
    wall = {k: figures(res, k) for k in VARIANTS}
    cpu = {k: figures(res, k, "cpu") for k in VARIANTS}
    out = ["| ratio | min | median | CPU median |", "| --- | ---: | ---: | ---: |"]
    for a, b, what in (("vzkit", "tar-plain", "**vzkit / plain `tar -x`**"),
                       ("vzkit", "tar-flags", "vzkit / tar with vzkit's argv (vzkit's own steps)"),
                       ("tar-flags", "tar-plain", "tar with vzkit's argv / plain `tar -x` (vzkit's flags and "
                                                  "decompressor)")):
        cells = (ratio_of(wall[a], wall[b], 0), ratio_of(wall[a], wall[b], 1), ratio_of(cpu[a], cpu[b], 1))
        bold = "**%s**" if a == "vzkit" and b == "tar-plain" else "%s"
        out.append("| %s | %s |" % (what, " | ".join(bold % c for c in cells)))
    return out


def breakdown_table(res: Results) -> list:
    parts = (("before", "from the call to tar's start: spec, vz.conf, lock, observe, plan, `mkdir` of the partial dir"),
             ("unpack", "the unpack command (`setpriv` + `tar` + its decompressor), start to exit"),
             ("after", "from tar's exit to the return: id shift check, CTID.conf written (fsync), rename, "
                       "observe again"),
             ("total", "the whole `ensure(state=present)` call"))
    out = ["| part of vzkit's creation | min | median | max |", "| --- | ---: | ---: | ---: |"]
    for part, what in parts:
        f = figures(res, "vzkit", part)
        out.append("| %s: %s | %.3f | %.3f | %.3f |" % ((part, what) + f))
    return out


def fidelity_table(res: Results, source_entries: int) -> list:
    out = ["| variant | entries | differences from the debootstrap tree (%d entries below its root) |"
           % source_entries, "| --- | ---: | --- |"]
    for key in VARIANTS:
        fid = res.fidelity.get(key)
        if fid is None:
            continue
        diffs = "; ".join("%s: %d (e.g. `%s`)" % (k, len(v), v[0]) for k, v in sorted(fid["diffs"].items()))
        out.append("| %s | %d | %s |" % (LABELS[key], fid["entries"], diffs or "none: owners, modes, device "
                                         "numbers, sizes, mtimes, link targets and xattrs all equal"))
    return out


def verdict(res: Results) -> str:
    v, flags, plain = figures(res, "vzkit"), figures(res, "tar-flags"), figures(res, "tar-plain")
    med = v[1] / plain[1]
    own, flag_cost = v[1] - flags[1], flags[1] - plain[1]
    head = ("**Within 1.2x**" if med <= 1.2 else "**Above 1.2x**") + ": vzkit's median creation takes %.2fx " \
        "a plain `tar -x` of the same cache (%.2f s against %.2f s)." % (med, v[1], plain[1])
    return head + (" Of the %+.2f s difference, %+.2f s comes from vzkit's tar command itself, its flags and "
                   "decompressor (tar with vzkit's argv minus plain tar, medians), and %+.2f s from vzkit's own "
                   "steps around tar (vzkit minus tar with its argv)." % (v[1] - plain[1], flag_cost, own))


def profile_table(res: Results) -> list:
    out = ["| own s | cumulative s | calls | function |", "| ---: | ---: | ---: | --- |"]
    out += ["| %.4f | %.4f | %d | `%s` |" % row for row in res.profile]
    return out


def raw_table(res: Results) -> list:
    out = ["| run | " + " | ".join(LABELS[k] for k in VARIANTS) + " | vzkit's unpack |",
           "|" + " ---: |" * (len(VARIANTS) + 2)]
    for i in range(len(res.runs["vzkit"])):
        cells = ["%.2f" % res.runs[k][i]["total"] if i < len(res.runs[k]) else "" for k in VARIANTS]
        out.append("| %d | %s | %.2f |" % (i + 1, " | ".join(cells), res.runs["vzkit"][i]["unpack"]))
    return out


def definitions(res: Results) -> list:
    flag = FORMATS[res.fmt][2]
    return [
        "- **%s**: from `ContainerSpec.from_params({ctid, state: present, ostemplate: %s, vz_conf})` and "
        "`ensure(spec, host)` in-process, as the module calls it (a fresh `Host` per call; a subclass that "
        "only records each command's argv and start and end instants), until it returns: lock, observe, "
        "plan, `mkdir .CTID.vzkit-partial`, the unpack, id shift (none: a privileged container), CTID.conf, "
        "rename into place, observe again. The unpack command it ran: `%s`."
        % (LABELS["vzkit"], TEMPLATE, shlex.join(res.argv)),
        "- **%s**: that same argv, recorded from vzkit's last creation, with `--directory` pointing at a "
        "fresh empty directory on the same filesystem (made before the clock starts)." % LABELS["tar-flags"],
        "- **%s**: `tar -x %s -f CACHE -C DIR` into a fresh empty directory. As root, GNU tar still "
        "restores owners (by name, through the host's user database, unless the name is unknown there) and "
        "modes, but no ACLs and no xattrs." % (LABELS["tar-plain"], flag),
        "- Times are wall-clock (`time.perf_counter`) in the benchmark process, in seconds; min, median and max "
        "over the measured runs; a ratio divides the first figure by the second (min by min, median by median). "
        "**CPU** is the user + system time of the benchmark process and of the commands it waited for (tar, "
        "setpriv, and the decompressor tar waited for) during the step: less sensitive than wall time to other "
        "load on a shared machine.",
    ]


def notes(res: Results, fs: str) -> list:
    dirty = res.dirty_before
    out = [
        "- **Page cache: both warm.** Before every timed creation the cache file is read whole (untimed), so "
        "every variant decompresses from memory; the first read of the run took %.2f s, the others a median of "
        "%.2f s." % (res.warm[0], statistics.median(res.warm[1:] or res.warm)),
        "- **Written data.** Each tree is removed right after its creation (untimed: `ensure(state=absent)` for "
        "vzkit, `rm -rf --one-file-system` for tar), then `sync` runs (untimed; median %.2f s, max %.2f s). A tree "
        "removed long before the kernel's dirty-page expiry is mostly never written back; the `sync` flushes the "
        "rest (journal, metadata), so no creation starts with an earlier one's data still waiting to be written "
        "(dirty memory right before each one, the whole machine's: median %d KiB, max %d KiB). Caches are not "
        "dropped: `drop_caches` is machine-wide, and this machine is shared."
        % (statistics.median(res.sync_after), max(res.sync_after), statistics.median(dirty), max(dirty)),
    ]
    if fs == "ext4-loop":
        out.append("- **Filesystem.** Trees are made on a fresh, journaled ext4 (what a host's `/vz` usually is), "
                   "not on this machine's root filesystem: that one is an ext4 without a journal, where ext4 does "
                   "not reuse an inode freed in the last 5 s (300 s while its inode-table block is dirty; "
                   "`recently_deleted()` in fs/ext4/ialloc.c, checked only without a journal), so creating a tree "
                   "right after removing one spends most of its time in the kernel searching for inodes, and "
                   "whichever variant runs second pays more. See bench/README.md.")
    out += ["- vzkit warned: \"%s\"" % w for w in res.warnings]
    return out


def render_format(res: Results, source_entries: int, fs: str) -> list:
    lines = ["### `%s` cache: creation time (s)" % res.fmt, ""] + results_table(res)
    lines += ["", "%s" % verdict(res), "", "#### Ratios (below 1.00: the first is faster)", ""] + ratios_table(res)
    lines += ["", "#### Where vzkit's time goes (s, from the recorded instants of its commands)", ""]
    lines += breakdown_table(res)
    if res.profile:
        lines += ["", "#### cProfile of one more vzkit creation (unmeasured; top functions by own time)", "",
                  "The `poll` on top is the runtime waiting for the unpack command to exit (`subprocess.run`); "
                  "everything below it is vzkit's own work.", ""]
        lines += profile_table(res)
    lines += ["", "#### Fidelity (checked once per variant, in the first round)", ""]
    lines += fidelity_table(res, source_entries)
    lines += ["", "#### Definitions", ""] + definitions(res)
    lines += ["", "#### Notes", ""] + notes(res, fs)
    lines += ["", "<details><summary>Every measured run, %s (s)</summary>" % res.fmt, ""] + raw_table(res)
    lines += ["", "</details>"]
    return lines


def render(rep: dict) -> str:
    lines = ["## Creation speed: vzkit `state=present` vs `tar -x` of the same cache", "",
             "Generated by `bench/create.py` (see `bench/README.md`). Reproduce from the repository root:", "",
             "    " + rep["command"], "",
             "Acceptance: creating from a 300 MB+ cache is within 1.2x of a plain `tar -x` of that cache "
             "(median against median).", "", "### Host", "", "| | |", "| --- | --- |"]
    lines += ["| %s | %s |" % (k, v) for k, v in rep["env"].items()]
    lines += ["", "### Template", ""] + template_table(rep["state"], [r.fmt for r in rep["results"]])
    if rep["state"]["caches"].get("zst", {}).get("bytes", MIN_CACHE) < MIN_CACHE:
        lines += ["", "**The .tar.zst is under 300 MiB: add packages to PACKAGES in bench/create.py.**"]
    for res in rep["results"]:
        lines += [""] + render_format(res, rep["source_entries"], rep["fs"])
    return "\n".join(lines).rstrip("\n") + "\n"


# ---- set-up, clean-up, main ---------------------------------------------------------------------------

def preflight() -> None:
    if os.geteuid() != 0:
        raise BenchError("run as root: unpacking keeps owners and device nodes, and debootstrap needs root "
                         "(sudo .venv/bin/python bench/create.py)")
    needed = (("debootstrap", "debootstrap"), ("tar", "tar"), ("zstd", "zstd"), ("xz", "xz-utils"),
              ("gzip", "gzip"), ("setpriv", "util-linux"), ("mkfs.ext4", "e2fsprogs"), ("losetup", "mount"))
    missing = {pkg: prog for prog, pkg in needed if not common.which(prog)}
    if missing:
        raise BenchError("programs missing (this script installs nothing): %s; install them with:\n"
                         "  apt-get install -y --no-install-recommends %s"
                         % (", ".join(sorted(missing.values())), " ".join(sorted(missing))))


def leftovers(work: Work) -> list:
    """What this run may have left: mounts under the work dir, vzbench-create cgroups, processes."""
    found = ["mount %s" % m for m in work.mounts()] + ["loop device %s" % d for d in work.loops()]
    for base in sorted({mp for mp, _f, _o in common.cgroup_mounts()} | set(common.own_cgroup_dirs())):
        try:
            names = os.listdir(base)
        except OSError:
            continue
        found += ["cgroup %s" % os.path.join(base, n) for n in names if CGROUP_PARENT in n]
    mine = common.ancestors()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in mine:
            continue
        words = " ".join(a for a in read_text("/proc/%s/cmdline" % entry).split("\0") if a).split()
        if any(w == work.root or w.startswith(work.root + "/") or w.startswith("--file=" + work.root) for w in words):
            found.append("process %s: %s" % (entry, " ".join(words)[:120]))
    return found


def cleanup(work: Work, live: list, *, made_work: bool) -> list:
    """Remove every container still there, any vzbench-create cgroup, the scratch paths; report what is left."""
    common.Signals.cleaning = True
    for vzkit in live:
        for ctid in list(vzkit.made):
            try:
                vzkit.remove(int(ctid[len("bench"):]))
            except Exception as exc:  # keep cleaning; report every failure
                print("cleanup: container %s: %s" % (ctid, exc), file=sys.stderr)
    for mp, _fstype, _opts in common.cgroup_mounts():
        common.remove_cgroup_tree(os.path.join(mp, CGROUP_PARENT))
    left = []
    if made_work:
        try:
            work.clear()
        except BenchError as exc:
            left.append(str(exc))
    left += leftovers(work)
    if left:
        print("cleanup: left behind:\n  " + "\n  ".join(left), file=sys.stderr)
    else:
        print("cleanup: no containers, mounts, %s cgroups or processes left; kept the cache: %s, %s"
              % (CGROUP_PARENT, work.rootfs, os.path.join(work.root, "vz", "template*")))
    return left


def reproduce_command(argv) -> str:
    py = sys.executable
    if py.startswith(REPO + os.sep):
        py = os.path.relpath(py, REPO)
    return "sudo " + shlex.join([py, "bench/create.py"] + list(argv))


def run_bench(args, argv, work: Work, live: list) -> str:
    load = (os.getloadavg()[0], io_pressure())
    state = {} if args.rebuild else work.load_state()
    build_rootfs(work, state)
    for fmt in args.formats:
        pack(work, state, fmt)
    work.make_areas()
    common.link_collection(work, args.source)
    api = common.load_runtime(work)
    revision = common.vzkit_revision(args.source)
    print("vzkit runtime: %s, %s" % (api.source, revision), flush=True)
    print("reading the debootstrap tree's metadata (for the fidelity check)", flush=True)
    source = tree_meta(work.rootfs)
    results = [measure_format(args, work, api, state, fmt, source, live) for fmt in args.formats]
    rep = {"command": reproduce_command(argv), "state": state, "fs": work.fs, "results": results,
           "source_entries": len(source),
           "env": environment(args, work, revision, load)}
    return render(rep)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Creation from a 300 MB+ template cache: vzkit `state=present` "
                                            "against tar -x of the same cache, as ratios. Run as root.")
    p.add_argument("--runs", type=int, default=5, help="measured creations per variant and format (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first (default 1)")
    p.add_argument("--formats", default="zst", help="comma-separated caches to measure: zst,gz,xz (default zst)")
    p.add_argument("--workdir", default=DEFAULT_WORKDIR,
                   help="work dir, kept as a cache (default %s)" % DEFAULT_WORKDIR)
    p.add_argument("--fs", choices=("ext4-loop", "workdir"), default="ext4-loop",
                   help="where trees are made: a fresh journaled ext4 loop-mounted in the work dir (default), "
                        "or the work dir's own filesystem")
    p.add_argument("--rebuild", action="store_true", help="rebuild the debootstrap tree and the caches")
    p.add_argument("--no-profile", dest="profile", action="store_false",
                   help="skip the cProfile of one more vzkit creation")
    p.add_argument("--source", choices=("worktree", "head"), default="worktree",
                   help="vzkit code: the repo as it is (default) or its committed HEAD (git archive)")
    p.add_argument("--output", default=DEFAULT_OUTPUT, help="results file; only its `create` section is rewritten")
    args = p.parse_args(argv)
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in args.formats if f not in FORMATS]
    if bad or not args.formats or args.runs < 1 or args.warmup < 0:
        p.error("unknown format(s) %s" % ", ".join(bad) if bad else "--formats, --runs >= 1, --warmup >= 0")
    return args


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    common.install_signal_handlers()
    work = Work(args.workdir, args.fs)
    try:
        preflight()
        work.check()
        work.prepare()
    except BenchError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    live, rc = [], 0
    try:
        text = run_bench(args, argv, work, live)
        common.write_section(args.output, SECTION, text)
        wanted = ("| vzkit", "| tar", "| plain", "| **", "**", "### `")
        print("\n" + "\n".join(line for line in text.splitlines() if line.startswith(wanted)))
        print("written to the %s section of %s" % (SECTION, args.output))
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
        left = cleanup(work, live, made_work=True)
    if common.Signals.pending and not rc:
        rc = 128 + common.Signals.pending[0]
    return rc or (3 if left else 0)


if __name__ == "__main__":
    sys.exit(main())
