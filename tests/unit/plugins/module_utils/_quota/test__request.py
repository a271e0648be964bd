# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What vz_quota is asked: DISKSPACE, DISKINODES, users and groups, checked and normalised."""
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._quota import _request as quota
from ansible_collections.vzkit.vz.plugins.module_utils._quota._request import Entry, QuotaSpec
from ansible_collections.vzkit.vz.tests.unit.plugins.module_utils._assert import refused

K, M, G, T = 1024, 1024 ** 2, 1024 ** 3, 1024 ** 4


def spec(**params):
    params.setdefault("ctid", "101")
    return QuotaSpec.from_params(params)


# ---- DISKSPACE ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("1048576", (G, G)),           # bare numbers are 1K blocks, as in OpenVZ
    (1048576, (G, G)),
    ("1024:2048", (M, 2 * M)),
    ("10G:11G", (10 * G, 11 * G)),
    ("512M", (512 * M, 512 * M)),
    ("100K:200K", (100 * K, 200 * K)),
    ("2T", (2 * T, 2 * T)),
    (" 5g ", (5 * G, 5 * G)),
    ("1G:1G", (G, G)),
    ("1048576:2G", (G, 2 * G)),
    ("unlimited", (None, None)),
    ("unlimited:unlimited", (None, None)),
    ("1G:unlimited", (G, None)),
    ("9223372036854775807", (None, None)),
])
def test_parse_diskspace(text, expected):
    assert quota.parse_diskspace(text) == expected


@pytest.mark.parametrize("text", ["5X", "2G:1G", "1048577:1048576", "unlimited:1G", "", "1G:", ":1G", "1:2:3", "-1", "1.5G", "ten",
                                  "0", "0:0"])
def test_bad_diskspace(text):
    refused("diskspace", quota.parse_diskspace, text)


def test_bad_diskspace_names_the_given_param():
    refused("DISKSPACE", quota.parse_diskspace, "5X", param="DISKSPACE")


# ---- QuotaSpec ---------------------------------------------------------------------------------

def test_defaults():
    assert spec() == QuotaSpec(ctid="101", diskspace=None, diskspace_text=None, diskinodes=None, refreservation=None,
                               users=(), groups=(), vz_conf="/etc/vz/vz.conf")


def test_module_params_with_nulls_give_defaults():
    params = {"ctid": "101", "diskspace": None, "diskinodes": None, "refreservation": None, "users": None,
              "groups": None, "vz_conf": None}
    assert QuotaSpec.from_params(params) == spec()


def test_spec_is_frozen():
    with pytest.raises(AttributeError):
        spec().ctid = "102"


@pytest.mark.parametrize("diskspace, parsed, text", [
    ("10G:11G", (10 * G, 11 * G), "10G:11G"),
    ("1048576", (G, G), "1G:1G"),
    ("1024:1536", (M, 1536 * K), "1M:1536K"),
    ("unlimited", (None, None), "unlimited:unlimited"),
    ("1G:unlimited", (G, None), "1G:unlimited"),
])
def test_diskspace(diskspace, parsed, text):
    s = spec(diskspace=diskspace)
    assert (s.diskspace, s.diskspace_text) == (parsed, text)
    assert quota.parse_diskspace(text) == parsed  # the text written to the config reads back the same


@pytest.mark.parametrize("diskinodes, expected", [("200000:220000", "200000:220000"), (200000, "200000"), ("unlimited", "unlimited")])
def test_diskinodes_are_kept_as_given(diskinodes, expected):
    assert spec(diskinodes=diskinodes).diskinodes == expected


@pytest.mark.parametrize("diskinodes", ["5K", "x", "2:1", "1:2:3"])
def test_bad_diskinodes(diskinodes):
    refused("diskinodes", spec, diskinodes=diskinodes)


def test_bad_diskspace_in_spec():
    refused("diskspace", spec, diskspace="5X")


@pytest.mark.parametrize("value", [True, False, None])
def test_refreservation(value):
    assert spec(refreservation=value).refreservation is value


def test_users_and_groups():
    s = spec(users=[{"name": "root", "quota": "1G"}, {"name": "1000", "quota": None}, {"name": " www-data ", "quota": "none"}],
             groups=[{"name": "users", "quota": "512M"}, {"name": "root", "quota": 2 * G}])
    assert s.users == (Entry("root", G), Entry("1000", None), Entry("www-data", None))
    assert s.groups == (Entry("users", 512 * M), Entry("root", 2 * G))


@pytest.mark.parametrize("value, expected", [
    ("1G", G), ("512M", 512 * M), ("10K", 10 * K), ("1T", T),
    ("1000", 1000), (1048576, M),      # bare numbers are bytes, as zfs takes them
    ("none", None), ("unlimited", None), (None, None), (0, None), ("0", None), ("0K", None),
])
def test_entry_quota(value, expected):
    assert spec(users=[{"name": "bob", "quota": value}]).users == (Entry("bob", expected),)
    assert spec(groups=[{"name": "bob", "quota": value}]).groups == (Entry("bob", expected),)


@pytest.mark.parametrize("kind, entries, param", [
    ("users", [{"name": "root", "quota": "5X"}], "users[0].quota"),
    ("groups", [{"name": "root"}, {"name": "adm", "quota": "1.5G"}], "groups[1].quota"),
    ("users", [{"name": ""}], "users[0].name"),
    ("users", [{"name": None}], "users[0].name"),
    ("users", [{"name": "   "}], "users[0].name"),
    ("users", [{}], "users[0].name"),
    ("users", [{"name": "root"}, {"name": "a:b"}], "users[1].name"),
    ("groups", [{"name": "adm\nroot"}], "groups[0].name"),
    ("users", [{"name": "root"}, {"name": "bob"}, {"name": "root"}], "users[2].name"),
    ("groups", [{"name": "adm"}, {"name": " adm "}], "groups[1].name"),
])
def test_bad_entries(kind, entries, param):
    refused(param, spec, **{kind: entries})


def test_duplicate_message_and_hints():
    err = refused("users[1].name", spec, users=[{"name": "bob"}, {"name": "bob"}])
    assert "bob is listed twice" in str(err)
    err = refused("users[0].name", spec, users=[{"name": "a:b"}])
    assert "/etc/passwd" in err.details["hint"]
    err = refused("groups[0].name", spec, groups=[{"name": "a:b"}])
    assert "/etc/group" in err.details["hint"]


def test_same_name_as_user_and_group():
    s = spec(users=[{"name": "bob", "quota": "1G"}], groups=[{"name": "bob", "quota": "2G"}])
    assert (s.users, s.groups) == ((Entry("bob", G),), (Entry("bob", 2 * G),))


@pytest.mark.parametrize("ctid", [None, "", "../x", "a b"])
def test_bad_ctid(ctid):
    refused("ctid", spec, ctid=ctid)
