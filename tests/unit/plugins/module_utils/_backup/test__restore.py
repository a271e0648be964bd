# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._backup._restore import RestoreSpec, new_conf
from ansible_collections.vzkit.vz.plugins.module_utils._config import ConfFile
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError, VzError

SOURCE = """\
VE_ROOT="/vz/root/101"
VE_PRIVATE="/vz/private/101"
VE_LAYOUT="simfs"
OSTEMPLATE="debian-12-x86_64"
HOSTNAME="ct101.example.com"
IP_ADDRESS="198.51.100.10"
NETIF="ifname=eth0,mac=02:00:5e:10:00:01,host_ifname=veth101.0,host_mac=02:00:5e:10:00:02,bridge=vzbr0"
DISK_PROJID="1101"
VZKIT_FLEET="web"
RAM="512M"
LOCAL_UID="100000"
LOCAL_GID="100000"
"""


def target(layout="zfs"):
    keys = {"VE_ZFS_DATASET": "tank/ct"} if layout == "zfs" else {}
    return SimpleNamespace(ctid="201", root="/vz/root/201", private="/vz/private/201",
                           layout=SimpleNamespace(name=layout, creation_keys=lambda **_kw: keys))


def test_same_identity_keeps_host_name_addresses_and_macs():
    conf = new_conf(ConfFile.parse(SOURCE), target("simfs"), reset=False, hostname=None, restored="b.tar:abc")
    items = conf.items()
    assert (items["HOSTNAME"], items["IP_ADDRESS"], items["VZKIT_FLEET"]) == ("ct101.example.com", "198.51.100.10", "web")
    assert "mac=02:00:5e:10:00:01" in items["NETIF"]
    assert (items["VE_PRIVATE"], items["VE_ROOT"], items["VE_LAYOUT"]) == ("/vz/private/201", "/vz/root/201", "simfs")
    assert "DISK_PROJID" not in items and "VE_ZFS_DATASET" not in items  # this host's project ids, not the source's
    assert items["VZKIT_RESTORED_FROM"] == "b.tar:abc" and items["RAM"] == "512M"


def test_new_identity_drops_what_names_the_source():
    conf = new_conf(ConfFile.parse(SOURCE), target(), reset=True, hostname="copy.example", restored="b.tar:abc")
    items = conf.items()
    assert items["HOSTNAME"] == "copy.example"
    assert "IP_ADDRESS" not in items and "VZKIT_FLEET" not in items and "LOCAL_UID" not in items
    assert "02:00:5e:10:00:01" not in items["NETIF"] and "bridge=vzbr0" in items["NETIF"]
    assert (items["VE_LAYOUT"], items["VE_ZFS_DATASET"]) == ("zfs", "tank/ct")


@pytest.mark.parametrize("params, param", [
    ({"backup": "relative.tar"}, "backup"),
    ({"backup": "/b.tar", "state": "running"}, "state"),
    ({"backup": "/b.tar", "layout": "zvol"}, "layout"),
    ({"backup": "/b.tar", "hostname": "bad_name!"}, "hostname"),
    ({"backup": "/b.tar", "ctid": "1/2"}, "ctid"),
    ({"backup": "/b.tar", "zfs_dataset": "tank/ct@snap"}, "zfs_dataset"),
])
def test_bad_values_name_their_option(params, param):
    with pytest.raises(VzError) as err:
        RestoreSpec.from_params(params)
    assert err.value.details["param"] == param


def test_a_good_spec():
    spec = RestoreSpec.from_params({"backup": "/var/backups/vz//b.tar", "ctid": "201", "layout": "zfs",
                                    "zfs_dataset": "tank/ct", "state": "started"})
    assert (spec.backup, spec.ctid, spec.reset_identity, spec.state) == ("/var/backups/vz/b.tar", "201", None, "started")
    assert isinstance(VzConfigError("x"), VzError)
