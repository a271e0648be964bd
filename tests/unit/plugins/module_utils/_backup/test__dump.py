# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._backup import _archive as archive
from ansible_collections.vzkit.vz.plugins.module_utils._backup._dump import BackupSpec, expired
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError


def backup(tmp_path, ctid, stamp, base=None, host=None):
    path = str(tmp_path / ("vzkit-backup-%s-%s.tar" % (ctid, stamp)))
    with archive.Writer(path) as w:
        w.add_bytes("%s.conf" % ctid, b"")
        w.finish({"ctid": ctid, "config": "%s.conf" % ctid, "kind": "zfs-send", "host": host or archive.host_name(),
                  "base": {"backup": os.path.basename(base)} if base else None})
    return path


def names(paths):
    return [os.path.basename(p)[len("vzkit-backup-"):-len(".tar")] for p in paths]


def test_keep_removes_the_oldest_of_that_container_only(tmp_path):
    for stamp in ("20261201T000000Z", "20261202T000000Z", "20261203T000000Z"):
        backup(tmp_path, "101", stamp)
    backup(tmp_path, "1010", "20261101T000000Z")  # another container, a prefix of the same digits
    (tmp_path / "notes.txt").write_text("mine")
    new = str(tmp_path / "vzkit-backup-101-20261204T000000Z.tar")
    assert names(expired(str(tmp_path), "101", 2, new=new)) == ["101-20261201T000000Z", "101-20261202T000000Z"]
    assert names(expired(str(tmp_path), "101", 5, new=new)) == []
    assert names(expired(str(tmp_path), "101", 1)) == ["101-20261201T000000Z", "101-20261202T000000Z"]


def test_keep_never_removes_another_hosts_backups_nor_an_unreadable_file(tmp_path):
    backup(tmp_path, "101", "20261201T000000Z", host="node9")  # a dest shared by hosts: node9's container 101
    (tmp_path / "vzkit-backup-101-20261202T000000Z.tar").write_bytes(b"damaged")
    mine = backup(tmp_path, "101", "20261203T000000Z")
    backup(tmp_path, "web.1", "20261201T000000Z")
    assert expired(str(tmp_path), "101", 1, new=str(tmp_path / "vzkit-backup-101-20261204T000000Z.tar")) == [mine]
    assert names(expired(str(tmp_path), "web.1", 1, new=str(tmp_path / "vzkit-backup-web.1-20261204T000000Z.tar"))) == [
        "web.1-20261201T000000Z"]


def test_keep_never_removes_what_a_kept_incremental_is_built_on(tmp_path):
    full = backup(tmp_path, "102", "20261201T000000Z")
    inc1 = backup(tmp_path, "102", "20261202T000000Z", base=full)
    inc2 = backup(tmp_path, "102", "20261203T000000Z", base=inc1)
    full2 = backup(tmp_path, "102", "20261204T000000Z")
    assert names(expired(str(tmp_path), "102", 1)) == ["102-20261201T000000Z", "102-20261202T000000Z",
                                                       "102-20261203T000000Z"]
    assert expired(str(tmp_path), "102", 2) == []  # inc2 is kept, so inc1 and full are too
    new = str(tmp_path / "vzkit-backup-102-20261205T000000Z.tar")  # incremental on full2, about to be made
    assert names(expired(str(tmp_path), "102", 1, new=new, new_base=os.path.basename(full2))) == [
        "102-20261201T000000Z", "102-20261202T000000Z", "102-20261203T000000Z"]
    assert inc2 and full2


@pytest.mark.parametrize("params, param, text", [
    ({"ctid": "101", "dest": "relative/dir"}, "dest", "not an existing directory"),
    ({"ctid": "101", "dest": "/nonexistent/vzkit"}, "dest", "not an existing directory"),
    ({"ctid": "101", "dest": "TMP", "keep": 0}, "keep", "not a count"),
    ({"ctid": "101", "dest": "TMP", "keep": True}, "keep", "not a count"),
    ({"ctid": "101", "dest": "TMP", "compression": "lz4"}, "compression", "not a compression"),
    ({"ctid": "../101", "dest": "TMP"}, "ctid", "ctid"),
])
def test_bad_values_name_their_option(tmp_path, params, param, text):
    params = dict(params, dest=str(tmp_path) if params["dest"] == "TMP" else params["dest"])
    with pytest.raises(VzConfigError, match=text) as err:
        BackupSpec.from_params(params)
    assert err.value.details["param"] == param


def test_a_good_spec(tmp_path):
    spec = BackupSpec.from_params({"ctid": "101", "dest": str(tmp_path) + "/", "keep": 3, "incremental": True})
    assert (spec.dest, spec.keep, spec.incremental, spec.compression) == (str(tmp_path), 3, True, "zstd")
