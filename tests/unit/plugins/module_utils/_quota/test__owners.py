# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The users and groups of second-level quota: read in the container's own files, mapped to host ids."""
from __future__ import annotations

import os

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._confine import IdMap
from ansible_collections.vzkit.vz.plugins.module_utils._quota import _owners as quota_ids
from ansible_collections.vzkit.vz.plugins.module_utils._quota._request import Entry
from ansible_collections.vzkit.vz.tests.unit.plugins.module_utils._assert import refused

K, M, G = 1024, 1024 ** 2, 1024 ** 3

PASSWD = """\
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
+::::::
broken line
bob:x:1000:1000:Bob,,,:/home/bob:/bin/bash
root:x:4242:4242:a later duplicate:/:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
"""
GROUP = """\
root:x:0:
adm:x:4:syslog,bob
www-data:x:33:
users:x:100:
bob:x:1000:
"""


@pytest.fixture(name="private")
def fixture_private(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(PASSWD)
    (tmp_path / "etc" / "group").write_text(GROUP)
    return str(tmp_path)


def test_read_ids(private):
    assert quota_ids.read_ids(private, "etc/passwd") == {"root": 0, "daemon": 1, "www-data": 33, "bob": 1000, "nobody": 65534}
    assert quota_ids.read_ids(private, "etc/group") == {"root": 0, "adm": 4, "www-data": 33, "users": 100, "bob": 1000}
    assert quota_ids.read_ids(private, "/etc/group") == quota_ids.read_ids(private, "etc/group")


def test_read_ids_missing(tmp_path):
    assert quota_ids.read_ids(str(tmp_path), "etc/passwd") == {}
    (tmp_path / "etc").mkdir()
    assert quota_ids.read_ids(str(tmp_path), "etc/passwd") == {}
    (tmp_path / "etc" / "passwd").mkdir()  # not a file
    assert quota_ids.read_ids(str(tmp_path), "etc/passwd") == {}
    (tmp_path / "etc" / "group").write_text("")
    assert quota_ids.read_ids(str(tmp_path), "etc/group") == {}


def test_read_ids_resolves_links_inside_the_tree(tmp_path):
    # /etc of the container is an absolute link: it means the container's /real-etc, not the host's
    (tmp_path / "real-etc").mkdir()
    (tmp_path / "real-etc" / "passwd").write_text("inside:x:7:7::/:/bin/sh\n")
    os.symlink("/real-etc", str(tmp_path / "etc"))
    assert quota_ids.read_ids(str(tmp_path), "etc/passwd") == {"inside": 7}


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../../../etc/passwd"])
def test_read_ids_never_reads_the_hosts_file(tmp_path, target):
    (tmp_path / "etc").mkdir()
    os.symlink(target, str(tmp_path / "etc" / "passwd"))
    assert "root" not in quota_ids.read_ids(str(tmp_path), "etc/passwd")
    os.symlink("../../../../../../../../etc", str(tmp_path / "up"))
    assert quota_ids.read_ids(str(tmp_path), "up/passwd") == {}  # resolved inside: the tree has no etc/passwd file


# ---- resolve -----------------------------------------------------------------------------------

SHIFTED = IdMap(first_uid=100000, first_gid=200000, count=65536)


@pytest.mark.parametrize("entry, ids, host_id, expected", [
    (Entry("root", G), {"root": 0, "bob": 1000}, IdMap().host_uid, (0, 0)),
    (Entry("bob", None), {"root": 0, "bob": 1000}, IdMap().host_uid, (1000, 1000)),
    (Entry("bob", None), {"root": 0, "bob": 1000}, SHIFTED.host_uid, (1000, 101000)),
    (Entry("bob", None), {"bob": 1000}, SHIFTED.host_gid, (1000, 201000)),
    (Entry("1000", None), {}, SHIFTED.host_uid, (1000, 101000)),   # a number needs no entry in the file
    (Entry("0", None), {"root": 0}, SHIFTED.host_uid, (0, 100000)),
])
def test_resolve(entry, ids, host_id, expected):
    assert quota_ids.resolve(entry, ids, param="users[0].name", host_id=host_id) == expected


def test_resolve_from_the_containers_files(private):
    users = quota_ids.read_ids(private, "etc/passwd")
    groups = quota_ids.read_ids(private, "etc/group")
    assert quota_ids.resolve(Entry("www-data", None), users, param="users[0].name", host_id=SHIFTED.host_uid) == (33, 100033)
    assert quota_ids.resolve(Entry("adm", None), groups, param="groups[0].name", host_id=SHIFTED.host_gid) == (4, 200004)


@pytest.mark.parametrize("name, param", [("nosuch", "users[2].name"), ("adm", "users[0].name"), ("Root", "groups[1].name")])
def test_resolve_missing_name(private, name, param):
    users = quota_ids.read_ids(private, "etc/passwd")
    err = refused(param, quota_ids.resolve, Entry(name, None), users, param=param, host_id=IdMap().host_uid)
    assert "no %s in the container" % name in str(err)


def test_listing_shows_only_ids_with_a_quota_or_usage_by_id_inside():
    figures = {100033: (None, 4096), 100000: (1048576, 0), 100034: (None, 0)}
    names = {"www-data": 33, "root": 0, "list": 34}
    assert quota_ids.listing(names, SHIFTED.host_uid, figures.get) == [
        {"name": "root", "id": 0, "host_id": 100000, "quota": 1048576, "used": 0},
        {"name": "www-data", "id": 33, "host_id": 100033, "quota": None, "used": 4096}]
