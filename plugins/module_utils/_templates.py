# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OS template caches: find ``TEMPLATE/cache/NAME.tar.{zst,xz,gz}`` and unpack one.

Private to vzkit.vz; may change in any release.
"""
from __future__ import annotations

import datetime
import hashlib
import os
import re
from dataclasses import dataclass, field

from . import _mounts as mounts
from ._config import ConfFile
from ._errors import VzConfigError, VzStateError

# Searched in this order when several caches of one name exist.
EXTENSIONS = ((".tar.zst", "--zstd"), (".tar.xz", "--xz"), (".tar.gz", "--gzip"), (".tar", None))
NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")  # used with fullmatch


def validate_name(name: str, *, param: str = "ostemplate") -> None:
    if not NAME_RE.fullmatch(name or "") or ".." in name:
        raise VzConfigError("%r is not a template name" % name, param=param,
                            hint="use a cache name such as debian-12-x86_64-minimal (no '/', not starting with '.')")


def find_cache(template_dir: str, name: str, *, param: str = "ostemplate") -> str:
    validate_name(name, param=param)
    cache_dir = os.path.join(template_dir, "cache")
    for ext, _flag in EXTENSIONS:
        path = os.path.join(cache_dir, name + ext)
        if os.path.isfile(path):
            return path
    available = sorted({_cache_name(n) for n in _listdir(cache_dir)} - {None})
    raise VzConfigError("template %r not found in %s" % (name, cache_dir), param=param,
                        hint="build it first, or use one of: %s" % (", ".join(available) or "(none cached)"))


def _listdir(path: str) -> list:
    try:
        return os.listdir(path)
    except OSError:
        return []


def unpack_argv(*, setpriv: str, tar: str, cache: str, dest: str, decompressor: str | None = None) -> list:
    """The tar command that unpacks a cache with owners, modes, device nodes, ACLs and xattrs.

    setpriv --pdeathsig KILL ties tar's life to ours: if this run is killed part-way, tar stops too
    instead of writing on into a directory the next run is about to remove. ``decompressor`` (for
    example pigz for .gz) replaces tar's built-in choice when a faster program is installed.
    """
    flag = next((f for ext, f in EXTENSIONS if cache.endswith(ext)), None)
    argv = [setpriv, "--pdeathsig", "KILL", "--", tar, "--extract", "--file", cache, "--directory", dest,
            "--numeric-owner", "--preserve-permissions", "--same-owner", "--acls", "--xattrs",
            "--xattrs-include=*"]
    if decompressor:
        argv += ["--use-compress-program", decompressor]
    elif flag:
        argv.append(flag)
    return argv


# Faster programs tar may hand decompression to, by cache extension (used when installed).
FAST_DECOMPRESSORS = {".tar.gz": "pigz", ".tar.xz": "xz -T0"}


def decompressor_for(cache: str, which) -> str | None:
    """The faster decompressor for this cache if ``which(program)`` finds it, else None (tar's own)."""
    for ext, program in FAST_DECOMPRESSORS.items():
        if cache.endswith(ext) and which(program.split()[0]):
            return program
    return None


# ---- building, importing and removing caches (vz_template) ------------------------------------

# OpenVZ's template names: distro-version-arch[-flavour], e.g. debian-12-x86_64-minimal.
CACHE_NAME_RE = re.compile(r"([a-z][a-z0-9]*)-([0-9][A-Za-z0-9.]*)-([a-z0-9_]+)(?:-([A-Za-z0-9_.+-]+))?")
COMPRESSORS = {"zst": ("zstd -T0 -3", ".tar.zst"), "xz": ("xz -T0 -6", ".tar.xz"), "gz": ("gzip -6", ".tar.gz")}
INIT_PACKAGES = {"systemd": ("systemd-sysv",), "sysvinit": ("sysvinit-core",), "none": ()}
SUITES_DIR = "/usr/share/debootstrap/scripts"
ARCH_NAMES = {"amd64": "x86_64", "arm64": "aarch64", "i386": "i386", "armhf": "armhf", "ppc64el": "ppc64le"}
# Files that make one container's identity; a template must not carry them into every container.
# (debootstrap also copies the build host's /etc/hostname into the tree.)
IDENTITY_FILES = ("etc/machine-id", "var/lib/dbus/machine-id", "etc/hostname")


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    state: str = "present"
    source: str = "debootstrap"
    suite: str | None = None
    variant: str = "minbase"
    packages: tuple = ()
    mirror: str = "http://deb.debian.org/debian"
    arch: str | None = None
    init: str = "systemd"
    path: str | None = None
    compression: str = "zst"
    force: bool = False
    parts: tuple = field(default=(), compare=False)

    @classmethod
    def from_params(cls, p: dict) -> "TemplateSpec":
        name = p.get("name") or ""
        m = CACHE_NAME_RE.fullmatch(name)
        if not m:
            raise VzConfigError("%r is not a template name" % name, param="name",
                                hint="use distro-version-arch[-flavour], e.g. debian-12-x86_64-minimal (no '/')")
        spec = cls(name=name, state=p.get("state") or "present", source=p.get("source") or "debootstrap",
                   suite=p.get("suite"), variant=p.get("variant") or "minbase",
                   packages=tuple(p.get("packages") or ()), mirror=p.get("mirror") or cls.mirror,
                   arch=p.get("arch"), init=p.get("init") or "systemd", path=p.get("path"),
                   compression=p.get("compression") or "zst", force=bool(p.get("force")), parts=m.groups())
        spec.validate()
        return spec

    def validate(self) -> None:
        if self.state != "present":
            return
        for pkg in self.packages:
            if not re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", pkg):
                raise VzConfigError("%r is not a Debian package name" % pkg, param="packages", hint="give package names such as iproute2")
        if self.source == "debootstrap":
            if not self.suite or not re.fullmatch(r"[a-z][a-z0-9-]*", self.suite):
                raise VzConfigError("%r is not a suite" % self.suite, param="suite", hint="give a Debian suite such as bookworm")
            if not re.fullmatch(r"(https?|file)://[^\s]+", self.mirror):
                raise VzConfigError("%r is not a mirror URL" % self.mirror, param="mirror", hint="use http://, https:// or file://")
        elif not self.path or not os.path.isabs(self.path):
            raise VzConfigError("source %s needs an absolute path (%r)" % (self.source, self.path), param="path",
                                hint="give the root directory or the tarball to import")


def check_suite(suite: str, scripts_dir: str = SUITES_DIR) -> None:
    """debootstrap knows a suite when it has a script for it; say which ones it knows otherwise."""
    if not os.path.exists(os.path.join(scripts_dir, suite)):
        known = sorted(n for n in _listdir(scripts_dir) if re.fullmatch(r"[a-z]+", n))
        raise VzConfigError("debootstrap does not know suite %r" % suite, param="suite",
                            hint="use one of: %s" % ", ".join(known[-12:] or ["(none: install debootstrap)"]))


def cache_files(template_dir: str, name: str) -> list:
    cache_dir = os.path.join(template_dir, "cache")
    return [os.path.join(cache_dir, name + ext) for ext, _flag in EXTENSIONS if os.path.isfile(os.path.join(cache_dir, name + ext))]


def meta_path(template_dir: str, name: str) -> str:
    return os.path.join(template_dir, "cache", name + ".meta")


def _cache_name(filename: str):
    """NAME of NAME.tar.EXT (the extension is stripped from the end: a name may contain '.tar')."""
    for ext, _flag in EXTENSIONS:
        if filename.endswith(ext) and not filename.startswith("."):
            return filename[:-len(ext)]
    return None


def leftovers(template_dir: str, name: str) -> list:
    """Files an interrupted build of exactly NAME left: its build directory and partial caches."""
    cache_dir = os.path.join(template_dir, "cache")
    own = {".%s.vzkit-build" % name} | {name + ext + ".partial" for ext, _flag in EXTENSIONS}
    return [os.path.join(cache_dir, n) for n in _listdir(cache_dir) if n in own]


def describe(template_dir: str, name: str) -> dict | None:
    """The cache NAME as it is: path, size, format, metadata; None when there is none."""
    files = cache_files(template_dir, name)
    if not files:
        return None
    meta = {}
    try:
        with open(meta_path(template_dir, name), encoding="utf-8") as fh:
            meta = ConfFile.parse(fh.read()).items()
    except FileNotFoundError:
        pass
    path = files[0]
    return {"name": name, "path": path, "size": os.path.getsize(path), "format": path.rsplit(".", 1)[-1],
            "checksum": meta.get("SHA256"), "metadata": meta}


def list_caches(template_dir: str) -> list:
    names = {_cache_name(n) for n in _listdir(os.path.join(template_dir, "cache"))} - {None}
    return [d for d in (describe(template_dir, n) for n in sorted(names)) if d]


def debootstrap_argv(debootstrap: str, spec: TemplateSpec, dest: str, arch: str) -> list:
    include = list(INIT_PACKAGES[spec.init]) + list(spec.packages)
    argv = [debootstrap, "--variant=%s" % spec.variant, "--arch=%s" % arch]
    if include:
        argv.append("--include=%s" % ",".join(include))
    return argv + [spec.suite, dest, spec.mirror]


def pack_argv(tar: str, src: str, dest: str, compression: str) -> list:
    """tar that packs a root tree as OpenVZ caches are packed: numeric owners, ACLs, xattrs.

    One container's identity (machine-id, SSH host keys) is left out: a tree packed as it is (source
    directory) must not hand the same ids to every container; each gets its own at first start.
    """
    excludes = ["--exclude=./%s" % rel for rel in IDENTITY_FILES] + ["--exclude=./etc/ssh/ssh_host_*"]
    return [tar, "--create", "--file", dest, "--directory", src, "--numeric-owner", "--acls", "--xattrs",
            "--xattrs-include=*"] + excludes + ["--use-compress-program", COMPRESSORS[compression][0], "."]


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def reset_identity(tree: str) -> None:
    """No machine-id, host name or SSH host keys: each container gets its own at first start.

    The tree may come from a tarball: every path is resolved inside it (a link such as etc -> /etc
    must not make us delete the host's files).
    """
    for rel in IDENTITY_FILES:
        mounts.unlink_in_root(tree, rel)
    for n in mounts.listdir_in_root(tree, "etc/ssh"):
        if n.startswith("ssh_host_"):
            mounts.unlink_in_root(tree, "etc/ssh/" + n)


def metadata(spec: TemplateSpec, *, arch: str, tree: str | None, checksum: str, size: int) -> str:
    distro, release, name_arch, flavour = spec.parts
    meta = ConfFile()
    for key, value in (("DISTRIBUTION", distro), ("RELEASE", release), ("ARCH", name_arch),
                       ("FLAVOUR", flavour or ""), ("INIT", _init_of(tree) if tree else spec.init),
                       ("SOURCE", spec.source), ("SUITE", spec.suite or ""), ("VARIANT", spec.variant if spec.source == "debootstrap" else ""),
                       ("PACKAGES", " ".join(spec.packages)), ("MIRROR", spec.mirror if spec.source == "debootstrap" else ""),
                       ("DPKG_ARCH", arch), ("BUILD_DATE", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")),
                       ("SHA256", checksum), ("SIZE", str(size))):
        meta.set(key, value)
    return "# vzkit template metadata\n" + meta.render()


def _init_of(tree: str) -> str:
    target = mounts.readlink_in_root(tree, "sbin/init")
    if not target:
        return "sysvinit" if mounts.read_in_root(tree, "etc/inittab") else "unknown"
    return "systemd" if "systemd" in target else os.path.basename(target)


def check_tree(tree: str) -> None:
    """A root tree has an os-release or an init, found inside it (never through a link out of it)."""
    has_release = mounts.read_in_root(tree, "etc/os-release") is not None or mounts.read_in_root(tree, "usr/lib/os-release") is not None
    has_init = mounts.readlink_in_root(tree, "sbin/init") is not None or "init" in mounts.listdir_in_root(tree, "sbin")
    if not has_release and not has_init:
        raise VzStateError("%s does not look like a root filesystem (no /etc/os-release, no /sbin/init)" % tree,
                           param="path", hint="point path at the top of a system tree")


__all__ = ["EXTENSIONS", "validate_name", "find_cache", "unpack_argv", "decompressor_for", "TemplateSpec",
           "check_suite", "cache_files", "meta_path", "leftovers", "describe", "list_caches", "debootstrap_argv",
           "pack_argv", "sha256_of", "reset_identity", "metadata", "check_tree", "ARCH_NAMES", "COMPRESSORS"]
