# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _templates as templates
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError


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
