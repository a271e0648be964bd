# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import dataclasses
import os

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _zfs as zfs
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzCommandError, VzStateError
from ansible_collections.vzkit.vz.plugins.module_utils._host import CmdResult
from ansible_collections.vzkit.vz.plugins.module_utils._layouts._zfs import ZfsLayout
from ansible_collections.vzkit.vz.plugins.module_utils._zfs import Snapshot, Zfs
from ansible_collections.vzkit.vz.tests.unit.plugins.module_utils._assert import refused

# Captured with zfs-fuse on a scratch pool "tpool" (read-only commands):
#   zfs_get_hp.txt           zfs get -H -p -o name,property,value,source type,mountpoint,origin,refquota,vzkit:ctid -r tpool
#   zfs_get_origin.txt       zfs get -r -H -p -o name,property,value,source origin tpool
#   zfs_get_creation_used.txt zfs get -H -p -o name,property,value,source creation,used SNAPSHOT SNAPSHOT
#   zfs_get_quota.txt        zfs get -H -p -o ... used,available,referenced,refquota,refreservation,userquota@0,... tpool/a
#   zfs_get_missing.std*     zfs get -H -p -o name,property,value,source type tpool/a tpool/nope  (rc 1)
#   zfs_list_snapshots.txt   zfs list -H -o name -t snapshot -r tpool
#   zfs_list_snapshots_a.txt zfs list -H -o name -t snapshot -d 1 tpool/a
#   zfs_list_children.txt    zfs list -H -o name -t filesystem -d 1 tpool
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
ZFS = "/sbin/zfs"
FIELDS = "name,property,value,source"
TEMPLATE = "tpool/ct/.vzkit-templates/busybox-38812c5cea22"
MISSING = "cannot open 'tpool/nope': dataset does not exist\n"


def fixture(name: str) -> str:
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as fh:
        return fh.read()


class FakeHost:
    """The seam Zfs uses: ``bin`` and ``run``; answers are canned (rc, stdout, stderr), in order."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def bin(self, name: str) -> str:
        assert name == "zfs"
        return ZFS

    def run(self, argv, check=True):
        self.calls.append((list(argv), check))
        assert self.answers, "unexpected command: %s" % argv
        rc, stdout, stderr = self.answers.pop(0)
        return CmdResult(list(argv), rc, stdout, stderr)

    @property
    def argvs(self) -> list:
        return [argv for argv, _check in self.calls]


class Clock:
    """Stands in for the ``time`` module of _zfs: sleeping advances the clock instead of waiting."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(name="clock")
def fixture_clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(zfs, "time", clock)
    return clock


OK = (0, "", "")


def get(names, props) -> list:
    return [ZFS, "get", "-H", "-p", "-o", FIELDS, ",".join(props)] + list(names)


# ---- names -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("tpool", "tpool"),
    ("tpool/ct", "tpool/ct"),
    ("vz/private", "vz/private"),
    (TEMPLATE, TEMPLATE),
    ("tpool/ct/.101.vzkit-partial", "tpool/ct/.101.vzkit-partial"),
    ("pool_1/a-b.c:d", "pool_1/a-b.c:d"),
    ("tpool/...", "tpool/..."),
    ("tpool/-x", "tpool/-x"),
    (" tpool/ct ", "tpool/ct"),
    ("/tpool/ct/", "tpool/ct"),
    ("tpool/ct\n", "tpool/ct"),
    ("t" * 200, "t" * 200),
])
def test_good_datasets(name, expected):
    assert zfs.validate_dataset(name, param="zfs_dataset") == expected


@pytest.mark.parametrize("name", [
    "", None, "/", "//", "tpool//ct", "tpool/.", "tpool/..", "./tpool", "tpool/a b", "tpool/a@snap", "tpool/a#mark",
    "tpool/\u00e9", "tpool/a\nb", "tpool/a;rm", "t" * 201,
    # OpenZFS (and zfs-fuse) pool names begin with a letter; "-r/ct" would also reach zfs as an option
    "-r/ct", "-r", "1pool/ct", ".pool/ct", "_pool",
])
def test_bad_datasets(name):
    err = refused("zfs_dataset", zfs.validate_dataset, name, param="zfs_dataset")
    assert "is not a ZFS dataset name" in str(err)


@pytest.mark.parametrize("name", ["s1", "vzkit", "before-upgrade", "2024-01-01T00:00", "a.b_c", "...", ".x", "s" * 200])
def test_good_snapshot_names(name):
    assert zfs.validate_snapshot_name(name) == name


@pytest.mark.parametrize("name", ["", None, ".", "..", "a b", "a@b", "a/b", "a#b", "a\n", "\u00e9", "s" * 201])
def test_bad_snapshot_names(name):
    refused("name", zfs.validate_snapshot_name, name)
    refused("snapshots[0]", zfs.validate_snapshot_name, name, param="snapshots[0]")


# ---- argv builders -----------------------------------------------------------------------------

@pytest.mark.parametrize("argv, expected", [
    (zfs.get_argv(ZFS, ["tpool/a"], ["type"]), [ZFS, "get", "-H", "-p", "-o", FIELDS, "type", "tpool/a"]),
    (zfs.get_argv(ZFS, ("tpool/a", "tpool/b"), ["type", "origin", "vzkit:ctid"]),
     [ZFS, "get", "-H", "-p", "-o", FIELDS, "type,origin,vzkit:ctid", "tpool/a", "tpool/b"]),
    (zfs.list_argv(ZFS, "tpool"), [ZFS, "list", "-H", "-o", "name", "-t", "filesystem", "-r", "tpool"]),
    (zfs.list_argv(ZFS, "tpool", depth=1), [ZFS, "list", "-H", "-o", "name", "-t", "filesystem", "-d", "1", "tpool"]),
    (zfs.list_argv(ZFS, "tpool", depth=0), [ZFS, "list", "-H", "-o", "name", "-t", "filesystem", "-d", "0", "tpool"]),
    (zfs.list_argv(ZFS, "tpool/a", kind="snapshot", depth=1),
     [ZFS, "list", "-H", "-o", "name", "-t", "snapshot", "-d", "1", "tpool/a"]),
    (zfs.create_argv(ZFS, "tpool/ct", {}), [ZFS, "create", "tpool/ct"]),
    (zfs.create_argv(ZFS, "tpool/ct/x", {"mountpoint": "none", "canmount": "off"}, parents=True),
     [ZFS, "create", "-p", "-o", "canmount=off", "-o", "mountpoint=none", "tpool/ct/x"]),
    (zfs.clone_argv(ZFS, "tpool/a@s1", "tpool/ct/.102.vzkit-partial", {"vzkit:ctid": "102", "mountpoint": "/vz/private/.102.vzkit-partial"}),
     [ZFS, "clone", "-o", "mountpoint=/vz/private/.102.vzkit-partial", "-o", "vzkit:ctid=102", "tpool/a@s1", "tpool/ct/.102.vzkit-partial"]),
    (zfs.clone_argv(ZFS, "tpool/a@s1", "tpool/b", {}), [ZFS, "clone", "tpool/a@s1", "tpool/b"]),
    (zfs.snapshot_argv(ZFS, ["tpool/a@s2"]), [ZFS, "snapshot", "tpool/a@s2"]),
    (zfs.snapshot_argv(ZFS, ("tpool/a@s2", "tpool/b@s2"), recursive=True), [ZFS, "snapshot", "-r", "tpool/a@s2", "tpool/b@s2"]),
    (zfs.set_argv(ZFS, "tpool/a", {"refquota": 10485760}), [ZFS, "set", "refquota=10485760", "tpool/a"]),
    (zfs.set_argv(ZFS, "tpool/a", {"userquota@1000": "none", "refquota": "none"}),
     [ZFS, "set", "refquota=none", "userquota@1000=none", "tpool/a"]),
    (zfs.destroy_argv(ZFS, "tpool/a@s1"), [ZFS, "destroy", "tpool/a@s1"]),
    (zfs.rollback_argv(ZFS, "tpool/a@s1"), [ZFS, "rollback", "tpool/a@s1"]),
    (zfs.rollback_argv(ZFS, "tpool/a@s1", destroy_newer=True), [ZFS, "rollback", "-r", "tpool/a@s1"]),
    (zfs.rename_argv(ZFS, "tpool/ct/.101.vzkit-partial", "tpool/ct/101"), [ZFS, "rename", "tpool/ct/.101.vzkit-partial", "tpool/ct/101"]),
    (zfs.promote_argv(ZFS, "tpool/b"), [ZFS, "promote", "tpool/b"]),
])
def test_argv(argv, expected):
    assert argv == expected


def test_no_builder_destroys_recursively():
    assert "-r" not in zfs.destroy_argv(ZFS, "tpool/a") and "-R" not in zfs.destroy_argv(ZFS, "tpool/a")
    assert zfs.rollback_argv(ZFS, "tpool/a@s1") == [ZFS, "rollback", "tpool/a@s1"]


# ---- parsers -----------------------------------------------------------------------------------

def test_parse_get_real_output():
    got = zfs.parse_get(fixture("zfs_get_hp.txt"))
    assert list(got) == ["tpool", "tpool/a", "tpool/a@s1", "tpool/b", "tpool/ct", "tpool/ct/.vzkit-templates",
                         TEMPLATE, TEMPLATE + "@vzkit"]
    assert got["tpool"] == {"type": "filesystem", "mountpoint": "/tmp/zp/mnt", "origin": None, "refquota": "0",
                            "vzkit:ctid": None}
    assert got["tpool/a"] == {"type": "filesystem", "mountpoint": "/tmp/zp/mnt/a", "origin": None,
                              "refquota": "10485760", "vzkit:ctid": "101"}
    # a snapshot: "-" for what does not apply; the user property is inherited from its dataset
    assert got["tpool/a@s1"] == {"type": "snapshot", "mountpoint": None, "origin": None, "refquota": None,
                                 "vzkit:ctid": "101"}
    assert got["tpool/b"]["origin"] == "tpool/a@s1"
    assert got["tpool/ct/.vzkit-templates"]["mountpoint"] == "none"


def test_parse_get_names_match_zfs_list():
    got = zfs.parse_get(fixture("zfs_get_hp.txt"))
    snapshots = zfs.parse_names(fixture("zfs_list_snapshots.txt"))
    assert snapshots == ["tpool/a@s1", TEMPLATE + "@vzkit"]
    assert [n for n in got if got[n]["type"] == "snapshot"] == snapshots


def test_parse_get_quota_properties():
    got = zfs.parse_get(fixture("zfs_get_quota.txt"))
    assert got == {"tpool/a": {"used": "196608", "available": "10362880", "referenced": "122880", "refquota": "10485760",
                               "refreservation": "0", "userquota@0": "0", "userused@0": "17408", "groupquota@0": "0",
                               "groupused@0": "17408"}}


@pytest.mark.parametrize("text, expected", [
    ("", {}),
    ("\n\n", {}),
    ("tpool\ttype\tfilesystem\t-\n", {"tpool": {"type": "filesystem"}}),
    ("tpool\ttype\tfilesystem\t-", {"tpool": {"type": "filesystem"}}),
    ("tpool\ttype\tfilesystem\t-\r\n", {"tpool": {"type": "filesystem"}}),
    ("tpool\ttype\tfilesystem\n", {"tpool": {"type": "filesystem"}}),
    ("tpool/x\tmountpoint\t/mnt/with space\tlocal\n", {"tpool/x": {"mountpoint": "/mnt/with space"}}),
    ("tpool/x\tvzkit:ctid\t-\t-\n", {"tpool/x": {"vzkit:ctid": None}}),
    ("tpool/x\tvzkit:ctid\t\tlocal\n", {"tpool/x": {"vzkit:ctid": ""}}),
    ("garbage\n\ntpool\torigin\n  \ntpool\trefquota\t0\tdefault\n", {"tpool": {"refquota": "0"}}),
])
def test_parse_get(text, expected):
    assert zfs.parse_get(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("", []),
    ("tpool\n", ["tpool"]),
    ("tpool\ntpool/a\n\n  tpool/b  \n", ["tpool", "tpool/a", "tpool/b"]),
])
def test_parse_names(text, expected):
    assert zfs.parse_names(text) == expected


def test_parse_names_real_output():
    assert zfs.parse_names(fixture("zfs_list_children.txt")) == ["tpool", "tpool/a", "tpool/b", "tpool/ct"]


@pytest.mark.parametrize("value, expected", [
    (None, None), ("", None), ("-", None), ("none", None), ("1.5", None), ("10G", None), ("abc", None),
    ("0", 0), ("10485760", 10485760), ("18446744073709551615", 18446744073709551615), (7, 7),
])
def test_as_int(value, expected):
    assert zfs.as_int(value) == expected


def test_snapshot_names():
    snap = Snapshot(TEMPLATE + "@vzkit", 1795390089, 0)
    assert snap.short == "vzkit"
    assert snap.dataset == TEMPLATE
    assert Snapshot("tpool/a@s1", 0, 0).short == "s1"
    assert Snapshot("tpool/a@s1", 0, 0).dataset == "tpool/a"
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.used = 1


@pytest.mark.parametrize("props, ctid, expected", [
    ({"vzkit:ctid": "101"}, "101", True),
    ({"vzkit:ctid": "101", "type": "filesystem"}, "101", True),
    ({"vzkit:ctid": "1010"}, "101", False),
    ({"vzkit:ctid": "101"}, "10", False),
    ({"vzkit:ctid": None}, "101", False),
    ({}, "101", False),
    (None, "101", False),
])
def test_owned_by(props, ctid, expected):
    assert zfs.owned_by(props, ctid) is expected


def test_owned_by_real_output():
    got = zfs.parse_get(fixture("zfs_get_hp.txt"))
    assert [n for n in got if zfs.owned_by(got[n], "101")] == ["tpool/a", "tpool/a@s1"]


# ---- Zfs: argv issued and output read through a fake host -------------------------------------

def test_zfs_binary_is_resolved_once():
    host = FakeHost(OK, OK)
    z = Zfs(host)
    z.destroy("tpool/a@s1")
    z.destroy("tpool/a")
    assert z.zfs == ZFS
    assert host.argvs == [[ZFS, "destroy", "tpool/a@s1"], [ZFS, "destroy", "tpool/a"]]


@pytest.mark.parametrize("call, expected", [
    (lambda z: z.create("tpool/ct", {"mountpoint": "/vz/private"}), [ZFS, "create", "-o", "mountpoint=/vz/private", "tpool/ct"]),
    (lambda z: z.create("tpool/ct/x", {}, parents=True), [ZFS, "create", "-p", "tpool/ct/x"]),
    (lambda z: z.clone("tpool/a@s1", "tpool/b", {"vzkit:ctid": "102"}), [ZFS, "clone", "-o", "vzkit:ctid=102", "tpool/a@s1", "tpool/b"]),
    (lambda z: z.snapshot(["tpool/a@s2"]), [ZFS, "snapshot", "tpool/a@s2"]),
    (lambda z: z.snapshot(["tpool/a@s2"], recursive=True), [ZFS, "snapshot", "-r", "tpool/a@s2"]),
    (lambda z: z.set("tpool/a", {"refquota": "none"}), [ZFS, "set", "refquota=none", "tpool/a"]),
    (lambda z: z.destroy("tpool/b"), [ZFS, "destroy", "tpool/b"]),
    (lambda z: z.rollback("tpool/a@s1"), [ZFS, "rollback", "tpool/a@s1"]),
    (lambda z: z.rollback("tpool/a@s1", destroy_newer=True), [ZFS, "rollback", "-r", "tpool/a@s1"]),
    (lambda z: z.rename("tpool/a", "tpool/c"), [ZFS, "rename", "tpool/a", "tpool/c"]),
    (lambda z: z.promote("tpool/b"), [ZFS, "promote", "tpool/b"]),
    (lambda z: z.mount("tpool/a"), [ZFS, "mount", "tpool/a"]),
    (lambda z: z.unmount("tpool/a"), [ZFS, "unmount", "tpool/a"]),
])
def test_changing_methods_issue_one_command(call, expected):
    host = FakeHost(OK)
    assert call(Zfs(host)) is None
    assert host.calls == [(expected, False)]


def test_set_nothing_runs_nothing():
    host = FakeHost()
    Zfs(host).set("tpool/a", {})
    assert host.calls == []


def test_run_returns_the_result():
    host = FakeHost((0, "out\n", ""))
    res = Zfs(host).run([ZFS, "snapshot", "tpool/a@s2"])
    assert (res.rc, res.stdout) == (0, "out\n")


def test_run_raises_on_failure_without_retrying(clock):
    host = FakeHost((1, "", "cannot create snapshot 'tpool/a@s1': dataset already exists\n"))
    with pytest.raises(VzCommandError) as exc:
        Zfs(host).snapshot(["tpool/a@s1"])
    assert exc.value.details["cmd"] == [ZFS, "snapshot", "tpool/a@s1"]
    assert exc.value.details["rc"] == 1
    assert "dataset already exists" in exc.value.details["stderr"]
    assert "dataset already exists" in str(exc.value)
    assert len(host.calls) == 1 and clock.sleeps == []


def test_run_retries_busy(clock):
    busy = (1, "", "cannot unmount '/tmp/zp/mnt/a': dataset is busy\n")
    host = FakeHost(busy, busy, OK)
    Zfs(host).unmount("tpool/a")
    assert host.argvs == [[ZFS, "unmount", "tpool/a"]] * 3
    assert clock.sleeps == [0.2, 0.2]


def test_run_gives_up_on_busy_after_the_timeout(clock):
    busy = (1, "", "cannot destroy 'tpool/a': dataset is busy\n")
    host = FakeHost(*[busy] * 100)
    start = clock.now
    with pytest.raises(VzCommandError) as exc:
        Zfs(host).run([ZFS, "destroy", "tpool/a"], busy_timeout=2.0)
    assert "dataset is busy" in exc.value.details["stderr"]
    assert clock.now - start >= 2.0
    assert len(host.calls) == len(clock.sleeps) + 1
    assert 5 <= len(host.calls) <= 12  # every 0.2 s for 2 s, not forever
    with pytest.raises(VzCommandError):  # no time given: the first "busy" is final
        Zfs(FakeHost(busy)).run([ZFS, "destroy", "tpool/a"], busy_timeout=0)


def test_get_reads_real_output():
    host = FakeHost((0, fixture("zfs_get_quota.txt"), ""))
    got = Zfs(host).get(["tpool/a"], ["used", "available", "refquota"])
    assert host.calls == [(get(["tpool/a"], ["used", "available", "refquota"]), False)]
    assert got["tpool/a"]["refquota"] == "10485760"


def test_get_nothing_runs_nothing():
    host = FakeHost()
    assert Zfs(host).get([], ["type"]) == {}
    assert host.calls == []


def test_get_one_missing_dataset():
    host = FakeHost((1, "", "cannot open 'tpool/nope': dataset does not exist\n"))
    assert Zfs(host).get(["tpool/nope"], ["type"]) == {}
    assert host.argvs == [get(["tpool/nope"], ["type"])]


def test_get_asks_one_by_one_when_one_of_several_is_missing():
    # zfs-fuse prints the datasets it found and still fails the whole call
    first = (1, fixture("zfs_get_missing.stdout"), fixture("zfs_get_missing.stderr"))
    host = FakeHost(first, (0, "tpool/a\ttype\tfilesystem\t-\n", ""), (1, "", MISSING))
    assert Zfs(host).get(["tpool/a", "tpool/nope"], ["type"]) == {"tpool/a": {"type": "filesystem"}}
    assert host.argvs == [get(["tpool/a", "tpool/nope"], ["type"]), get(["tpool/a"], ["type"]), get(["tpool/nope"], ["type"])]
    assert all(check is False for _argv, check in host.calls)


@pytest.mark.parametrize("stderr", [
    "cannot open 'tpool/a@nope': dataset does not exist\n",
    "cannot open 'nope': no such pool\n",
    "cannot open 'tpool/x': no such dataset\n",
])
def test_get_missing_messages(stderr):
    assert Zfs(FakeHost((1, "", stderr))).get(["x"], ["type"]) == {}


def test_get_raises_on_other_errors():
    host = FakeHost((2, "", "bad property list: invalid property 'nope'\n"))
    with pytest.raises(VzCommandError) as exc:
        Zfs(host).get(["tpool/a", "tpool/b"], ["nope"])
    assert exc.value.details["rc"] == 2
    assert len(host.calls) == 1


def test_exists():
    host = FakeHost((0, "tpool/a\ttype\tfilesystem\t-\n", ""), (1, "", MISSING))
    z = Zfs(host)
    assert z.exists("tpool/a") is True
    assert z.exists("tpool/nope") is False
    assert host.argvs == [get(["tpool/a"], ["type"]), get(["tpool/nope"], ["type"])]


def test_children_leave_out_the_parent():
    host = FakeHost((0, fixture("zfs_list_children.txt"), ""))
    assert Zfs(host).children("tpool") == ["tpool/a", "tpool/b", "tpool/ct"]
    assert host.calls == [([ZFS, "list", "-H", "-o", "name", "-t", "filesystem", "-d", "1", "tpool"], False)]


def test_children_of_a_missing_dataset():
    assert Zfs(FakeHost((1, "", MISSING))).children("tpool/nope") == []


def test_snapshots():
    host = FakeHost((0, fixture("zfs_list_snapshots_a.txt"), ""), (0, fixture("zfs_get_creation_used.txt"), ""))
    assert Zfs(host).snapshots("tpool/a") == [Snapshot("tpool/a@s1", 1795389805, 73728)]
    assert host.argvs == [[ZFS, "list", "-H", "-o", "name", "-t", "snapshot", "-d", "1", "tpool/a"],
                          get(["tpool/a@s1"], ["creation", "used", "vzkit:taken-by"])]


def test_snapshots_keep_zfs_order_and_only_the_datasets_own():
    listing = "tpool/a@s1\ntpool/a@s2\ntpool/a/child@s3\ntpool/ab@s4\n"
    props = ("tpool/a@s1\tcreation\t100\t-\ntpool/a@s1\tused\t4096\t-\ntpool/a@s1\tvzkit:taken-by\tvz_snapshot\tlocal\n"
             "tpool/a@s2\tcreation\t200\t-\ntpool/a@s2\tused\t-\t-\ntpool/a@s2\tvzkit:taken-by\t-\t-\n")
    host = FakeHost((0, listing, ""), (0, props, ""))
    assert Zfs(host).snapshots("tpool/a") == [Snapshot("tpool/a@s1", 100, 4096, "vz_snapshot"), Snapshot("tpool/a@s2", 200, 0)]
    assert host.argvs[1] == get(["tpool/a@s1", "tpool/a@s2"], ["creation", "used", "vzkit:taken-by"])


def test_no_snapshots_asks_nothing_more():
    host = FakeHost((0, "", ""))
    assert Zfs(host).snapshots("tpool/b") == []
    assert len(host.calls) == 1


def test_clones_real_output():
    host = FakeHost((0, fixture("zfs_get_origin.txt"), ""))
    assert Zfs(host).clones("tpool") == {"tpool/a@s1": ["tpool/b"]}
    assert host.calls == [([ZFS, "get", "-r", "-H", "-p", "-o", FIELDS, "origin", "tpool"], False)]


def test_clones_group_by_snapshot():
    text = ("tpool/ct\torigin\t-\t-\n"
            "tpool/ct/101\torigin\t%s@vzkit\t-\n"
            "tpool/ct/101@s1\torigin\t-\t-\n"
            "tpool/ct/102\torigin\t%s@vzkit\t-\n"
            "tpool/ct/103\torigin\ttpool/ct/101@s1\t-\n") % (TEMPLATE, TEMPLATE)
    expected = {TEMPLATE + "@vzkit": ["tpool/ct/101", "tpool/ct/102"], "tpool/ct/101@s1": ["tpool/ct/103"]}
    assert Zfs(FakeHost((0, text, ""))).clones("tpool/ct") == expected


def test_clones_of_a_missing_dataset():
    assert Zfs(FakeHost((1, "", MISSING))).clones("tpool/nope") == {}


@pytest.mark.parametrize("stdout", ["tpool/a\tvzkit:ctid\t101\tlocal\n", ""])
def test_require_owned_passes(stdout):
    host = FakeHost((0, stdout, "") if stdout else (1, "", MISSING))
    zfs.require_owned(Zfs(host), "tpool/a", "101")
    assert host.argvs == [get(["tpool/a"], ["vzkit:ctid"])]


@pytest.mark.parametrize("value, shown", [("102", "102"), ("-", "not set")])
def test_require_owned_refuses(value, shown):
    host = FakeHost((0, "tpool/a\tvzkit:ctid\t%s\t-\n" % value, ""))
    with pytest.raises(VzStateError) as exc:
        zfs.require_owned(Zfs(host), "tpool/a", "101")
    assert exc.value.details["param"] == "ctid"
    assert "is %s" % shown in str(exc.value)


# ---- the zfs layout: constructor only (no command runs) ----------------------------------------

class NoHost:
    """A host that must not be used: building a layout runs nothing."""

    def __getattr__(self, name):
        raise AssertionError("the layout constructor used host.%s" % name)


def layout(**kwargs):
    kwargs.setdefault("private", "/vz/private/101")
    kwargs.setdefault("root", "/vz/root/101")
    kwargs.setdefault("ctid", "101")
    return ZfsLayout(NoHost(), **kwargs)


@pytest.mark.parametrize("value", [None, ""])
def test_layout_needs_a_parent_dataset(value):
    err = refused("zfs_dataset", layout, zfs_dataset=value)
    assert "VE_ZFS_DATASET" in err.details["hint"]
    refused("zfs_dataset", ZfsLayout, NoHost(), private="/vz/private/101", root="/vz/root/101", ctid="101")


@pytest.mark.parametrize("value", ["tpool//ct", "tpool/a b", "tpool/ct@s1", "tpool/..", "/", "-r/ct"])
def test_layout_bad_parent_dataset(value):
    refused("zfs_dataset", layout, zfs_dataset=value)


@pytest.mark.parametrize("kwargs, dataset, partial_dataset, partial, private, root", [
    ({"zfs_dataset": "tpool/ct"},
     "tpool/ct/101", "tpool/ct/.101.vzkit-partial", "/vz/private/.101.vzkit-partial", "/vz/private/101", "/vz/root/101"),
    ({"zfs_dataset": "/tpool/ct/", "private": "/vz/private/101/", "root": "/vz//root/101/"},
     "tpool/ct/101", "tpool/ct/.101.vzkit-partial", "/vz/private/.101.vzkit-partial", "/vz/private/101", "/vz/root/101"),
    ({"zfs_dataset": "vz", "ctid": "web-1", "private": "/srv/ct/web-1", "root": "/srv/root/web-1"},
     "vz/web-1", "vz/.web-1.vzkit-partial", "/srv/ct/.web-1.vzkit-partial", "/srv/ct/web-1", "/srv/root/web-1"),
])
def test_layout_names(kwargs, dataset, partial_dataset, partial, private, root):
    lay = layout(**kwargs)
    assert (lay.dataset, lay.partial_dataset, lay.partial, lay.private, lay.root) == (dataset, partial_dataset, partial,
                                                                                      private, root)
    assert lay.parent == dataset.rsplit("/", 1)[0]
    assert lay.name == "zfs"
    # the partial dataset and directory can never be a container's: a ctid cannot start with "."
    assert lay.partial_dataset.rsplit("/", 1)[1].startswith(".")
    assert os.path.basename(lay.partial).startswith(".")
    assert os.path.dirname(lay.partial) == os.path.dirname(lay.private)
