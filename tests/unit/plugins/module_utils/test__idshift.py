# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _idshift as idshift
from ansible_collections.vzkit.vz.plugins.module_utils._confine import IdMap
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError, VzStateError

RANGE = idshift.RANGE
SHIFTED = IdMap(100000, 100000, RANGE)


def test_constants():
    assert (idshift.RANGE, idshift.DEFAULT_BASE) == (65536, 100000)


# ---- idmap_of ------------------------------------------------------------------------------------

@pytest.mark.parametrize("items, expected", [
    ({}, IdMap()),
    ({"LOCAL_UID": "", "LOCAL_GID": ""}, IdMap()),
    ({"LOCAL_UID": None}, IdMap()),
    ({"LOCAL_UID": "100000"}, IdMap(100000, 100000, 65536)),
    ({"LOCAL_UID": "100000", "LOCAL_GID": ""}, IdMap(100000, 100000, 65536)),
    ({"LOCAL_UID": "165536", "LOCAL_GID": "165536"}, IdMap(165536, 165536, 65536)),
    ({"LOCAL_UID": "100000", "LOCAL_GID": "300000"}, IdMap(100000, 300000, 65536)),
])
def test_idmap_of(items, expected):
    found = idshift.idmap_of(items)
    assert found == expected
    assert (found.uid_map(), found.gid_map()) == (expected.uid_map(), expected.gid_map())


def test_idmap_of_identity_and_shifted():
    identity = idshift.idmap_of({"HOSTNAME": "ct101"})
    assert not identity.shifted
    assert identity.uid_map() == "0 0 4294967294\n"
    shifted = idshift.idmap_of({"LOCAL_UID": "100000", "LOCAL_GID": "200000"})
    assert shifted.shifted
    assert (shifted.uid_map(), shifted.gid_map()) == ("0 100000 65536\n", "0 200000 65536\n")
    assert (shifted.host_uid(0), shifted.host_uid(1000), shifted.host_gid(1000)) == (100000, 101000, 201000)


@pytest.mark.parametrize("items", [
    {"LOCAL_UID": "abc"},
    {"LOCAL_UID": "1e5"},
    {"LOCAL_UID": "100000.0"},
    {"LOCAL_UID": "0x186a0"},
    {"LOCAL_UID": "100000", "LOCAL_GID": "x"},
    {"LOCAL_UID": "", "LOCAL_GID": "100000"},
])
def test_idmap_of_bad_numbers(items):
    with pytest.raises(VzConfigError) as exc:
        idshift.idmap_of(items)
    assert exc.value.details["param"] == "unprivileged"
    assert str(exc.value).startswith("`unprivileged`: LOCAL_UID %r / LOCAL_GID %r are not host ids; "
                                     % (items.get("LOCAL_UID"), items.get("LOCAL_GID")))


def test_idmap_of_gid_without_uid():
    with pytest.raises(VzConfigError) as exc:
        idshift.idmap_of({"LOCAL_GID": "100000"})
    assert exc.value.details["param"] == "unprivileged"


@pytest.mark.parametrize("items", [{"LOCAL_UID": "-100000"}, {"LOCAL_UID": "100000", "LOCAL_GID": "-1"}])
def test_idmap_of_negative_numbers(items):
    with pytest.raises(VzConfigError) as exc:
        idshift.idmap_of(items)
    assert exc.value.details["param"] == "unprivileged"


# ---- used_ranges / allocate ----------------------------------------------------------------------

def conf_dir(tmp_path, files: dict):
    directory = tmp_path / "conf"
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text)
    return str(directory)


CONFS = {
    "101.conf": '# vzkit\nONBOOT="yes"\nLOCAL_UID="100000"\nLOCAL_GID="100000"\n',
    "102.conf": "LOCAL_UID='165536'\nLOCAL_GID='165536'\n",
    "103.conf": "HOSTNAME=ct103\nLOCAL_UID=231072\n",
    "104.conf": 'ONBOOT="no"\n',  # privileged
    "105.conf": '#LOCAL_UID="296608"\nONBOOT="no"\n',  # commented out
    "106.conf": 'LOCAL_UID=""\n',  # emptied
    "107.conf": 'LOCAL_UID="bogus"\n',
    "ve-vswap-256m.conf-sample": 'LOCAL_UID="362144"\n',  # not a container
    "108.conf.destroyed": 'LOCAL_UID="427680"\n',
    "109.mount": 'LOCAL_UID="493216"\n',
}


def firsts(ranges: dict) -> dict:
    return {ctid: m.first_uid for ctid, m in ranges.items()}


def test_ranges(tmp_path):
    directory = conf_dir(tmp_path, CONFS)
    assert firsts(idshift.ranges(directory, exclude="999")) == {"101": 100000, "102": 165536, "103": 231072}
    assert firsts(idshift.ranges(directory, exclude="101")) == {"102": 165536, "103": 231072}


def test_ranges_without_conf_dir(tmp_path):
    assert idshift.ranges(str(tmp_path / "missing"), exclude="101") == {}


def test_ranges_skip_unreadable_entries(tmp_path):
    directory = conf_dir(tmp_path, {"101.conf": 'LOCAL_UID="100000"\n'})
    os.mkdir(os.path.join(directory, "110.conf"))  # a directory named like a config
    assert firsts(idshift.ranges(directory, exclude="")) == {"101": 100000}


@pytest.mark.parametrize("line", ['LOCAL_UID="100000"  # set by vzkit', "LOCAL_UID=100000 # hand edit",
                                  'export LOCAL_UID="100000"', '  LOCAL_UID="100000"'])
def test_ranges_read_what_the_config_parser_reads(tmp_path, line):
    directory = conf_dir(tmp_path, {"101.conf": line + "\n"})
    assert firsts(idshift.ranges(directory, exclude="102")) == {"101": 100000}
    assert idshift.allocate(directory, "102") == 165536


def test_claims_count_before_any_config_exists(tmp_path):
    """Two runs creating containers at once: the second sees the first's claim, not only configs."""
    directory, locks = conf_dir(tmp_path, {}), str(tmp_path / "lock")
    assert idshift.claim(directory, locks, "a", base=100000) == 100000
    assert idshift.claim(directory, locks, "b", base=100000) == 165536
    assert idshift.claim(directory, locks, "a", base=100000, wanted=100000) == 100000  # its own claim is free for it
    assert idshift.claim(directory, locks, "c", base=100000, wanted=100000) == 231072  # taken: the next free one
    assert sorted(os.listdir(os.path.join(locks, idshift.RESERVATIONS))) == ["a", "b", "c"]
    assert not os.path.exists(os.path.join(locks, idshift.LOCK_NAME + ".lck"))  # the host-wide lock file goes
    idshift.release(locks, "b")
    idshift.release(locks, "b")  # twice: quiet
    assert idshift.allocate(directory, "d", 100000, lock_dir=locks) == 165536


def claim_from_base(directory, locks, ctid):
    return idshift.claim(directory, locks, ctid, base=idshift.DEFAULT_BASE)


def test_claims_in_parallel_never_share_a_range(tmp_path):
    import multiprocessing
    directory, locks = conf_dir(tmp_path, {}), str(tmp_path / "lock")
    with multiprocessing.get_context("fork").Pool(8) as pool:
        got = pool.starmap(claim_from_base, [(directory, locks, "c%d" % i) for i in range(24)])
    assert len(set(got)) == 24


@pytest.mark.parametrize("mine, theirs, overlaps", [
    ((100000, 100000), (165536, 165536), False),
    ((100000, 100000), (101000, 101000), True),
    ((100000, 100000), (300000, 130000), True),  # the gid ranges meet
    ((0, 0), (0, 0), False),  # identity maps share the host's ids by choice
])
def test_overlapping(tmp_path, mine, theirs, overlaps):
    directory = conf_dir(tmp_path, {"102.conf": 'LOCAL_UID="%d"\nLOCAL_GID="%d"\n' % theirs})
    idmap = IdMap(mine[0], mine[1], idshift.RANGE) if mine != (0, 0) else IdMap()
    assert idshift.overlapping(idmap, directory, ctid="101") == (["102"] if overlaps else [])


@pytest.mark.parametrize("used, expected", [
    ([], 100000),
    ([100000], 165536),
    ([165536], 100000),  # the lowest free range, below a used one
    ([100000, 165536], 231072),
    ([100000, 231072], 165536),
    ([231072, 100000, 165536], 296608),
    ([150000], 231072),  # overlaps the ranges at 100000 and 165536; starts stay on base + k * 65536
    ([50000], 165536),   # a range starting below base still counts
    ([34464], 100000),   # ends at 99999: touches base without overlapping
    ([165535], 231072),  # one id into the range at 100000
    ([500000], 100000),
])
def test_allocate(tmp_path, used, expected):
    directory = conf_dir(tmp_path, {"%d.conf" % (200 + i): 'LOCAL_UID="%d"\nLOCAL_GID="%d"\n' % (u, u) for i, u in enumerate(used)})
    assert idshift.allocate(directory, "101") == expected


def test_allocate_excludes_own_ctid(tmp_path):
    directory = conf_dir(tmp_path, {"101.conf": 'LOCAL_UID="100000"\n', "102.conf": 'LOCAL_UID="231072"\n'})
    assert idshift.allocate(directory, "101") == 100000  # its own range is free for it
    assert idshift.allocate(directory, "102") == 165536
    assert idshift.allocate(directory, "103") == 165536


def test_allocate_over_vz_style_configs(tmp_path):
    assert idshift.allocate(conf_dir(tmp_path, CONFS), "110") == 296608


@pytest.mark.parametrize("base, expected", [(200000, 200000), (100000, 165536), (65536, 196608), (0, 0)])
def test_allocate_from_base(tmp_path, base, expected):
    directory = conf_dir(tmp_path, {"101.conf": 'LOCAL_UID="100000"\n'})
    assert idshift.allocate(directory, "102", base=base) == expected


def test_allocate_without_conf_dir(tmp_path):
    assert idshift.allocate(str(tmp_path / "missing"), "101") == 100000


# ---- shift_tree (for real: chown needs root, which the unit tests run as) ------------------------

def owners(top) -> dict:
    """relpath -> (uid, gid, mode) of every entry in the tree, links not followed; '.' is top."""
    out = {".": _owner(os.lstat(top))}
    for directory, dirs, files in os.walk(top):
        for n in dirs + files:
            out[os.path.relpath(os.path.join(directory, n), top)] = _owner(os.lstat(os.path.join(directory, n)))
    return out


def _owner(st) -> tuple:
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def entry(path, uid, gid, mode=None, *, kind="file", target=None):
    if kind == "dir":
        os.mkdir(path)
    elif kind == "link":
        os.symlink(target, path)
    else:
        path.write_text("x\n")
    os.lchown(path, uid, gid)
    if mode is not None:  # after the chown, which clears setuid/setgid
        os.chmod(path, mode)


@pytest.fixture(name="tree")
def fixture_tree(tmp_path):
    """A container tree in identity ids: files, dirs and links of several owners, setuid/setgid files."""
    root = tmp_path / "private"
    entry(root, 0, 0, 0o755, kind="dir")
    entry(root / "etc", 0, 0, 0o755, kind="dir")
    entry(root / "etc" / "shadow", 0, 42, 0o640)
    entry(root / "home", 0, 0, 0o755, kind="dir")
    entry(root / "home" / "user", 1000, 1000, 0o750, kind="dir")
    entry(root / "home" / "user" / "notes", 1000, 100, 0o600)
    entry(root / "home" / "user" / "top", 65535, 65535, 0o644)  # the last id of the range
    entry(root / "tmp", 0, 0, 0o1777, kind="dir")
    entry(root / "srv", 0, 50, 0o2775, kind="dir")
    entry(root / "su", 0, 0, 0o4755)
    entry(root / "wall", 0, 5, 0o2755)
    entry(root / "both", 0, 0, 0o6755)
    entry(root / "lock", 0, 0, 0o2644)  # setgid without group execute
    entry(root / "suid-user", 1000, 1000, 0o4750)
    entry(root / "link", 0, 0, kind="link", target="etc/shadow")
    entry(root / "dangling", 33, 33, kind="link", target="/nowhere/at/all")
    return root


def shifted_by(before: dict, uid_offset: int, gid_offset: int) -> dict:
    return {rel: (uid + uid_offset, gid + gid_offset, mode) for rel, (uid, gid, mode) in before.items()}


def test_shift_tree_identity_to_shifted(tree):
    before = owners(tree)
    assert [before[n][2] for n in ("su", "wall", "both", "lock", "suid-user")] == [0o4755, 0o2755, 0o6755, 0o2644, 0o4750]
    assert idshift.shift_tree(str(tree), IdMap(), SHIFTED) == len(before)
    assert owners(tree) == shifted_by(before, 100000, 100000)  # modes too: setuid/setgid bits kept


@pytest.mark.parametrize("name, mode", [("su", 0o4755), ("wall", 0o2755), ("both", 0o6755), ("lock", 0o2644),
                                        ("suid-user", 0o4750), ("srv", 0o2775), ("tmp", 0o1777)])
def test_shift_tree_keeps_special_bits(tree, name, mode):
    idshift.shift_tree(str(tree), IdMap(), SHIFTED)
    st = os.lstat(tree / name)
    assert stat.S_IMODE(st.st_mode) == mode
    assert st.st_uid >= 100000


def test_chown_alone_would_clear_setuid(tmp_path):
    """Why shift_tree puts the bits back: the kernel clears them on chown, even for root."""
    entry(tmp_path / "su", 0, 0, 0o4755)
    os.chown(tmp_path / "su", 100000, 100000)
    assert stat.S_IMODE(os.lstat(tmp_path / "su").st_mode) == 0o755


def test_shift_tree_separate_uid_and_gid_ranges(tree):
    before = owners(tree)
    idshift.shift_tree(str(tree), IdMap(), IdMap(100000, 300000, RANGE))
    assert owners(tree) == shifted_by(before, 100000, 300000)


def test_shift_tree_round_trip(tree):
    before = owners(tree)
    idshift.shift_tree(str(tree), IdMap(), SHIFTED)
    assert idshift.shift_tree(str(tree), SHIFTED, IdMap(165536, 165536, RANGE)) == len(before)
    assert owners(tree) == shifted_by(before, 165536, 165536)
    idshift.shift_tree(str(tree), IdMap(165536, 165536, RANGE), IdMap())
    assert owners(tree) == before


def test_shift_tree_same_map_changes_nothing(tree):
    before = owners(tree)
    assert idshift.shift_tree(str(tree), SHIFTED, SHIFTED) == 0
    assert idshift.shift_tree(str(tree), IdMap(), IdMap()) == 0
    assert owners(tree) == before


def test_shift_tree_counts_only_changed_entries(tree):
    # uid ranges equal, gid ranges moved: entries are still changed when only the group moves
    before = owners(tree)
    assert idshift.shift_tree(str(tree), IdMap(0, 0), IdMap(0, 100000, RANGE)) == len(before)
    assert owners(tree) == shifted_by(before, 0, 100000)


def test_shift_tree_links_are_changed_not_followed(tree, tmp_path):
    outside = tmp_path / "outside"
    entry(outside, 0, 0, 0o755, kind="dir")
    entry(outside / "file", 0, 0, 0o644)
    entry(tree / "to-outside-file", 0, 0, kind="link", target=str(outside / "file"))
    entry(tree / "to-outside-dir", 0, 0, kind="link", target=str(outside))
    idshift.shift_tree(str(tree), IdMap(), SHIFTED)
    for name in ("link", "to-outside-file", "to-outside-dir"):
        assert os.lstat(tree / name)[4:6] == (100000, 100000)
    assert os.lstat(tree / "dangling")[4:6] == (100033, 100033)
    assert os.stat(tree / "link")[4:6] == (100000, 100042)  # its target, etc/shadow, shifted once as itself
    assert owners(outside) == {".": (0, 0, 0o755), "file": (0, 0, 0o644)}  # the walk did not enter it


def test_shift_tree_moves_a_hard_linked_file_once(tree):
    """A file with several names (Debian's templates have hundreds) is one inode: shifted twice, root's
    100000 would become container id 100000, out of the range."""
    entry(tree / "usr-bin", 0, 0, 0o755, kind="dir")
    entry(tree / "usr-bin" / "perl", 0, 0, 0o755)
    for name in ("perl5.36.0", "perl-again"):
        os.link(tree / "usr-bin" / "perl", tree / "usr-bin" / name)
    entry(tree / "usr-bin" / "suid", 0, 0, 0o4755)
    os.link(tree / "usr-bin" / "suid", tree / "usr-bin" / "suid2")
    before = owners(tree)
    assert idshift.shift_tree(str(tree), IdMap(), SHIFTED) == len(before) - 3  # one change per inode
    assert owners(tree) == shifted_by(before, 100000, 100000)  # every name shows the inode's one owner
    assert idshift.shift_tree(str(tree), SHIFTED, IdMap()) == len(before) - 3
    assert owners(tree) == before


@pytest.mark.parametrize("uid, gid, message", [
    (65536, 0, "owner 65536 (container id 65536) does not fit a range of 65536 ids"),
    (0, 65536, "owner 65536 (container id 65536) does not fit a range of 65536 ids"),
    (100000, 100000, "owner 100000 (container id 100000) does not fit a range of 65536 ids"),
    (4294967294, 0, "owner 4294967294 (container id 4294967294) does not fit a range of 65536 ids"),
])
def test_shift_tree_refuses_ids_beyond_the_range(tree, uid, gid, message):
    entry(tree / "home" / "user" / "big", uid, gid, 0o644)
    with pytest.raises(VzStateError) as exc:
        idshift.shift_tree(str(tree), IdMap(), SHIFTED)
    assert str(exc.value).startswith(message)
    assert exc.value.details["hint"] == "a container uses ids below 65536 when unprivileged"
    assert os.lstat(tree / "home" / "user" / "big")[4:6] == (uid, gid)


@pytest.mark.parametrize("uid, gid, owner", [(5, 100000, 5), (100000, 99999, 99999), (0, 0, 0)])
def test_shift_tree_refuses_ids_below_the_old_range(tree, uid, gid, owner):
    idshift.shift_tree(str(tree), IdMap(), SHIFTED)
    entry(tree / "stray", uid, gid, 0o644)
    with pytest.raises(VzStateError) as exc:
        idshift.shift_tree(str(tree), SHIFTED, IdMap())
    assert str(exc.value).startswith("owner %d in the tree is below its id range starting at 100000" % owner)
    assert "fix them before changing unprivileged" in exc.value.details["hint"]


def test_shift_tree_keep_foreign_keeps_owners_outside_the_old_range(tree):
    """A restore reproduces the tree: a file the host's root put there stays the host root's (nobody inside)."""
    idshift.shift_tree(str(tree), IdMap(), SHIFTED)
    entry(tree / "stray", 0, 5, 0o644)
    entry(tree / "far", 300000, 300000, 0o644)
    before = owners(tree)
    idshift.shift_tree(str(tree), SHIFTED, IdMap(165536, 165536, RANGE), keep_foreign=True)
    after = owners(tree)
    assert after["stray"] == (0, 5, 0o644) and after["far"] == (300000, 300000, 0o644)
    assert after["etc/shadow"] == (165536, 165536 + 42, 0o640)
    assert {k: v for k, v in after.items() if k not in ("stray", "far")} == {
        k: (u + 65536, g + 65536, m) for k, (u, g, m) in before.items() if k not in ("stray", "far")}
