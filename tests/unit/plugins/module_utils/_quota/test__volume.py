# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vz_quota on a zvol container, planned: what is refused, what is stored but not enforced, and the plan
of an unmounted volume. This machine makes no volumes (zfs-fuse), so the layout is a stand-in with the
volume's figures; the plan carried out on real volumes is the VM scenario's (vz_host/integration)."""
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._config import ConfFile
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError, VzUnsupported
from ansible_collections.vzkit.vz.plugins.module_utils._host import Host
from ansible_collections.vzkit.vz.plugins.module_utils._quota import _volume as volume
from ansible_collections.vzkit.vz.plugins.module_utils._quota._request import QuotaSpec

G = 1024 ** 3


class StandIn:
    """What _volume asks of a zvol layout, with a 10G volume that is not mounted."""

    def __init__(self, tmp_path):
        self.dataset, self.private, self.root = "tank/private/101", str(tmp_path / "private"), str(tmp_path / "root")
        self.resized = []

    def volume(self):
        return {"volsize": str(10 * G)}

    def describe(self):
        return {"volsize": 10 * G, "fs_used": None, "fs_size": None}

    def resize_plan(self, size, *, running, param):
        return None if size == 10 * G else "grow volume %s to %d" % (self.dataset, size)


class Ctx:
    def __init__(self, tmp_path):
        self.layout, self.conf_path, self.host = StandIn(tmp_path), str(tmp_path / "101.conf"), Host()


def spec(**params):
    return QuotaSpec.from_params(dict(params, ctid="101"))


def test_refreservation_is_refused(tmp_path):
    with pytest.raises(VzUnsupported) as exc:
        volume.plan(spec(refreservation=True), Ctx(tmp_path), ConfFile.parse(""))
    assert exc.value.details["param"] == "refreservation"


def test_an_unlimited_size_is_refused(tmp_path):
    with pytest.raises(VzConfigError) as exc:
        volume.plan(spec(diskspace="unlimited"), Ctx(tmp_path), ConfFile.parse(""))
    assert exc.value.details["param"] == "diskspace" and "cannot be unlimited" in str(exc.value)


def test_the_plan_of_an_unmounted_volume(tmp_path):
    ctx = Ctx(tmp_path)
    planned = volume.plan(spec(diskspace="20G", diskinodes="1000", users=[{"name": "alice", "quota": "1G"}]), ctx,
                          ConfFile.parse('DISKSPACE="10485760:10485760"\n'))
    assert planned.actions == [
        "mount the filesystem of tank/private/101 at %s" % ctx.layout.private,
        "write %s (DISKINODES, DISKSPACE)" % ctx.conf_path,
        "grow volume tank/private/101 to %d" % (20 * G),
        "set user quota of alice to 1G",  # its id is read from the filesystem once mounted
    ]
    report = planned.report(False)
    assert report.value["diskspace"] == {"barrier": 20 * G, "limit": 20 * G}  # as the plan leaves it
    assert report.value["diskinodes"] == {"enforced": False, "reason": volume.INODES_ON_ZVOL, "value": "1000"}
    assert report.diff["before"]["volsize"] == 10 * G and report.diff["after"]["volsize"] == 20 * G
    assert ctx.layout.resized == []  # planning changes nothing


def test_what_is_stored_but_not_enforced_is_said(tmp_path):
    assert volume._warnings(spec(diskspace="9G:10G", diskinodes="1000", quotatime="60"), "/c/101.conf") == [
        "`diskinodes`: stored in /c/101.conf, not enforced: " + volume.INODES_ON_ZVOL,
        "`quotatime`: stored in /c/101.conf, not enforced: " + volume.GRACE_ON_ZVOL,
        "`diskspace`: the barrier 9G is stored, not enforced: the volume's size is the limit 10G",
    ]
    assert volume._warnings(spec(diskspace="10G"), "/c/101.conf") == []
