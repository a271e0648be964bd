# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import datetime
import hashlib
import os
import re
import subprocess
import tarfile

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _templates as templates
from ansible_collections.vzkit.vz.plugins.module_utils._config import ConfFile
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError, VzStateError
from ansible_collections.vzkit.vz.plugins.module_utils._templates import TemplateSpec


@pytest.mark.parametrize("name", ["debian-12-x86_64-minimal", "centos-7", "alpine_3.19", "ubuntu-22.04+lxd", "busybox", "_x", "1"])
def test_validate_name_accepts(name):
    templates.validate_name(name)


@pytest.mark.parametrize("name", ["", None, "../x", "a/b", "/abs", ".hidden", "a..b", "-x", "a b", "x\x00", "d\u00ebbian"])
def test_validate_name_rejects(name):
    with pytest.raises(VzConfigError) as exc:
        templates.validate_name(name, param="ostemplate")
    assert exc.value.details["param"] == "ostemplate"
    assert "is not a template name" in str(exc.value)


@pytest.fixture(name="template_dir")
def fixture_template_dir(tmp_path):
    (tmp_path / "cache").mkdir()
    return tmp_path


def touch(path):
    path.write_bytes(b"")
    return str(path)


@pytest.mark.parametrize("present, expected", [
    ([".tar.zst", ".tar.xz", ".tar.gz", ".tar"], ".tar.zst"),
    ([".tar.xz", ".tar.gz", ".tar"], ".tar.xz"),
    ([".tar.gz", ".tar"], ".tar.gz"),
    ([".tar"], ".tar"),
    ([".tar.gz", ".tar.zst"], ".tar.zst"),
])
def test_find_cache_search_order(template_dir, present, expected):
    for ext in present:
        touch(template_dir / "cache" / ("debian-12" + ext))
    assert templates.find_cache(str(template_dir), "debian-12") == str(template_dir / "cache" / ("debian-12" + expected))


def test_find_cache_skips_directories(template_dir):
    (template_dir / "cache" / "debian-12.tar.zst").mkdir()
    touch(template_dir / "cache" / "debian-12.tar.gz")
    assert templates.find_cache(str(template_dir), "debian-12").endswith("/debian-12.tar.gz")


def test_find_cache_does_not_match_prefixes(template_dir):
    touch(template_dir / "cache" / "debian-12-x86_64.tar.gz")
    with pytest.raises(VzConfigError):
        templates.find_cache(str(template_dir), "debian-12")


def test_find_cache_error_lists_available(template_dir):
    for name in ("debian-12.tar.gz", "alpine-3.19.tar.xz", "centos-7.tar", "README", "notes.txt"):
        touch(template_dir / "cache" / name)
    with pytest.raises(VzConfigError) as exc:
        templates.find_cache(str(template_dir), "ubuntu-22.04", param="ostemplate")
    err = exc.value
    assert err.details["param"] == "ostemplate"
    assert err.details["hint"] == "build it first, or use one of: alpine-3.19, centos-7, debian-12"
    assert str(err) == ("`ostemplate`: template 'ubuntu-22.04' not found in %s/cache; "
                        "build it first, or use one of: alpine-3.19, centos-7, debian-12" % template_dir)


@pytest.mark.parametrize("make_cache_dir", [True, False])
def test_find_cache_error_when_nothing_cached(tmp_path, make_cache_dir):
    if make_cache_dir:
        (tmp_path / "cache").mkdir()
    with pytest.raises(VzConfigError) as exc:
        templates.find_cache(str(tmp_path), "debian-12")
    assert exc.value.details["hint"] == "build it first, or use one of: (none cached)"


def test_find_cache_error_lists_each_name_once(template_dir):
    touch(template_dir / "cache" / "debian-12.tar.gz")
    touch(template_dir / "cache" / "debian-12.tar.xz")
    with pytest.raises(VzConfigError) as exc:
        templates.find_cache(str(template_dir), "ubuntu")
    assert exc.value.details["hint"] == "build it first, or use one of: debian-12"


def test_find_cache_validates_name_first(template_dir):
    touch(template_dir / "x.tar.gz")  # ../x would find this one
    with pytest.raises(VzConfigError) as exc:
        templates.find_cache(str(template_dir), "../x")
    assert "is not a template name" in str(exc.value)


BASE = ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", "/usr/bin/tar", "--extract", "--file"]
TAIL = ["--directory", "/vz/private/.101.vzkit-partial", "--numeric-owner", "--preserve-permissions", "--same-owner",
        "--acls", "--xattrs", "--xattrs-include=*"]


@pytest.mark.parametrize("cache, flag", [
    ("/vz/template/cache/debian-12.tar.zst", ["--zstd"]),
    ("/vz/template/cache/debian-12.tar.xz", ["--xz"]),
    ("/vz/template/cache/debian-12.tar.gz", ["--gzip"]),
    ("/vz/template/cache/debian-12.tar", []),
    ("/vz/template/cache/centos-7.tgz", []),
])
def test_unpack_argv(cache, flag):
    argv = templates.unpack_argv(setpriv="/usr/bin/setpriv", tar="/usr/bin/tar", cache=cache,
                                 dest="/vz/private/.101.vzkit-partial")
    assert argv == BASE + [cache] + TAIL + flag


@pytest.mark.parametrize("cache, decompressor", [
    ("/vz/template/cache/debian-12.tar.gz", "pigz"),
    ("/vz/template/cache/debian-12.tar.xz", "xz -T0"),
])
def test_unpack_argv_with_decompressor(cache, decompressor):
    argv = templates.unpack_argv(setpriv="/usr/bin/setpriv", tar="/usr/bin/tar", cache=cache,
                                 dest="/vz/private/.101.vzkit-partial", decompressor=decompressor)
    assert argv == BASE + [cache] + TAIL + ["--use-compress-program", decompressor]  # replaces --gzip / --xz


def fake_which(installed):
    """which(program) as shutil.which answers on a host where only ``installed`` exist."""
    asked = []

    def which(program):
        asked.append(program)
        return "/usr/bin/" + program if program in installed else None
    which.asked = asked
    return which


@pytest.mark.parametrize("cache, installed, expected", [
    ("debian-12.tar.gz", {"pigz", "xz"}, "pigz"),
    ("debian-12.tar.gz", {"xz"}, None),
    ("debian-12.tar.xz", {"pigz", "xz"}, "xz -T0"),
    ("debian-12.tar.xz", {"pigz"}, None),
    ("debian-12.tar.zst", {"pigz", "xz", "zstd"}, None),
    ("debian-12.tar", {"pigz", "xz"}, None),
])
def test_decompressor_for(cache, installed, expected):
    assert templates.decompressor_for("/vz/template/cache/" + cache, fake_which(installed)) == expected


def test_decompressor_for_asks_for_the_program_not_the_command_line():
    which = fake_which({"xz"})
    assert templates.decompressor_for("/c/debian-12.tar.xz", which) == "xz -T0"
    assert which.asked == ["xz"]


# ---- TemplateSpec and building (vz_template) ---------------------------------------------------

@pytest.mark.parametrize("name, parts", [
    ("debian-12-x86_64-minimal", ("debian", "12", "x86_64", "minimal")),
    ("ubuntu-22.04-x86_64", ("ubuntu", "22.04", "x86_64", None)),
    ("centos-7-x86_64-lamp-stack", ("centos", "7", "x86_64", "lamp-stack")),
    ("alpine-3.20-aarch64", ("alpine", "3.20", "aarch64", None)),
    ("debian-12-i386-php8.2+redis", ("debian", "12", "i386", "php8.2+redis")),
    ("devuan-5-x86_64-sysvinit", ("devuan", "5", "x86_64", "sysvinit")),
])
def test_cache_name_accepted(name, parts):
    assert templates.CACHE_NAME_RE.fullmatch(name)
    spec = TemplateSpec.from_params({"name": name, "suite": "bookworm"})
    assert (spec.name, spec.parts) == (name, parts)


@pytest.mark.parametrize("name", [
    "debian/12", "../x", "Debian-12-x86_64", "debian-x86_64", "debian-12", "debian-12-X86_64", "debian-12-x86_64-",
    "debian-12-x86_64-a/b", ".debian-12-x86_64", "debian-12-x86_64/../../x", "debian 12 x86_64", "12-debian-x86_64",
    "debian-12-x86_64\n", "", None,
])
def test_cache_name_refused(name):
    with pytest.raises(VzConfigError) as exc:
        TemplateSpec.from_params({"name": name, "suite": "bookworm"})
    assert exc.value.details["param"] == "name"
    assert str(exc.value).startswith("`name`: %r is not a template name; use distro-version-arch[-flavour]" % (name or ""))


@pytest.mark.parametrize("name", ["debian/12", "../x"])
def test_cache_name_refused_for_absent_too(name):
    with pytest.raises(VzConfigError) as exc:
        TemplateSpec.from_params({"name": name, "state": "absent"})
    assert exc.value.details["param"] == "name"


def test_from_params_defaults_for_unset_options():
    spec = TemplateSpec.from_params({"name": "debian-12-x86_64", "suite": "bookworm", "state": None, "source": None,
                                     "variant": None, "packages": None, "mirror": None, "init": None,
                                     "compression": None, "force": None})
    assert spec == TemplateSpec(name="debian-12-x86_64", suite="bookworm")
    assert (spec.state, spec.source, spec.variant, spec.packages, spec.mirror, spec.init, spec.compression, spec.force) == (
        "present", "debootstrap", "minbase", (), "http://deb.debian.org/debian", "systemd", "zst", False)


def test_from_params_keeps_given_options():
    spec = TemplateSpec.from_params({"name": "debian-12-x86_64-web", "suite": "bookworm", "variant": "buildd",
                                     "packages": ["iproute2", "nginx-light", "libc++1"], "mirror": "https://mirror.example/debian",
                                     "arch": "arm64", "init": "sysvinit", "compression": "xz", "force": True})
    assert spec.packages == ("iproute2", "nginx-light", "libc++1")
    assert (spec.variant, spec.mirror, spec.arch, spec.init, spec.compression, spec.force) == (
        "buildd", "https://mirror.example/debian", "arm64", "sysvinit", "xz", True)


GOOD = {"name": "debian-12-x86_64", "suite": "bookworm"}


@pytest.mark.parametrize("params, param, message", [
    ({"suite": None}, "suite", "None is not a suite"),
    ({"suite": ""}, "suite", "'' is not a suite"),
    ({"suite": "Bookworm"}, "suite", "'Bookworm' is not a suite"),
    ({"suite": "../etc"}, "suite", "'../etc' is not a suite"),
    ({"suite": "bookworm/updates"}, "suite", "is not a suite"),
    ({"suite": "12"}, "suite", "is not a suite"),
    ({"mirror": "ftp://deb.debian.org/debian"}, "mirror", "'ftp://deb.debian.org/debian' is not a mirror URL"),
    ({"mirror": "deb.debian.org/debian"}, "mirror", "is not a mirror URL"),
    ({"mirror": "http://deb.debian.org/de bian"}, "mirror", "is not a mirror URL"),
    ({"mirror": "http://deb.debian.org/debian\n"}, "mirror", "is not a mirror URL"),
    ({"mirror": "http://"}, "mirror", "is not a mirror URL"),
    ({"packages": ["Vim"]}, "packages", "'Vim' is not a Debian package name"),
    ({"packages": ["iproute2", "x"]}, "packages", "'x' is not a Debian package name"),
    ({"packages": ["-x"]}, "packages", "is not a Debian package name"),
    ({"packages": ["vim;reboot"]}, "packages", "is not a Debian package name"),
    ({"packages": ["vim nano"]}, "packages", "is not a Debian package name"),
    ({"packages": [""]}, "packages", "is not a Debian package name"),
    ({"source": "directory"}, "path", "source directory needs an absolute path (None)"),
    ({"source": "directory", "path": "srv/rootfs"}, "path", "source directory needs an absolute path ('srv/rootfs')"),
    ({"source": "tarball", "path": ""}, "path", "source tarball needs an absolute path"),
    ({"source": "tarball", "path": "images/alpine.tar.gz"}, "path", "source tarball needs an absolute path"),
])
def test_bad_option_refused_naming_it(params, param, message):
    with pytest.raises(VzConfigError) as exc:
        TemplateSpec.from_params(dict(GOOD, **params))
    assert exc.value.details["param"] == param
    assert str(exc.value).startswith("`%s`: " % param)
    assert message in str(exc.value)


@pytest.mark.parametrize("params", [
    {"source": "directory", "path": "/srv/rootfs", "suite": None, "mirror": "not a url"},  # debootstrap-only options unused
    {"source": "tarball", "path": "/srv/images/alpine.tar.gz", "suite": "Not A Suite"},
    {"state": "absent", "suite": None, "packages": ["Vim"], "mirror": "x"},  # nothing is built: nothing to check
    {"state": "absent", "source": "directory"},
])
def test_options_not_used_are_not_checked(params):
    TemplateSpec.from_params(dict(GOOD, **params))


@pytest.fixture(name="scripts")
def fixture_scripts(tmp_path):
    """A debootstrap scripts directory as the package installs it: suites, links to them, helpers."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for suite in ("sid", "bookworm", "trixie", "bullseye", "jammy", "noble", "debian-common", "gutsy.sh"):
        (scripts / suite).write_text("# debootstrap suite script\n")
    os.symlink("sid", scripts / "forky")
    return scripts


@pytest.mark.parametrize("suite", ["bookworm", "sid", "forky", "jammy"])
def test_check_suite_known(scripts, suite):
    templates.check_suite(suite, str(scripts))


@pytest.mark.parametrize("suite", ["buster", "focal", "bookwor", "trixie-backports"])
def test_check_suite_unknown_lists_known(scripts, suite):
    with pytest.raises(VzConfigError) as exc:
        templates.check_suite(suite, str(scripts))
    assert exc.value.details["param"] == "suite"
    assert exc.value.details["hint"] == "use one of: bookworm, bullseye, forky, jammy, noble, sid, trixie"
    assert str(exc.value).startswith("`suite`: debootstrap does not know suite %r; " % suite)


def test_check_suite_hint_lists_the_last_twelve(tmp_path):
    names = ["a" + chr(ord("a") + i) for i in range(15)]  # aa .. ao
    for name in names:
        (tmp_path / name).write_text("")
    with pytest.raises(VzConfigError) as exc:
        templates.check_suite("zz", str(tmp_path))
    assert exc.value.details["hint"] == "use one of: " + ", ".join(names[3:])


def test_check_suite_without_debootstrap(tmp_path):
    with pytest.raises(VzConfigError) as exc:
        templates.check_suite("bookworm", str(tmp_path / "missing"))
    assert exc.value.details["hint"] == "use one of: (none: install debootstrap)"


def spec_of(**params) -> TemplateSpec:
    return TemplateSpec.from_params(dict({"name": "debian-12-x86_64-minimal", "suite": "bookworm"}, **params))


@pytest.mark.parametrize("params, middle", [
    ({}, ["--variant=minbase", "--arch=amd64", "--include=systemd-sysv"]),
    ({"init": "sysvinit"}, ["--variant=minbase", "--arch=amd64", "--include=sysvinit-core"]),
    ({"init": "none"}, ["--variant=minbase", "--arch=amd64"]),
    ({"init": "none", "packages": ["iproute2"]}, ["--variant=minbase", "--arch=amd64", "--include=iproute2"]),
    ({"packages": ["iproute2", "procps"], "variant": "buildd"},
     ["--variant=buildd", "--arch=amd64", "--include=systemd-sysv,iproute2,procps"]),
])
def test_debootstrap_argv(params, middle):
    argv = templates.debootstrap_argv("/usr/sbin/debootstrap", spec_of(**params), "/vz/template/cache/.x.vzkit-build", "amd64")
    assert argv == ["/usr/sbin/debootstrap"] + middle + ["bookworm", "/vz/template/cache/.x.vzkit-build", "http://deb.debian.org/debian"]


def test_debootstrap_argv_mirror_and_arch():
    argv = templates.debootstrap_argv("/usr/sbin/debootstrap", spec_of(mirror="file:///srv/mirror", init="none"), "/d", "arm64")
    assert argv == ["/usr/sbin/debootstrap", "--variant=minbase", "--arch=arm64", "bookworm", "/d", "file:///srv/mirror"]


@pytest.mark.parametrize("compression, program", [("zst", "zstd -T0 -3"), ("xz", "xz -T0 -6"), ("gz", "gzip -6")])
def test_pack_argv(compression, program):
    assert templates.pack_argv("/usr/bin/tar", "/srv/rootfs", "/vz/template/cache/x.tar.partial", compression) == [
        "/usr/bin/tar", "--create", "--file", "/vz/template/cache/x.tar.partial", "--directory", "/srv/rootfs",
        "--numeric-owner", "--acls", "--xattrs", "--xattrs-include=*",
        "--exclude=./etc/machine-id", "--exclude=./var/lib/dbus/machine-id", "--exclude=./etc/hostname",
        "--exclude=./etc/ssh/ssh_host_*",
        "--use-compress-program", program, "."]


def make_root(root):
    """A small root tree with one container's identity in it, as debootstrap leaves one."""
    for rel, text in (("etc/os-release", 'ID=debian\nVERSION_ID="12"\n'), ("etc/machine-id", "0123456789abcdef0123456789abcdef\n"),
                      ("etc/hostname", "buildhost\n"), ("etc/ssh/sshd_config", "PermitRootLogin no\n"),
                      ("etc/ssh/ssh_host_ed25519_key", "PRIVATE\n"), ("etc/ssh/ssh_host_ed25519_key.pub", "PUBLIC\n"),
                      ("etc/ssh/ssh_host_rsa_key", "PRIVATE\n"), ("etc/hostname.d/keep", "not an identity file\n"),
                      ("usr/share/doc/etc/hostname", "only /etc/hostname is identity\n"), ("bin/sh", "#!/bin/true\n")):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "var" / "lib" / "dbus").mkdir(parents=True)
    (root / "var" / "lib" / "dbus" / "machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    (root / "sbin").mkdir()
    os.symlink("/lib/systemd/systemd", root / "sbin" / "init")
    return root


KEPT = ["bin", "bin/sh", "etc", "etc/hostname.d", "etc/hostname.d/keep", "etc/os-release", "etc/ssh", "etc/ssh/sshd_config",
        "sbin", "sbin/init", "usr", "usr/share", "usr/share/doc", "usr/share/doc/etc", "usr/share/doc/etc/hostname",
        "var", "var/lib", "var/lib/dbus"]


def test_pack_argv_leaves_identity_out_for_real(tmp_path):
    root = make_root(tmp_path / "root")
    dest = tmp_path / "x.tar.gz"
    subprocess.run(templates.pack_argv("tar", str(root), str(dest), "gz"), check=True)
    with tarfile.open(dest) as tf:
        names = sorted(m.name[2:] for m in tf.getmembers() if m.name != ".")
    assert names == KEPT


def walk(root) -> list:
    return sorted(os.path.relpath(os.path.join(d, n), root) for d, dirs, files in os.walk(root) for n in dirs + files)


def test_reset_identity(tmp_path):
    root = make_root(tmp_path / "root")
    templates.reset_identity(str(root))
    assert walk(root) == KEPT


def test_reset_identity_leaves_links_alone(tmp_path):
    root = tmp_path / "root"
    (root / "etc" / "ssh").mkdir(parents=True)
    (root / "var" / "lib" / "dbus").mkdir(parents=True)
    (root / "etc" / "machine-id").mkdir()  # not a file: left as it is
    os.symlink("/etc/machine-id", root / "var" / "lib" / "dbus" / "machine-id")  # Debian's own link
    os.symlink("/etc/hostname", root / "etc" / "hostname")  # dangling in the tree: read on the host
    os.symlink("/etc/ssh/ssh_host_rsa_key", root / "etc" / "ssh" / "ssh_host_rsa_key")
    templates.reset_identity(str(root))
    assert walk(root) == ["etc", "etc/hostname", "etc/machine-id", "etc/ssh", "etc/ssh/ssh_host_rsa_key",
                          "var", "var/lib", "var/lib/dbus", "var/lib/dbus/machine-id"]
    assert os.readlink(root / "etc" / "ssh" / "ssh_host_rsa_key") == "/etc/ssh/ssh_host_rsa_key"


def test_reset_identity_of_an_empty_tree(tmp_path):
    templates.reset_identity(str(tmp_path))
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("linked", ["etc/ssh", "etc"])
def test_reset_identity_does_not_follow_directory_links_out_of_the_tree(tmp_path, linked):
    outside = tmp_path / "outside"
    (outside / "ssh").mkdir(parents=True)
    for rel in ("ssh/ssh_host_rsa_key", "machine-id", "hostname"):
        (outside / rel).write_text("the host's\n")
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    if linked == "etc":
        os.rmdir(root / "etc")
        os.symlink(str(outside), root / "etc")
    else:
        os.symlink(str(outside / "ssh"), root / "etc" / "ssh")
    templates.reset_identity(str(root))
    assert walk(outside) == ["hostname", "machine-id", "ssh", "ssh/ssh_host_rsa_key"]


@pytest.fixture(name="cache_dir")
def fixture_cache_dir(template_dir):
    """A cache directory with complete caches, an interrupted build and things that are not caches."""
    cache = template_dir / "cache"
    (cache / "debian-12-x86_64-minimal.tar.zst").write_bytes(b"z" * 1000)
    (cache / "debian-12-x86_64-minimal.tar.gz").write_bytes(b"g" * 10)  # an older format left beside it
    (cache / "debian-12-x86_64-minimal.meta").write_text('# vzkit template metadata\nDISTRIBUTION="debian"\nRELEASE="12"\n'
                                                         'SHA256="%s"\nSIZE="1000"\n' % ("a" * 64))
    (cache / "alpine-3.20-x86_64.tar.gz").write_bytes(b"a" * 7)  # imported by hand: no metadata
    (cache / ".debian-12-x86_64-minimal.vzkit-build" / "etc").mkdir(parents=True)
    (cache / "debian-12-x86_64-minimal.tar.zst.partial").write_bytes(b"p")
    (cache / "ubuntu-22.04-x86_64.tar.xz.partial").write_bytes(b"p")  # interrupted, never complete
    (cache / ".ubuntu-22.04-x86_64.vzkit-build").mkdir()
    (cache / ".hidden-1-x86_64.tar.gz").write_bytes(b"h")
    (cache / ".debian-12-x86_64-minimal.meta.k2j3h4").write_text("")  # atomic_write's temporary file
    (cache / "dir-1-x86_64.tar.gz").mkdir()  # not a file
    (cache / "README").write_text("caches go here\n")
    return template_dir


def test_cache_files_in_search_order(cache_dir):
    cache = cache_dir / "cache"
    assert templates.cache_files(str(cache_dir), "debian-12-x86_64-minimal") == [
        str(cache / "debian-12-x86_64-minimal.tar.zst"), str(cache / "debian-12-x86_64-minimal.tar.gz")]
    assert templates.cache_files(str(cache_dir), "ubuntu-22.04-x86_64") == []
    assert templates.cache_files(str(cache_dir), "dir-1-x86_64") == []
    assert templates.cache_files(str(cache_dir / "nothing"), "debian-12-x86_64-minimal") == []


@pytest.mark.parametrize("name, expected", [
    ("debian-12-x86_64-minimal", [".debian-12-x86_64-minimal.vzkit-build", "debian-12-x86_64-minimal.tar.zst.partial"]),
    ("ubuntu-22.04-x86_64", [".ubuntu-22.04-x86_64.vzkit-build", "ubuntu-22.04-x86_64.tar.xz.partial"]),
    ("debian-12-x86_64", []),  # a prefix of another name owns none of its files
    ("alpine-3.20-x86_64", []),
])
def test_leftovers(cache_dir, name, expected):
    assert sorted(templates.leftovers(str(cache_dir), name)) == [str(cache_dir / "cache" / n) for n in expected]


def test_describe_reads_metadata(cache_dir):
    assert templates.meta_path(str(cache_dir), "debian-12-x86_64-minimal") == str(cache_dir / "cache" / "debian-12-x86_64-minimal.meta")
    assert templates.describe(str(cache_dir), "debian-12-x86_64-minimal") == {
        "name": "debian-12-x86_64-minimal", "path": str(cache_dir / "cache" / "debian-12-x86_64-minimal.tar.zst"),
        "size": 1000, "format": "zst", "checksum": "a" * 64,
        "metadata": {"DISTRIBUTION": "debian", "RELEASE": "12", "SHA256": "a" * 64, "SIZE": "1000"}}


def test_describe_without_metadata(cache_dir):
    assert templates.describe(str(cache_dir), "alpine-3.20-x86_64") == {
        "name": "alpine-3.20-x86_64", "path": str(cache_dir / "cache" / "alpine-3.20-x86_64.tar.gz"),
        "size": 7, "format": "gz", "checksum": None, "metadata": {}}


@pytest.mark.parametrize("name", ["ubuntu-22.04-x86_64", "dir-1-x86_64", "centos-7-x86_64"])
def test_describe_no_cache(cache_dir, name):
    assert templates.describe(str(cache_dir), name) is None


@pytest.mark.parametrize("ext, fmt", [(".tar.zst", "zst"), (".tar.xz", "xz"), (".tar.gz", "gz"), (".tar", "tar")])
def test_describe_format(template_dir, ext, fmt):
    touch(template_dir / "cache" / ("debian-12-x86_64" + ext))
    assert templates.describe(str(template_dir), "debian-12-x86_64")["format"] == fmt


def test_list_caches_only_complete_ones(cache_dir):
    listed = templates.list_caches(str(cache_dir))
    assert [(c["name"], os.path.basename(c["path"])) for c in listed] == [
        ("alpine-3.20-x86_64", "alpine-3.20-x86_64.tar.gz"),
        ("debian-12-x86_64-minimal", "debian-12-x86_64-minimal.tar.zst")]
    assert listed[1] == templates.describe(str(cache_dir), "debian-12-x86_64-minimal")


@pytest.mark.parametrize("make_cache_dir", [True, False])
def test_list_caches_empty(tmp_path, make_cache_dir):
    if make_cache_dir:
        (tmp_path / "cache").mkdir()
    assert templates.list_caches(str(tmp_path)) == []


def test_list_caches_flavour_with_tar_in_it(template_dir):
    touch(template_dir / "cache" / "debian-12-x86_64-v1.tarantool.tar.zst")
    assert [c["name"] for c in templates.list_caches(str(template_dir))] == ["debian-12-x86_64-v1.tarantool"]


def test_leftovers_of_a_name_with_tar_in_its_flavour(template_dir):
    touch(template_dir / "cache" / "debian-12-x86_64-v1.tarantool.tar.zst.partial")
    assert templates.leftovers(str(template_dir), "debian-12-x86_64-v1") == []


def metadata_items(text: str) -> dict:
    assert text.startswith("# vzkit template metadata\n")
    return ConfFile.parse(text).items()


def test_metadata_debootstrap():
    spec = spec_of(packages=["iproute2", "procps"], init="sysvinit")
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    items = metadata_items(templates.metadata(spec, arch="amd64", tree=None, checksum="c" * 64, size=123456))
    after = datetime.datetime.now(datetime.timezone.utc)
    built = datetime.datetime.strptime(items.pop("BUILD_DATE"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert before <= built <= after
    assert items == {"DISTRIBUTION": "debian", "RELEASE": "12", "ARCH": "x86_64", "FLAVOUR": "minimal", "INIT": "sysvinit",
                     "SOURCE": "debootstrap", "SUITE": "bookworm", "VARIANT": "minbase", "PACKAGES": "iproute2 procps",
                     "MIRROR": "http://deb.debian.org/debian", "DPKG_ARCH": "amd64", "SHA256": "c" * 64, "SIZE": "123456"}


def test_metadata_keys_in_order():
    text = templates.metadata(spec_of(), arch="amd64", tree=None, checksum="c" * 64, size=1)
    assert re.findall(r"^([A-Z0-9_]+)=", text, re.M) == [
        "DISTRIBUTION", "RELEASE", "ARCH", "FLAVOUR", "INIT", "SOURCE", "SUITE", "VARIANT", "PACKAGES", "MIRROR",
        "DPKG_ARCH", "BUILD_DATE", "SHA256", "SIZE"]


def init_tree(root, kind):
    (root / "etc").mkdir(parents=True)
    (root / "sbin").mkdir()
    if kind == "systemd":
        os.symlink("/lib/systemd/systemd", root / "sbin" / "init")
    elif kind == "busybox":
        os.symlink("/bin/busybox", root / "sbin" / "init")
    elif kind == "sysvinit":
        (root / "sbin" / "init").write_text("ELF")
        (root / "etc" / "inittab").write_text("ca:12345:ctrlaltdel:/sbin/shutdown -t1 -a -r now\n")
    elif kind == "unknown":
        (root / "sbin" / "init").write_text("ELF")
    return root


@pytest.mark.parametrize("kind", ["systemd", "busybox", "sysvinit", "unknown"])
def test_metadata_from_a_tree(tmp_path, kind):
    spec = TemplateSpec.from_params({"name": "ubuntu-22.04-x86_64", "source": "directory", "path": "/srv/rootfs", "init": "systemd"})
    items = metadata_items(templates.metadata(spec, arch="amd64", tree=str(init_tree(tmp_path / "root", kind)),
                                              checksum="d" * 64, size=5))
    assert (items["INIT"], items["FLAVOUR"], items["SOURCE"]) == (kind, "", "directory")
    assert (items["SUITE"], items["VARIANT"], items["MIRROR"], items["PACKAGES"]) == ("", "", "", "")  # debootstrap only


def test_metadata_read_back_by_describe(template_dir):
    cache = template_dir / "cache" / "debian-12-x86_64-minimal.tar.zst"
    cache.write_bytes(b"x" * 42)
    (template_dir / "cache" / "debian-12-x86_64-minimal.meta").write_text(
        templates.metadata(spec_of(), arch="amd64", tree=None, checksum=templates.sha256_of(str(cache)), size=42))
    found = templates.describe(str(template_dir), "debian-12-x86_64-minimal")
    assert found["checksum"] == hashlib.sha256(b"x" * 42).hexdigest()
    assert (found["metadata"]["INIT"], found["metadata"]["SIZE"], found["size"]) == ("systemd", "42", 42)


@pytest.mark.parametrize("size", [0, 3, 1 << 20, 3 * (1 << 20) + 17])  # across the 1 MiB read chunks
def test_sha256_of(tmp_path, size):
    data = (bytes(range(256)) * (size // 256 + 1))[:size]
    (tmp_path / "f").write_bytes(data)
    assert templates.sha256_of(str(tmp_path / "f")) == hashlib.sha256(data).hexdigest()


def test_sha256_of_known_value(tmp_path):
    (tmp_path / "f").write_bytes(b"")
    assert templates.sha256_of(str(tmp_path / "f")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("kind", ["systemd", "sysvinit", "os-release"])
def test_check_tree_accepts(tmp_path, kind):
    if kind == "os-release":
        (tmp_path / "etc").mkdir()
        (tmp_path / "etc" / "os-release").write_text("ID=alpine\n")
    else:
        init_tree(tmp_path / "root", kind)
        tmp_path = tmp_path / "root"
    templates.check_tree(str(tmp_path))


@pytest.mark.parametrize("kind", ["empty", "os-release is a directory"])
def test_check_tree_refuses(tmp_path, kind):
    if kind != "empty":
        (tmp_path / "etc" / "os-release").mkdir(parents=True)
    with pytest.raises(VzStateError) as exc:
        templates.check_tree(str(tmp_path))
    assert exc.value.details["param"] == "path"
    assert "does not look like a root filesystem" in str(exc.value)
