# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import shlex
from types import SimpleNamespace

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError
from ansible_collections.vzkit.vz.plugins.module_utils._migrate._send import Destination, MigrateSpec, _common_base
from ansible_collections.vzkit.vz.plugins.module_utils._zfs import Snapshot


class Bins:
    def bin(self, name):
        return "/usr/bin/" + name


def test_the_destination_commands_are_argv_with_the_remote_command_quoted_once():
    spec = MigrateSpec.from_params({"ctid": "101", "dest": "node2", "dest_ctid": "201", "dest_user": "vzadmin",
                                    "dest_port": 2222, "private_key_file": None, "ssh_args": "-o 'UserKnownHostsFile=/k h'",
                                    "dest_sudo": True, "dest_vz_conf": "/etc/vz/vz.conf", "dest_zfs_dataset": "tank/ct"})
    dest = Destination(spec, Bins(), "zfs")
    argv = dest.command("finish", start=True)
    assert argv[:13] == ["/usr/bin/ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=10",
                         "-o", "ServerAliveCountMax=3", "-p", "2222", "-o", "UserKnownHostsFile=/k h"]
    assert argv[13] == "vzadmin@node2"
    assert shlex.split(argv[14]) == [
        "sudo", "-n", "vzctl", "migrate-receive", "201", "finish", "--layout", "zfs", "--source", spec.source,
        "--zfs-dataset", "tank/ct", "--vz-conf", "/etc/vz/vz.conf", "--start"]
    assert spec.source.endswith(":101")


@pytest.mark.parametrize("params, param", [
    ({"dest": "-oProxyCommand=evil"}, "dest"),
    ({"dest": "node 2"}, "dest"),
    ({"dest": "node2", "dest_user": "root;id"}, "dest_user"),
    ({"dest": "node2", "passes": 0}, "passes"),
    ({"dest": "node2", "passes": 11}, "passes"),
    ({"dest": "node2", "dest_port": 70000}, "dest_port"),
    ({"dest": "node2", "dest_ctid": "../x"}, "dest_ctid"),
    ({"dest": "node2", "private_key_file": "/nonexistent/key"}, "private_key_file"),
])
def test_bad_values_name_their_option(params, param):
    with pytest.raises(VzConfigError) as err:
        MigrateSpec.from_params(dict({"ctid": "101"}, **params))
    assert err.value.details["param"] == param


def test_defaults():
    spec = MigrateSpec.from_params({"ctid": "101", "dest": "fd42:7a6b::2"})
    assert (spec.dest_ctid, spec.dest_user, spec.passes, spec.keep_source, spec.ssh_args) == ("101", "root", 2, False, ())


def test_the_base_of_an_incremental_pass_is_the_newest_snapshot_both_sides_have():
    mine = [Snapshot("t/101@vzkit-migrate-a-0", 1, 0), Snapshot("t/101@vzkit-migrate-a-1", 2, 0),
            Snapshot("t/101@vzkit-migrate-b-2", 3, 0)]
    guids = {"t/101@vzkit-migrate-a-0": {"guid": "10"}, "t/101@vzkit-migrate-a-1": {"guid": "11"},
             "t/101@vzkit-migrate-b-2": {"guid": "12"}}
    zfs = SimpleNamespace(snapshots=lambda name: mine, get=lambda names, props: guids)
    theirs = [{"name": "vzkit-migrate-a-0", "guid": "10"}, {"name": "vzkit-migrate-a-1", "guid": "11"}]
    assert _common_base(zfs, "t/101", theirs) == "vzkit-migrate-a-1"
    # the same name with another guid (a snapshot made again since) is no base
    assert _common_base(zfs, "t/101", [{"name": "vzkit-migrate-a-1", "guid": "99"}]) is None
    assert _common_base(zfs, "t/101", []) is None
