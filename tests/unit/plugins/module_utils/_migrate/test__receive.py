# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzStateError
from ansible_collections.vzkit.vz.plugins.module_utils._host import Host
from ansible_collections.vzkit.vz.plugins.module_utils._migrate import _receive as receive

SOURCE_CONF = """\
VE_ROOT="/vz/root/101"
VE_PRIVATE="/vz/private/101"
VE_LAYOUT="simfs"
OSTEMPLATE="busybox"
HOSTNAME="ct101.example"
IP_ADDRESS="198.51.100.7"
DISK_PROJID="1101"
LOCAL_UID="100000"
LOCAL_GID="100000"
"""


@pytest.fixture
def vz(tmp_path):
    (tmp_path / "conf").mkdir()
    conf = tmp_path / "vz.conf"
    conf.write_text('VE_ROOT="%s/root/$VEID"\nVE_PRIVATE="%s/private/$VEID"\nVE_LAYOUT="simfs"\nLOCKDIR="%s/lock"\n'
                    'VZ_RUN_DIR="%s/run"\nVZ_LOG_DIR="%s/log"\nVZ_CGROUP_PARENT="vzkit-unit"\n' % ((tmp_path,) * 5))
    return tmp_path, str(conf)


def test_prepare_then_finish_makes_the_container_of_what_arrived(vz):
    root, conf = vz
    got = receive.prepare("101", conf, Host(), layout="simfs", zfs_dataset=None, source="node1:101")
    assert got == {"state": "receiving", "layout": "simfs", "partial": str(root / "private" / ".101.vzkit-partial")}
    partial = got["partial"]
    os.makedirs(os.path.join(partial, "etc"))
    with open(os.path.join(partial, "etc", "hostname"), "w", encoding="ascii") as fh:
        fh.write("ct101.example\n")
    os.chown(os.path.join(partial, "etc", "hostname"), 100000, 100000)
    done = receive.finish("101", conf, Host(), layout="simfs", zfs_dataset=None, conf_text=SOURCE_CONF,
                          source="node1:101", start=False)
    assert done == {"state": "stopped"}
    text = (root / "conf" / "101.conf").read_text()
    assert 'VE_PRIVATE="%s/private/101"' % root in text and 'HOSTNAME="ct101.example"' in text
    assert 'IP_ADDRESS="198.51.100.7"' in text and "DISK_PROJID" not in text
    assert 'VZKIT_MIGRATED_FROM="node1:101"' in text and 'LOCAL_UID="100000"' in text  # its range was free here
    assert os.stat(root / "private" / "101" / "etc" / "hostname").st_uid == 100000
    assert not os.path.exists(partial)
    # a second finish (a re-run after a lost answer) changes nothing; prepare now says it is done
    assert receive.finish("101", conf, Host(), layout="simfs", zfs_dataset=None, conf_text=SOURCE_CONF,
                          source="node1:101", start=False) == {"state": "stopped"}
    assert receive.prepare("101", conf, Host(), layout="simfs", zfs_dataset=None, source="node1:101") == {
        "state": "done", "container": "stopped"}
    assert receive.status("101", conf, Host(), source="node1:101") == {"state": "done", "container": "stopped"}
    assert receive.status("101", conf, Host(), source="node9:101") == {"state": "absent"}
    assert receive.status("102", conf, Host(), source="node1:102") == {"state": "absent"}
    assert sorted(os.listdir(root / "private")) == ["101"]  # (status makes nothing)


def test_a_container_from_elsewhere_is_never_touched(vz):
    root, conf = vz
    (root / "conf" / "101.conf").write_text('VE_LAYOUT="simfs"\nVZKIT_MIGRATED_FROM="other:101"\n')
    for call in (lambda: receive.prepare("101", conf, Host(), layout="simfs", zfs_dataset=None, source="node1:101"),
                 lambda: receive.finish("101", conf, Host(), layout="simfs", zfs_dataset=None, conf_text=SOURCE_CONF,
                                        source="node1:101", start=False)):
        with pytest.raises(VzStateError, match="already exists on this host") as err:
            call()
        assert err.value.details["param"] == "dest_ctid"
    assert (root / "conf" / "101.conf").read_text() == 'VE_LAYOUT="simfs"\nVZKIT_MIGRATED_FROM="other:101"\n'


def test_abort_removes_the_partial_area_only(vz):
    root, conf = vz
    got = receive.prepare("102", conf, Host(), layout="simfs", zfs_dataset=None, source="node1:102")
    os.makedirs(os.path.join(got["partial"], "etc"))
    (root / "private" / "keep").mkdir()
    assert receive.abort("102", conf, Host(), layout="simfs", zfs_dataset=None) == {"state": "absent"}
    assert sorted(os.listdir(root / "private")) == ["keep"]


def test_a_finish_cut_short_after_the_config_is_completed_by_the_next(vz):
    root, conf = vz
    got = receive.prepare("103", conf, Host(), layout="simfs", zfs_dataset=None, source="node1:103")
    os.makedirs(os.path.join(got["partial"], "etc"))
    # what a finish killed between writing the config and the rename leaves
    written = ('VE_ROOT="%s/root/103"\nVE_PRIVATE="%s/private/103"\nVE_LAYOUT="simfs"\n'
               'LOCAL_UID="100000"\nLOCAL_GID="100000"\nVZKIT_MIGRATED_FROM="node1:103"\n' % (root, root))
    (root / "conf" / "103.conf").write_text(written)
    assert receive.status("103", conf, Host(), source="node1:103") == {"state": "absent"}  # not done: the source waits
    assert receive.prepare("103", conf, Host(), layout="simfs", zfs_dataset=None, source="node1:103")["state"] == "receiving"
    assert receive.finish("103", conf, Host(), layout="simfs", zfs_dataset=None, conf_text=SOURCE_CONF,
                          source="node1:103", start=False) == {"state": "stopped"}
    assert os.path.isdir(root / "private" / "103" / "etc") and not os.path.exists(got["partial"])
    assert receive.status("103", conf, Host(), source="node1:103") == {"state": "done", "container": "stopped"}
