# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _templates as templates
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzStateError
from ansible_collections.vzkit.vz.plugins.module_utils._host import Host
from ansible_collections.vzkit.vz.plugins.module_utils._template_state import ensure_template, template_info
from ansible_collections.vzkit.vz.plugins.module_utils._templates import TemplateSpec

NAME = "debian-12-x86_64-minimal"
IDENTITY = ["etc/hostname", "etc/machine-id", "etc/ssh/ssh_host_ed25519_key", "etc/ssh/ssh_host_ed25519_key.pub",
            "var/lib/dbus/machine-id"]
KEPT = ["bin", "bin/sh", "bin/su", "etc", "etc/os-release", "etc/ssh", "etc/ssh/sshd_config", "home", "home/user",
        "home/user/notes", "sbin", "sbin/init", "var", "var/lib", "var/lib/dbus"]


@pytest.fixture(name="vz")
def fixture_vz(tmp_path):
    """vz.conf whose TEMPLATE and LOCKDIR are under tmp_path; returns (vz.conf, template dir, lock dir)."""
    (tmp_path / "etc" / "vz").mkdir(parents=True)
    conf = tmp_path / "etc" / "vz" / "vz.conf"
    conf.write_text('## Template parameters\nTEMPLATE="%s"\nLOCKDIR=%s\nVE_ROOT=/vz/root/$VEID\n'
                    % (tmp_path / "vz" / "template", tmp_path / "vz" / "lock"))
    return str(conf), tmp_path / "vz" / "template", tmp_path / "vz" / "lock"


@pytest.fixture(name="rootfs")
def fixture_rootfs(tmp_path):
    """A small root tree, with one machine's identity in it and files of several owners."""
    root = tmp_path / "rootfs"
    for rel, text in (("etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'),
                      ("etc/machine-id", "0123456789abcdef0123456789abcdef\n"), ("etc/hostname", "buildhost\n"),
                      ("etc/ssh/sshd_config", "PermitRootLogin no\n"), ("etc/ssh/ssh_host_ed25519_key", "PRIVATE\n"),
                      ("etc/ssh/ssh_host_ed25519_key.pub", "PUBLIC\n"), ("bin/sh", "#!/bin/true\n"), ("bin/su", "#!/bin/true\n"),
                      ("home/user/notes", "mine\n")):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "var" / "lib" / "dbus").mkdir(parents=True)
    os.symlink("/etc/machine-id", root / "var" / "lib" / "dbus" / "machine-id")
    (root / "sbin").mkdir()
    os.symlink("/lib/systemd/systemd", root / "sbin" / "init")
    os.chmod(root / "bin" / "sh", 0o755)
    os.chmod(root / "bin" / "su", 0o4755)
    os.chown(root / "home" / "user", 1000, 1000)
    os.chown(root / "home" / "user" / "notes", 1000, 100)
    return root


def make_tarball(tree, dest) -> str:
    """tree packed as a downloaded root filesystem tarball is (here: tar's own format, gzip)."""
    subprocess.run(["tar", "--create", "--gzip", "--file", str(dest), "--directory", str(tree), "--numeric-owner", "."], check=True)
    return str(dest)


def snapshot(top) -> dict:
    """Every path under top with its type, size and mtime: what a run that writes nothing leaves as it is."""
    out = {}
    for directory, dirs, files in os.walk(top):
        for n in dirs + files:
            st = os.lstat(os.path.join(directory, n))
            out[os.path.relpath(os.path.join(directory, n), top)] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def members(cache: str) -> dict:
    """Path -> TarInfo of a cache, decompressed by the real program."""
    if cache.endswith(".tar.zst"):
        data = subprocess.run(["zstd", "-dc", cache], check=True, capture_output=True).stdout
        archive = tarfile.open(fileobj=io.BytesIO(data))
    else:
        archive = tarfile.open(cache)
    with archive:
        return {m.name[2:]: m for m in archive.getmembers() if m.name != "."}


def tar_list(cache: str) -> list:
    out = subprocess.run(["tar", "--list", "--file", cache], check=True, capture_output=True, text=True).stdout
    return sorted(n[2:].rstrip("/") for n in out.splitlines() if n != "./")


def spec(path=None, **params) -> TemplateSpec:
    params.setdefault("source", "directory")
    return TemplateSpec.from_params(dict({"name": NAME, "path": str(path) if path else None}, **params))


def dpkg_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()


def cache_names(template_dir) -> list:
    return sorted(os.listdir(template_dir / "cache"))


@pytest.fixture(name="source")
def fixture_source(request, rootfs, tmp_path):
    """(source, path) for each way a cache is made from a tree without a network."""
    if request.param == "directory":
        return "directory", str(rootfs)
    return "tarball", make_tarball(rootfs, tmp_path / "rootfs.tar.gz")


BOTH = pytest.mark.parametrize("source", ["directory", "tarball"], indirect=True)


@BOTH
def test_check_mode_plans_and_writes_nothing(vz, source, tmp_path):
    conf, template_dir, _lock_dir = vz
    kind, path = source
    before = snapshot(tmp_path)
    result = ensure_template(spec(path, source=kind), Host(check_mode=True), conf, diff=True)
    assert snapshot(tmp_path) == before
    what = "pack the tree %s" % path if kind == "directory" else "import the tarball %s" % path
    assert result == {
        "changed": True,
        "actions": ["build template cache %s: %s, zst" % (NAME, what)],
        "template": {"name": NAME, "path": str(template_dir / "cache" / (NAME + ".tar.zst")), "size": None, "format": "zst",
                     "checksum": None, "metadata": {}},
        "diff": {"before": {"state": "absent", "path": None, "checksum": None},
                 "after": {"state": "present", "path": str(template_dir / "cache" / (NAME + ".tar.zst")), "checksum": None}},
    }


@BOTH
@pytest.mark.parametrize("compression", ["zst", "gz", "xz"])
def test_build(vz, source, compression):
    conf, template_dir, lock_dir = vz
    kind, path = source
    planned = ensure_template(spec(path, source=kind, compression=compression), Host(check_mode=True), conf)
    result = ensure_template(spec(path, source=kind, compression=compression), Host(), conf)
    ext = templates.COMPRESSORS[compression][1]
    cache = str(template_dir / "cache" / (NAME + ext))
    assert cache_names(template_dir) == [NAME + ".meta", NAME + ext]
    assert (result["changed"], result["actions"]) == (True, planned["actions"])
    assert result["template"]["path"] == planned["template"]["path"] == cache
    with open(cache, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    assert result["template"]["checksum"] == digest
    assert result["template"]["size"] == os.path.getsize(cache)
    assert result["template"]["format"] == compression
    meta = result["template"]["metadata"]
    assert (meta["SHA256"], meta["SIZE"]) == (digest, str(os.path.getsize(cache)))
    assert (meta["DISTRIBUTION"], meta["RELEASE"], meta["ARCH"], meta["FLAVOUR"]) == ("debian", "12", "x86_64", "minimal")
    assert (meta["SOURCE"], meta["INIT"], meta["DPKG_ARCH"]) == (kind, "systemd", dpkg_arch())
    if kind == "tarball":
        assert set(IDENTITY) <= set(tar_list(path))  # the tarball given carries them
    assert tar_list(cache) == KEPT  # machine-id, hostname and SSH host keys left out
    assert not set(IDENTITY) & set(tar_list(cache))
    assert os.listdir(lock_dir) == []  # the lock file does not stay
    assert stat_mode(template_dir / "cache" / (NAME + ".meta")) == 0o644


def stat_mode(path) -> int:
    return os.stat(path).st_mode & 0o7777


@BOTH
def test_cache_keeps_owners_modes_and_links(vz, source):
    conf, template_dir, _lock_dir = vz
    kind, path = source
    ensure_template(spec(path, source=kind, compression="gz"), Host(), conf)
    found = members(str(template_dir / "cache" / (NAME + ".tar.gz")))
    assert (found["home/user"].uid, found["home/user"].gid) == (1000, 1000)
    assert (found["home/user/notes"].uid, found["home/user/notes"].gid) == (1000, 100)
    assert (found["etc/os-release"].uid, found["etc/os-release"].gid) == (0, 0)
    assert found["bin/su"].mode == 0o4755
    assert found["bin/sh"].mode == 0o755
    assert found["sbin/init"].issym() and found["sbin/init"].linkname == "/lib/systemd/systemd"
    assert found["var/lib/dbus"].isdir()


@BOTH
def test_second_run_is_unchanged(vz, source, tmp_path):
    conf, _template_dir, _lock_dir = vz
    kind, path = source
    first = ensure_template(spec(path, source=kind), Host(), conf)
    before = snapshot(tmp_path)
    for check_mode in (False, True):
        again = ensure_template(spec(path, source=kind), Host(check_mode=check_mode), conf, diff=True)
        assert (again["changed"], again["actions"], again["template"]) == (False, [], first["template"])
        present = {"state": "present", "path": first["template"]["path"], "checksum": first["template"]["checksum"]}
        assert again["diff"] == {"before": present, "after": present}
    assert snapshot(tmp_path) == before


@BOTH
def test_force_rebuilds(vz, source, rootfs, tmp_path):
    conf, template_dir, _lock_dir = vz
    kind, path = source
    first = ensure_template(spec(path, source=kind), Host(), conf)
    (rootfs / "etc" / "motd").write_text("rebuilt\n")
    if kind == "tarball":
        path = make_tarball(rootfs, path)
    what = "pack the tree %s" % path if kind == "directory" else "import the tarball %s" % path
    planned = ensure_template(spec(path, source=kind, force=True), Host(check_mode=True), conf)
    result = ensure_template(spec(path, source=kind, force=True), Host(), conf)
    assert planned["actions"] == result["actions"] == ["rebuild template cache %s: %s, zst" % (NAME, what)]
    assert result["changed"]
    assert "etc/motd" in tar_list(result["template"]["path"])
    assert result["template"]["checksum"] != first["template"]["checksum"]
    assert result["template"]["checksum"] == templates.sha256_of(result["template"]["path"])
    assert cache_names(template_dir) == [NAME + ".meta", NAME + ".tar.zst"]


def test_rebuild_in_another_compression_removes_the_old_cache(vz, rootfs):
    conf, template_dir, _lock_dir = vz
    ensure_template(spec(rootfs), Host(), conf)
    planned = ensure_template(spec(rootfs, compression="gz", force=True), Host(check_mode=True), conf)
    assert planned["template"]["path"] == str(template_dir / "cache" / (NAME + ".tar.gz"))
    assert cache_names(template_dir) == [NAME + ".meta", NAME + ".tar.zst"]
    result = ensure_template(spec(rootfs, compression="gz", force=True), Host(), conf)
    assert cache_names(template_dir) == [NAME + ".meta", NAME + ".tar.gz"]
    assert result["template"]["format"] == "gz"
    assert [c["path"] for c in template_info(conf)] == [str(template_dir / "cache" / (NAME + ".tar.gz"))]


def test_a_different_compression_without_force_keeps_the_cache(vz, rootfs):
    conf, template_dir, _lock_dir = vz
    first = ensure_template(spec(rootfs), Host(), conf)
    result = ensure_template(spec(rootfs, compression="xz"), Host(), conf)
    assert (result["changed"], result["template"]) == (False, first["template"])
    assert cache_names(template_dir) == [NAME + ".meta", NAME + ".tar.zst"]


def test_absent_removes_cache_and_metadata(vz, rootfs, tmp_path):
    conf, template_dir, lock_dir = vz
    built = ensure_template(spec(rootfs), Host(), conf)
    (template_dir / "cache" / "other-1-x86_64.tar.gz").write_bytes(b"")  # another cache stays
    absent = TemplateSpec.from_params({"name": NAME, "state": "absent"})
    before = snapshot(tmp_path)
    planned = ensure_template(absent, Host(check_mode=True), conf, diff=True)
    assert snapshot(tmp_path) == before
    expected = {"changed": True, "actions": ["remove template cache %s" % NAME], "template": {"name": NAME, "path": None},
                "diff": {"before": {"state": "present", "path": built["template"]["path"], "checksum": built["template"]["checksum"]},
                         "after": {"state": "absent", "path": None, "checksum": None}}}
    assert planned == expected
    assert ensure_template(absent, Host(), conf, diff=True) == expected
    assert cache_names(template_dir) == ["other-1-x86_64.tar.gz"]
    assert os.listdir(lock_dir) == []
    for check_mode in (False, True):
        assert ensure_template(absent, Host(check_mode=check_mode), conf) == {
            "changed": False, "actions": [], "template": {"name": NAME, "path": None}}


def test_absent_when_there_never_was_a_cache(vz, tmp_path):
    conf, template_dir, _lock_dir = vz
    before = snapshot(tmp_path)
    result = ensure_template(TemplateSpec.from_params({"name": NAME, "state": "absent"}), Host(), conf)
    assert (result["changed"], result["actions"]) == (False, [])
    assert snapshot(tmp_path) == before
    assert not template_dir.exists()


def interrupted_build(template_dir):
    """What a build killed part-way leaves: the work tree and the partial archive."""
    work = template_dir / "cache" / (".%s.vzkit-build" % NAME)
    (work / "etc").mkdir(parents=True, exist_ok=True)
    (work / "etc" / "os-release").write_text("ID=debian\n")
    os.symlink("/etc", work / "host-etc")  # removed as a link, never followed
    (template_dir / "cache" / (NAME + ".tar.zst.partial")).write_bytes(b"half an archive")


def test_leftovers_removed_by_the_next_run(vz, rootfs):
    conf, template_dir, lock_dir = vz
    built = ensure_template(spec(rootfs), Host(), conf)
    interrupted_build(template_dir)
    assert template_info(conf) == [built["template"]]  # never listed
    planned = ensure_template(spec(rootfs), Host(check_mode=True), conf)
    assert planned["actions"] == ["remove leftovers of an interrupted build"]
    assert len(cache_names(template_dir)) == 4
    result = ensure_template(spec(rootfs), Host(), conf)
    assert (result["changed"], result["actions"], result["template"]) == (True, planned["actions"], built["template"])
    assert cache_names(template_dir) == [NAME + ".meta", NAME + ".tar.zst"]
    assert os.path.isdir("/etc")
    assert os.listdir(lock_dir) == []
    assert not ensure_template(spec(rootfs), Host(), conf)["changed"]


def test_leftovers_removed_by_a_build(vz, rootfs):
    conf, template_dir, _lock_dir = vz
    (template_dir / "cache").mkdir(parents=True)
    interrupted_build(template_dir)
    assert template_info(conf) == []
    result = ensure_template(spec(rootfs), Host(), conf)
    assert result["actions"] == ["build template cache %s: pack the tree %s, zst" % (NAME, rootfs)]
    assert cache_names(template_dir) == [NAME + ".meta", NAME + ".tar.zst"]
    assert tar_list(result["template"]["path"]) == KEPT


def test_leftovers_removed_by_absent(vz):
    conf, template_dir, _lock_dir = vz
    (template_dir / "cache").mkdir(parents=True)
    interrupted_build(template_dir)
    absent = TemplateSpec.from_params({"name": NAME, "state": "absent"})
    result = ensure_template(absent, Host(), conf)
    assert (result["changed"], result["actions"]) == (True, ["remove template cache %s" % NAME])
    assert cache_names(template_dir) == []


def test_template_info_lists_built_caches(vz, rootfs):
    conf, template_dir, _lock_dir = vz
    assert template_info(conf) == []
    built = [ensure_template(TemplateSpec.from_params({"name": name, "source": "directory", "path": str(rootfs),
                                                       "compression": compression}), Host(), conf)["template"]
             for name, compression in (("ubuntu-22.04-x86_64", "gz"), (NAME, "zst"))]
    listed = template_info(conf)
    assert listed == [built[1], built[0]]  # by name
    assert [c["metadata"]["RELEASE"] for c in listed] == ["12", "22.04"]
    assert cache_names(template_dir) == [NAME + ".meta", NAME + ".tar.zst", "ubuntu-22.04-x86_64.meta", "ubuntu-22.04-x86_64.tar.gz"]


@pytest.mark.parametrize("kind, make, message", [
    ("directory", None, "is not a directory"),
    ("directory", "file", "is not a directory"),
    ("directory", "empty dir", "does not look like a root filesystem (no /etc/os-release, no /sbin/init)"),
    ("tarball", None, "is not a file"),
    ("tarball", "empty dir", "is not a file"),
])
@pytest.mark.parametrize("check_mode", [True, False])
def test_bad_path_refused(vz, tmp_path, kind, make, message, check_mode):
    conf, template_dir, lock_dir = vz
    path = tmp_path / "given"
    if make == "file":
        path.write_text("not a tree\n")
    elif make == "empty dir":
        (path / "usr").mkdir(parents=True)
    before = snapshot(tmp_path)
    with pytest.raises(VzStateError) as exc:
        ensure_template(spec(path, source=kind), Host(check_mode=check_mode), conf)
    assert exc.value.details["param"] == "path"
    assert str(exc.value).startswith("`path`: %s " % path)
    assert message in str(exc.value)
    assert snapshot(tmp_path) == before
    assert not template_dir.exists() and not lock_dir.exists()


def test_tarball_that_is_not_a_tree_refused(vz, tmp_path):
    conf, template_dir, lock_dir = vz
    (tmp_path / "notroot" / "usr" / "share").mkdir(parents=True)
    (tmp_path / "notroot" / "usr" / "share" / "README").write_text("hello\n")
    tarball = make_tarball(tmp_path / "notroot", tmp_path / "notroot.tar.gz")
    with pytest.raises(VzStateError) as exc:
        ensure_template(spec(tarball, source="tarball"), Host(), conf)
    assert exc.value.details["param"] == "path"
    assert "does not look like a root filesystem" in str(exc.value)
    assert cache_names(template_dir) == []  # the work tree and partial archive are gone
    assert os.listdir(lock_dir) == []
    assert template_info(conf) == []


def test_tarball_with_a_directory_link_out_of_the_tree(vz, rootfs, tmp_path):
    conf, _template_dir, _lock_dir = vz
    outside = tmp_path / "host-ssh"
    outside.mkdir()
    (outside / "ssh_host_ed25519_key").write_text("the host's key\n")
    for n in os.listdir(rootfs / "etc" / "ssh"):
        os.unlink(rootfs / "etc" / "ssh" / n)
    os.rmdir(rootfs / "etc" / "ssh")
    os.symlink(str(outside), rootfs / "etc" / "ssh")
    tarball = make_tarball(rootfs, tmp_path / "rootfs.tar.gz")
    ensure_template(spec(tarball, source="tarball"), Host(), conf)
    assert os.listdir(outside) == ["ssh_host_ed25519_key"]
