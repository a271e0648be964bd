# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._cgroups import _hierarchy as cgroups
from ansible_collections.vzkit.vz.plugins.module_utils._cgroups import _groups as groups_module
from ansible_collections.vzkit.vz.plugins.module_utils._cgroups import _knobs as knobs
from ansible_collections.vzkit.vz.plugins.module_utils import _limits as limits
from ansible_collections.vzkit.vz.plugins.module_utils._cgroups._groups import Cgroups
from ansible_collections.vzkit.vz.plugins.module_utils._cgroups._hierarchy import Hierarchies as Layout, Hierarchy
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzStateError, VzUnsupported

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


def fixture_text(name: str) -> str:
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as fh:
        return fh.read()


def controllers_file(contents: dict):
    """A reader for cgroup.controllers files: the captured contents, by path."""
    asked = []

    def read(path):
        asked.append(path)
        return contents[path]
    read.asked = asked
    return read


def test_v1_hybrid_captured_on_this_kind_of_host():
    read = controllers_file({"/sys/fs/cgroup/unified/cgroup.controllers": ""})
    layout = cgroups.detect_from_mountinfo(fixture_text("mountinfo-cgroup-v1-hybrid.txt"), read=read)
    assert layout.mode == "hybrid"
    assert [(h.path, h.version, h.controllers) for h in layout.hierarchies] == [
        ("/sys/fs/cgroup/cpu", 1, ("cpu",)),
        ("/sys/fs/cgroup/cpuacct", 1, ("cpuacct",)),
        ("/sys/fs/cgroup/cpuset", 1, ("cpuset",)),
        ("/sys/fs/cgroup/memory", 1, ("memory",)),
        ("/sys/fs/cgroup/devices", 1, ("devices",)),
        ("/sys/fs/cgroup/freezer", 1, ("freezer",)),
        ("/sys/fs/cgroup/blkio", 1, ("blkio",)),
        ("/sys/fs/cgroup/pids", 1, ("pids",)),
        ("/sys/fs/cgroup/systemd", 1, ("name=systemd",)),
        ("/sys/fs/cgroup/unified", 2, ()),
    ]
    assert read.asked == ["/sys/fs/cgroup/unified/cgroup.controllers"]


def test_v1_legacy():
    layout = cgroups.detect_from_mountinfo(fixture_text("mountinfo-cgroup-v1-legacy.txt"))
    assert layout.mode == "legacy"
    assert [(h.path, h.version, h.controllers) for h in layout.hierarchies] == [
        ("/sys/fs/cgroup/systemd", 1, ("name=systemd",)),  # xattr and release_agent=... are not controllers
        ("/sys/fs/cgroup/cpu,cpuacct", 1, ("cpuacct", "cpu")),
        ("/sys/fs/cgroup/memory", 1, ("memory",)),
        ("/sys/fs/cgroup/net_cls,net_prio", 1, ("net_prio", "net_cls")),
        ("/sys/fs/cgroup/cpuset", 1, ("cpuset",)),
        ("/sys/fs/cgroup/pids", 1, ("pids",)),
        ("/sys/fs/cgroup/blkio", 1, ("blkio",)),
        ("/sys/fs/cgroup/devices", 1, ("devices",)),
        ("/sys/fs/cgroup/freezer", 1, ("freezer",)),
        ("/sys/fs/cgroup/hugetlb", 1, ("hugetlb",)),
        ("/sys/fs/cgroup/perf_event", 1, ("perf_event",)),
    ]


@pytest.mark.parametrize("controllers, expected", [
    ("cpuset cpu io memory hugetlb pids rdma misc\n", ("cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc")),
    ("", ()),
])
def test_v2_unified(controllers, expected):
    read = controllers_file({"/sys/fs/cgroup/cgroup.controllers": controllers})
    layout = cgroups.detect_from_mountinfo(fixture_text("mountinfo-cgroup-v2-unified.txt"), read=read)
    assert layout == Layout("unified", (Hierarchy("/sys/fs/cgroup", 2, expected),))


def test_v2_without_reader_has_no_controllers():
    layout = cgroups.detect_from_mountinfo(fixture_text("mountinfo-cgroup-v2-unified.txt"))
    assert layout == Layout("unified", (Hierarchy("/sys/fs/cgroup", 2, ()),))


def test_cgroup_mounts_elsewhere_are_ignored():
    text = fixture_text("mountinfo-cgroup-v2-unified.txt") + (
        "200 28 0:26 / /vz/root/101/sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n"
        "201 28 0:29 / /var/lib/machines/old/sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n")
    layout = cgroups.detect_from_mountinfo(text)
    assert [h.path for h in layout.hierarchies] == ["/sys/fs/cgroup"]
    assert layout.mode == "unified"


@pytest.mark.parametrize("name", ["mountinfo-binds-escapes.txt", "mountinfo-cgroup-v1-hybrid.txt"])
def test_no_cgroups_is_unsupported(name):
    # the same hosts with their cgroup and cgroup2 mounts removed
    text = "".join(ln for ln in fixture_text(name).splitlines(True) if " - cgroup" not in ln)
    with pytest.raises(VzUnsupported) as exc:
        cgroups.detect_from_mountinfo(text)
    assert "control groups is not available on this host" in str(exc.value)
    assert "CONFIG_CGROUPS" in exc.value.details["hint"]


def test_detect_on_this_host():
    layout = cgroups.detect()
    assert layout.mode in ("unified", "hybrid", "legacy")
    assert layout.hierarchies
    assert all(h.path.startswith(cgroups.CGROUP_ROOT) for h in layout.hierarchies)


@pytest.mark.parametrize("parent, ctid, expected", [
    ("vz", "101", ["/sys/fs/cgroup/cpu/vz/101", "/sys/fs/cgroup/memory/vz/101", "/sys/fs/cgroup/unified/vz/101"]),
    ("/vz/", "web-1", ["/sys/fs/cgroup/cpu/vz/web-1", "/sys/fs/cgroup/memory/vz/web-1", "/sys/fs/cgroup/unified/vz/web-1"]),
    ("machine.slice/vz", "101",
     ["/sys/fs/cgroup/cpu/machine.slice/vz/101", "/sys/fs/cgroup/memory/machine.slice/vz/101",
      "/sys/fs/cgroup/unified/machine.slice/vz/101"]),
])
def test_paths_hybrid(parent, ctid, expected):
    layout = Layout("hybrid", (Hierarchy("/sys/fs/cgroup/cpu", 1, ("cpu",)),
                               Hierarchy("/sys/fs/cgroup/memory", 1, ("memory",)),
                               Hierarchy("/sys/fs/cgroup/unified", 2, ())))
    assert Cgroups(layout, parent).paths(ctid) == expected


def test_paths_unified_default_parent():
    layout = cgroups.detect_from_mountinfo(fixture_text("mountinfo-cgroup-v2-unified.txt"))
    groups = Cgroups(layout)
    assert groups.parent == "vz"
    assert groups.paths("101") == ["/sys/fs/cgroup/vz/101"]


def test_paths_follow_detected_hierarchies():
    layout = cgroups.detect_from_mountinfo(fixture_text("mountinfo-cgroup-v1-legacy.txt"))
    paths = Cgroups(layout, "vz").paths("101")
    assert len(paths) == 11
    assert paths[0] == "/sys/fs/cgroup/systemd/vz/101"
    assert "/sys/fs/cgroup/cpu,cpuacct/vz/101" in paths


HYBRID_V1 = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd"]
LEGACY = ["systemd", "cpu,cpuacct", "memory", "net_cls,net_prio", "cpuset", "pids", "blkio", "devices", "freezer",
          "hugetlb", "perf_event"]


@pytest.mark.parametrize("name, controllers, has_v2, payload", [
    ("mountinfo-cgroup-v1-hybrid.txt", {"/sys/fs/cgroup/unified/cgroup.controllers": ""}, True,
     ["/sys/fs/cgroup/%s/vz/101/payload" % h for h in HYBRID_V1 + ["unified"]]),
    ("mountinfo-cgroup-v1-legacy.txt", {}, False, ["/sys/fs/cgroup/%s/vz/101/payload" % h for h in LEGACY]),
    ("mountinfo-cgroup-v2-unified.txt", {"/sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory pids\n"}, True,
     ["/sys/fs/cgroup/vz/101/payload"]),
])
def test_payload_paths_and_has_v2(name, controllers, has_v2, payload):
    layout = cgroups.detect_from_mountinfo(fixture_text(name), read=controllers_file(controllers))
    groups = Cgroups(layout, "vz")
    assert groups.has_v2 is has_v2
    assert groups.payload_paths("101") == payload
    # one payload per hierarchy, in the same order: one level below the group that holds the limits, on v1 too
    assert [os.path.join(p, knobs.PAYLOAD) for p in groups.paths("101")] == payload


@pytest.mark.parametrize("parent, expected", [
    ("vz", ["/sys/fs/cgroup/vz/web-1/payload"]),
    ("/machine.slice/vz/", ["/sys/fs/cgroup/machine.slice/vz/web-1/payload"]),
])
def test_payload_paths_parent(parent, expected):
    layout = cgroups.detect_from_mountinfo(fixture_text("mountinfo-cgroup-v2-unified.txt"))
    assert Cgroups(layout, parent).payload_paths("web-1") == expected


@pytest.mark.parametrize("hierarchies, has_v2", [
    ((Hierarchy("/sys/fs/cgroup/unified", 2, ()),), True),
    ((Hierarchy("/sys/fs/cgroup/memory", 1, ("memory",)), Hierarchy("/sys/fs/cgroup/unified", 2, ())), True),
    ((Hierarchy("/sys/fs/cgroup/memory", 1, ("memory",)),), False),
    ((), False),
])
def test_has_v2(hierarchies, has_v2):
    assert Cgroups(Layout("hybrid", hierarchies)).has_v2 is has_v2


# Creating and removing the parent: a plain directory tree stands in for the hierarchy (the cgroupfs
# behaviour itself is exercised by the integration tests on real cgroups).
SYSTEMD_PARENT = "vzkit.slice/vz-containers.service"


def test_missing_systemd_unit_cgroup_is_refused_and_nothing_made(tmp_path):
    cg = Cgroups(Layout("unified", (Hierarchy(str(tmp_path), 2, ()),)), SYSTEMD_PARENT)
    with pytest.raises(VzStateError) as err:
        cg.create("101")
    assert "VZ_CGROUP_PARENT" in str(err.value)
    assert "systemctl start vz-containers.service" in str(err.value)
    assert os.listdir(tmp_path) == []
    cg.remove("101")  # the start's undo after the refusal: quiet, nothing to remove
    assert os.listdir(tmp_path) == []


def test_systemd_named_levels_are_made_in_v1_hierarchies_systemd_leaves_alone(tmp_path):
    freezer = tmp_path / "freezer"
    freezer.mkdir()
    cg = Cgroups(Layout("legacy", (Hierarchy(str(freezer), 1, ("freezer",)),)), SYSTEMD_PARENT)
    assert cg.create("101") == [str(freezer / SYSTEMD_PARENT / "101")]
    assert (freezer / SYSTEMD_PARENT / "101").is_dir()


@pytest.mark.parametrize("controllers", [("name=systemd",), ("memory",), ("cpu", "cpuacct"), ("pids",)])
def test_v1_hierarchies_systemd_manages_are_refused_too(tmp_path, controllers):
    cg = Cgroups(Layout("legacy", (Hierarchy(str(tmp_path), 1, controllers),)), SYSTEMD_PARENT)
    with pytest.raises(VzStateError):
        cg.create("101")


def test_refusal_is_decided_before_anything_is_made(tmp_path):
    # freezer listed first: it would be made if hierarchies were handled one by one
    freezer, memory = tmp_path / "freezer", tmp_path / "memory"
    freezer.mkdir()
    memory.mkdir()
    cg = Cgroups(Layout("legacy", (Hierarchy(str(freezer), 1, ("freezer",)), Hierarchy(str(memory), 1, ("memory",)))),
                 SYSTEMD_PARENT)
    with pytest.raises(VzStateError):
        cg.create("101")
    assert os.listdir(freezer) == [] and os.listdir(memory) == []


def test_error_for_another_unit_does_not_send_to_the_role(tmp_path):
    cg = Cgroups(Layout("unified", (Hierarchy(str(tmp_path), 2, ()),)), "machine.slice/mine.scope")
    with pytest.raises(VzStateError) as err:
        cg.create("101")
    assert "systemctl start mine.scope)" in str(err.value)
    assert "vz_host" not in str(err.value)


def test_existing_unit_cgroup_is_used(tmp_path):
    (tmp_path / SYSTEMD_PARENT).mkdir(parents=True)
    cg = Cgroups(Layout("unified", (Hierarchy(str(tmp_path), 2, ()),)), SYSTEMD_PARENT)
    cg.create("101")
    assert (tmp_path / SYSTEMD_PARENT / "101").is_dir()
    assert not (tmp_path / SYSTEMD_PARENT / "101" / "payload").exists()  # made once the limits are on 101
    cg.create_payload("101")
    assert (tmp_path / SYSTEMD_PARENT / "101" / "payload").is_dir()


def test_plain_level_below_a_running_unit_is_made(tmp_path):
    (tmp_path / SYSTEMD_PARENT).mkdir(parents=True)
    cg = Cgroups(Layout("unified", (Hierarchy(str(tmp_path), 2, ()),)), SYSTEMD_PARENT + "/tests")
    cg.create("101")
    cg.create_payload("101")
    assert (tmp_path / SYSTEMD_PARENT / "tests" / "101" / "payload").is_dir()


def test_the_missing_unit_is_named_even_below_a_running_slice(tmp_path):
    (tmp_path / "vzkit.slice").mkdir()
    cg = Cgroups(Layout("unified", (Hierarchy(str(tmp_path), 2, ()),)), SYSTEMD_PARENT + "/tests")
    with pytest.raises(VzStateError) as err:
        cg.create("101")
    assert "the systemd unit vz-containers.service," in str(err.value)
    assert os.listdir(tmp_path / "vzkit.slice") == []


def test_plain_nested_parent_is_made(tmp_path):
    cg = Cgroups(Layout("unified", (Hierarchy(str(tmp_path), 2, ()),)), "machines/vz")
    cg.create("7")
    cg.create_payload("7")
    assert (tmp_path / "machines" / "vz" / "7" / "payload").is_dir()


@pytest.mark.parametrize("parent, kept", [("vz", False), (SYSTEMD_PARENT, True)])
def test_last_container_removes_the_parent_unless_systemd_owns_it(tmp_path, parent, kept):
    (tmp_path / parent).mkdir(parents=True)
    cg = Cgroups(Layout("unified", (Hierarchy(str(tmp_path), 2, ()),)), parent)
    cg.create("101")
    cg.remove("101")
    assert not (tmp_path / parent / "101").exists()
    assert (tmp_path / parent).is_dir() == kept


def test_controllers_enabled_only_from_the_delegated_unit_down(tmp_path, monkeypatch):
    levels = {
        "": ("cpuset cpu io memory hugetlb pids rdma", "cpu io memory pids"),
        "vzkit.slice": ("cpu io memory pids", "cpu memory pids"),
        SYSTEMD_PARENT: ("cpu io memory pids", ""),
    }
    for rel, (offered, enabled) in levels.items():
        d = tmp_path / rel
        d.mkdir(parents=True, exist_ok=True)
        (d / "cgroup.controllers").write_text(offered + "\n")
        (d / "cgroup.subtree_control").write_text(enabled + "\n")
    written = []
    monkeypatch.setattr(groups_module, "write", lambda path, value: written.append((os.path.relpath(path, tmp_path), value)))
    Cgroups._enable_v2_controllers(Hierarchy(str(tmp_path), 2, ()), str(tmp_path / SYSTEMD_PARENT))
    # The root and vzkit.slice are systemd's: nothing is written there, though both lack a controller.
    assert written == [
        (SYSTEMD_PARENT + "/cgroup.subtree_control", "+cpu"),
        (SYSTEMD_PARENT + "/cgroup.subtree_control", "+io"),
        (SYSTEMD_PARENT + "/cgroup.subtree_control", "+memory"),
        (SYSTEMD_PARENT + "/cgroup.subtree_control", "+pids"),
    ]


def test_a_busy_controller_does_not_stop_the_others(tmp_path, monkeypatch):
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids\n")
    (tmp_path / "vz").mkdir()
    (tmp_path / "vz" / "cgroup.controllers").write_text("cpu memory pids\n")
    written = []

    def write(path, value):
        if value == "+cpu":
            raise OSError(16, "Device or resource busy")
        written.append(value)
    monkeypatch.setattr(groups_module, "write", write)
    Cgroups._enable_v2_controllers(Hierarchy(str(tmp_path), 2, ()), str(tmp_path / "vz"))
    assert written == ["+memory", "+pids", "+memory", "+pids"]


def test_controllers_enabled_from_the_root_without_systemd(tmp_path, monkeypatch):
    for rel, offered, enabled in (("", "cpuset cpu memory", "cpu"), ("a", "cpu memory", ""), ("a/vz", "cpu memory", "")):
        (tmp_path / rel).mkdir(parents=True, exist_ok=True)
        (tmp_path / rel / "cgroup.controllers").write_text(offered)
        (tmp_path / rel / "cgroup.subtree_control").write_text(enabled)
    written = []
    monkeypatch.setattr(groups_module, "write", lambda path, value: written.append((os.path.relpath(path, tmp_path), value)))
    Cgroups._enable_v2_controllers(Hierarchy(str(tmp_path), 2, ()), str(tmp_path / "a" / "vz"))
    assert written == [("cgroup.subtree_control", "+cpuset"), ("cgroup.subtree_control", "+memory"),
                       ("a/cgroup.subtree_control", "+cpu"), ("a/cgroup.subtree_control", "+memory"),
                       ("a/vz/cgroup.subtree_control", "+cpu"), ("a/vz/cgroup.subtree_control", "+memory")]


def test_last_container_turns_the_delegated_units_controllers_off(tmp_path, monkeypatch):
    unit = tmp_path / SYSTEMD_PARENT
    (unit / ".vzkit-holder").mkdir(parents=True)
    (unit / "cgroup.subtree_control").write_text("cpu memory pids\n")
    written = []
    monkeypatch.setattr(groups_module, "write", lambda path, value: written.append((os.path.relpath(path, tmp_path), value)))
    cg = Cgroups(Layout("unified", (Hierarchy(str(tmp_path), 2, ()),)), SYSTEMD_PARENT)
    cg.create("101")
    cg.create("102")
    written.clear()
    cg.remove("101")
    assert written == []  # 102 still there
    cg.remove("102")
    assert written == [(SYSTEMD_PARENT + "/cgroup.subtree_control", "-" + c) for c in ("cpu", "memory", "pids")]
    assert unit.is_dir() and (unit / ".vzkit-holder").is_dir()


# ---- v1 placement: payload below the limits, and containers started before it --------------------

def v1_tree(tmp_path, payload: bool):
    memory = tmp_path / "memory"
    (memory / "vz" / "101" / ("payload" if payload else "")).mkdir(parents=True)
    return Cgroups(Layout("legacy", (Hierarchy(str(memory), 1, ("memory",)),)), "vz"), memory


def test_v1_processes_go_below_the_limits(tmp_path):
    cg, memory = v1_tree(tmp_path, payload=True)
    assert cg.payload_paths("101") == [str(memory / "vz" / "101" / "payload")]
    assert cg.legacy_placement("101") == []


def test_v1_container_started_before_the_payload_keeps_its_placement(tmp_path):
    cg, memory = v1_tree(tmp_path, payload=False)
    assert cg.payload_paths("101") == [str(memory / "vz" / "101")]  # an exec joins its init's group
    assert cg.legacy_placement("101") == [str(memory)]
    assert cg.legacy_placement("102") == []  # not running: nothing to say


@pytest.mark.parametrize("text, cpus", [("0", {0}), ("0-3", {0, 1, 2, 3}), ("0,2-3\n", {0, 2, 3}), ("", set())])
def test_cpu_list(text, cpus):
    assert knobs.cpu_list(text) == cpus


@pytest.mark.parametrize("current, new, widened", [("0", "1", "0,1"), ("0-1", "0", "0,1"), ("0", "0-1", "0,1")])
def test_v1_cpuset_change_passes_through_the_union(tmp_path, current, new, widened):
    """A v1 child cpuset must stay inside its parent: the parent widens to both sets, the payload moves,
    then the parent takes the new set (a disjoint change would be refused either way round)."""
    path = tmp_path / "101"
    (path / "payload").mkdir(parents=True)
    (path / "cpuset.cpus").write_text(current)
    (path / "payload" / "cpuset.cpus").write_text(current)
    writes = knobs.with_v1_payload_cpuset(str(path), [("cpuset", "cpuset.cpus", new), ("pids", "pids.max", "9")])
    assert writes == [("cpuset", "cpuset.cpus", widened), ("cpuset", "payload/cpuset.cpus", new),
                      ("cpuset", "cpuset.cpus", new), ("pids", "pids.max", "9")]


def test_v1_cpuset_without_payload_is_written_as_is(tmp_path):
    (tmp_path / "cpuset.cpus").write_text("0")
    writes = [("cpuset", "cpuset.cpus", "1")]
    assert knobs.with_v1_payload_cpuset(str(tmp_path), writes) == writes


def test_enforced_reads_back_what_apply_writes(tmp_path):
    pids = tmp_path / "pids"
    (pids / "vz" / "101").mkdir(parents=True)
    (pids / "vz" / "101" / "pids.max").write_text("100\n")
    cg = Cgroups(Layout("legacy", (Hierarchy(str(pids), 1, ("pids",)),)), "vz")
    lim = limits.Limits(numproc=100)
    assert cg.enforced("101", lim) == {str(pids / "vz" / "101" / "pids.max"): "100"}


V1_CPUSET = "/sys/fs/cgroup/cpuset"
needs_v1_cpuset = pytest.mark.skipif(os.geteuid() != 0 or not os.path.isfile(os.path.join(V1_CPUSET, "cpuset.cpus")),
                                     reason="needs root and a v1 cpuset hierarchy (the VM's v2 runs have none)")


@pytest.fixture(name="fresh_parent")
def fixture_fresh_parent():
    """A cgroup parent that a run beside this one has just made, and not yet filled (v1 cpuset: empty)."""
    parent = "vzkit-unit-race-%d" % os.getpid()
    path = os.path.join(V1_CPUSET, parent)
    os.mkdir(path)
    yield parent, path
    for d in sorted((os.path.join(r, x) for r, dirs, _f in os.walk(path) for x in dirs), key=len, reverse=True):
        os.rmdir(d)
    os.rmdir(path)


def _join(path: str) -> None:
    """Move a short-lived child process into the cgroup at path (the error of the write, if any)."""
    pid = os.fork()
    if pid == 0:
        os.execvp("sleep", ["sleep", "5"])
    try:
        with open(os.path.join(path, "cgroup.procs"), "w", encoding="ascii") as fh:
            fh.write(str(pid))
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)


@needs_v1_cpuset
def test_a_container_made_under_a_parent_another_run_has_just_made_can_take_processes(fresh_parent):
    parent, path = fresh_parent
    assert open(os.path.join(path, "cpuset.cpus"), encoding="ascii").read().strip() == ""
    # control: a group copied from the still empty parent, as _mkdir did, refuses every process
    os.mkdir(os.path.join(path, "control"))
    with pytest.raises(OSError) as err:
        _join(os.path.join(path, "control"))
    assert err.value.errno == 28  # ENOSPC
    hierarchies = Layout("hybrid", (Hierarchy(V1_CPUSET, 1, ("cpuset",)),))
    Cgroups(hierarchies, parent).create("101")
    _join(os.path.join(path, "101"))
    for knob in ("cpuset.cpus", "cpuset.mems"):
        root = open(os.path.join(V1_CPUSET, knob), encoding="ascii").read().strip()
        assert open(os.path.join(path, "101", knob), encoding="ascii").read().strip() == root
        assert open(os.path.join(path, knob), encoding="ascii").read().strip() == root
