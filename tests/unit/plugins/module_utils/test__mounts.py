# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import errno
import os
import stat
import threading
import time

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _mounts as mounts
from ansible_collections.vzkit.vz.plugins.module_utils._mounts import MountEntry

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
BINDS = os.path.join(FIXTURES, "mountinfo-binds-escapes.txt")
HYBRID = os.path.join(FIXTURES, "mountinfo-cgroup-v1-hybrid.txt")


def fixture_text(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture(name="binds")
def fixture_binds():
    return mounts.parse_mountinfo(fixture_text(BINDS))


def by_id(entries, mount_id):
    return next(e for e in entries if e.mount_id == mount_id)


# ---- parser ------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, expected", [
    ("/plain/path", "/plain/path"),
    ("/My\\040Files", "/My Files"),
    ("/tab\\011dir", "/tab\tdir"),
    ("/new\\012line", "/new\nline"),
    ("/back\\134slash", "/back\\slash"),
    ("/a\\040b\\040c", "/a b c"),
    ("/\\0401", "/ 1"),
    ("/not\\9octal", "/not\\9octal"),
    ("/short\\04", "/short\\04"),
])
def test_unescape(field, expected):
    assert mounts.unescape(field) == expected


def test_parse_bind_mount_entry(binds):
    assert by_id(binds, 130) == MountEntry(
        mount_id=130, parent_id=120, dev="254:17", root="/private/101", mount_point="/vz/root/101",
        options="rw,relatime", optional=("shared:60",), fstype="ext4", source="/dev/vdb1",
        super_options="rw,prjquota")


@pytest.mark.parametrize("mount_id, root, mount_point, optional", [
    (28, "/", "/", ("shared:1",)),
    (131, "/srv/My Files", "/vz/root/101/mnt/My Files", ("shared:1",)),
    (132, "/vz/101", "/vz/root/101/run/host\tdir", ("master:5",)),
    (141, "/srv/back\\slash", "/mnt/back\\slash", ("shared:1", "master:7")),
    (150, "/", "/mnt/usb stick", ()),
])
def test_parse_escapes_and_optional_fields(binds, mount_id, root, mount_point, optional):
    entry = by_id(binds, mount_id)
    assert (entry.root, entry.mount_point, entry.optional) == (root, mount_point, optional)


def test_parse_filesystem_fields(binds):
    usb = by_id(binds, 150)
    assert (usb.fstype, usb.source, usb.options) == ("vfat", "/dev/sdb1", "rw,nosuid,nodev,relatime")
    assert usb.super_options.startswith("rw,fmask=0022,")
    cg = by_id(binds, 31)
    assert (cg.fstype, cg.source, cg.super_options) == ("cgroup2", "cgroup2", "rw,nsdelegate,memory_recursiveprot")
    tmpfs = by_id(binds, 132)
    assert (tmpfs.options, tmpfs.super_options) == ("ro,nosuid,nodev,noexec,relatime", "rw,size=806024k,mode=755,inode64")


def test_parse_keeps_order_and_count(binds):
    assert [e.mount_id for e in binds] == [22, 23, 24, 25, 26, 28, 31, 120, 130, 131, 132, 140, 141, 150, 151]


def test_parse_captured_host_mountinfo():
    entries = mounts.parse_mountinfo(fixture_text(HYBRID))
    assert len(entries) == 20
    assert all(e.optional == () for e in entries)
    root = mounts.mounts_at(entries, "/")[0]
    assert (root.mount_id, root.parent_id, root.fstype, root.source) == (27, 1, "ext4", "/dev/vda")
    bind = entries[-1]
    assert bind.root == "/tmp/vzkit-bench-probe/vz/private/bench1"
    assert bind.mount_point == "/tmp/vzkit-bench-probe/vz/root/bench1"
    assert bind.dev == root.dev
    assert [e.fstype for e in entries].count("cgroup") == 9


def test_parse_skips_blank_lines():
    text = "\n27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n\n   \n"
    assert [e.mount_point for e in mounts.parse_mountinfo(text)] == ["/"]
    assert mounts.parse_mountinfo("") == []


def test_read_mountinfo_from_path():
    assert mounts.read_mountinfo(BINDS) == mounts.parse_mountinfo(fixture_text(BINDS))


def test_read_mountinfo_of_this_process():
    entries = mounts.read_mountinfo()
    assert mounts.mounts_at(entries, "/")
    assert any(e.fstype == "proc" for e in mounts.mounts_at(entries, "/proc"))


# ---- queries -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path, ids", [
    ("/vz/root/101", [130, 151]),   # stacked: both mounts on the same point
    ("/vz/root/101/", [130, 151]),
    ("/vz/root//101", [130, 151]),
    ("/vz/root/10", []),
    ("/vz/root/1010", [140]),
    ("/vz/root/101/mnt/My Files", [131]),
    ("/mnt/usb stick", [150]),
    ("/nonexistent", []),
])
def test_mounts_at(binds, path, ids):
    assert [e.mount_id for e in mounts.mounts_at(binds, path)] == ids


@pytest.mark.parametrize("path, ids", [
    ("/vz/root/101", [130, 131, 132, 151]),
    ("/vz/root/101/", [130, 131, 132, 151]),
    ("/vz/root/101/mnt", [131]),
    ("/vz/root/1010", [140]),
    ("/vz", [120, 130, 131, 132, 140, 151]),
    ("/mnt", [141, 150]),
    ("/dev", [24, 25]),
    ("/nonexistent", []),
])
def test_mounts_under(binds, path, ids):
    assert [e.mount_id for e in mounts.mounts_under(binds, path)] == ids


def test_mounts_under_root_is_everything(binds):
    assert mounts.mounts_under(binds, "/") == binds


# ---- writing inside a container tree -----------------------------------------------------------

@pytest.fixture(name="tree")
def fixture_tree(tmp_path):
    """A container root with /etc, and a file and a directory outside it that must never change."""
    root = tmp_path / "vz" / "root" / "101"
    (root / "etc").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.write_text("host secret\n")
    outside_dir = tmp_path / "host-etc"
    outside_dir.mkdir()
    (outside_dir / "hostname").write_text("the-host\n")
    return root, outside, outside_dir


def test_write_creates_and_reports_unchanged(tree):
    root = tree[0]
    assert mounts.write_in_root(str(root), "etc/hostname", "web\n") is True
    assert (root / "etc" / "hostname").read_text() == "web\n"
    assert mounts.write_in_root(str(root), "etc/hostname", "web\n") is False
    assert mounts.write_in_root(str(root), "/etc/hostname", "web\n") is False
    assert mounts.write_in_root(str(root), "etc/hostname", "db\n") is True
    assert (root / "etc" / "hostname").read_text() == "db\n"
    assert os.listdir(root / "etc") == ["hostname"]  # no temporary file left


def test_write_at_top_of_tree(tree):
    root = tree[0]
    assert mounts.write_in_root(str(root), "/hello", "hi\n") is True
    assert (root / "hello").read_text() == "hi\n"


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o755])
def test_write_sets_mode(tree, mode):
    root = tree[0]
    (root / "etc" / "hostname").write_text("old\n")
    os.chmod(root / "etc" / "hostname", 0o666)
    mounts.write_in_root(str(root), "etc/hostname", "new\n", mode)
    assert stat.S_IMODE(os.stat(root / "etc" / "hostname").st_mode) == mode


def test_write_into_missing_directory_fails(tree):
    root = tree[0]
    with pytest.raises(OSError) as exc:
        mounts.write_in_root(str(root), "etc/network/interfaces", "x\n")
    assert exc.value.errno == errno.ENOENT
    assert not (root / "etc" / "network").exists()


@pytest.mark.parametrize("link", ["absolute", "../../../../outside"])
def test_symlinked_file_is_replaced_not_followed(tree, link):
    root, outside, _outside_dir = tree
    target = str(outside) if link == "absolute" else link
    os.symlink(target, root / "etc" / "hostname")
    if link != "absolute":  # the relative link really does reach the outside file from the host
        assert os.path.samefile(root / "etc" / "hostname", outside)
    assert mounts.write_in_root(str(root), "etc/hostname", "web\n") is True
    assert outside.read_text() == "host secret\n"
    assert not os.path.islink(root / "etc" / "hostname")
    assert (root / "etc" / "hostname").read_text() == "web\n"


def test_symlinked_file_with_same_content_is_still_replaced(tree):
    root, outside, _outside_dir = tree
    os.symlink(str(outside), root / "etc" / "hostname")
    assert mounts.write_in_root(str(root), "etc/hostname", "host secret\n") is True
    assert not os.path.islink(root / "etc" / "hostname")


def test_symlinked_directory_resolves_inside_the_tree(tree):
    root, _outside, outside_dir = tree
    (root / "etc").rmdir()
    os.symlink(str(outside_dir), root / "etc")           # etc -> /.../host-etc (absolute)
    mirror = root / str(outside_dir).lstrip("/")           # what that path means inside the tree
    mirror.mkdir(parents=True)
    assert mounts.write_in_root(str(root), "etc/hostname", "web\n") is True
    assert (mirror / "hostname").read_text() == "web\n"
    assert (outside_dir / "hostname").read_text() == "the-host\n"
    assert os.listdir(outside_dir) == ["hostname"]


def test_symlinked_directory_without_inside_target_fails(tree):
    root, _outside, outside_dir = tree
    (root / "etc").rmdir()
    os.symlink(str(outside_dir), root / "etc")
    with pytest.raises(OSError) as exc:
        mounts.write_in_root(str(root), "etc/hostname", "web\n")
    assert exc.value.errno == errno.ENOENT
    assert (outside_dir / "hostname").read_text() == "the-host\n"
    assert os.listdir(outside_dir) == ["hostname"]


def test_relative_directory_link_cannot_climb_out(tree):
    root, _outside, outside_dir = tree
    (root / "etc").rmdir()
    os.symlink("../../../host-etc", root / "etc")      # from the host, this is outside_dir
    assert os.path.samefile(root / "etc", outside_dir)
    (root / "host-etc").mkdir()                            # inside the tree, ".." stops at the root
    assert mounts.write_in_root(str(root), "etc/hostname", "web\n") is True
    assert (root / "host-etc" / "hostname").read_text() == "web\n"
    assert (outside_dir / "hostname").read_text() == "the-host\n"


def test_dotdot_in_relpath_stays_in_the_tree(tree):
    root = tree[0]
    parent_etc = root.parent / "etc"
    parent_etc.mkdir()
    (parent_etc / "hostname").write_text("neighbour\n")
    assert mounts.write_in_root(str(root), "../etc/hostname", "web\n") is True
    assert (root / "etc" / "hostname").read_text() == "web\n"
    assert (parent_etc / "hostname").read_text() == "neighbour\n"


@pytest.mark.parametrize("content", ["host secret\n", "web\n"])
def test_hard_link_is_replaced_not_written_through(tree, content):
    root, outside, _outside_dir = tree
    os.link(outside, root / "etc" / "hostname")
    assert os.stat(outside).st_nlink == 2
    assert mounts.write_in_root(str(root), "etc/hostname", content) is True
    assert outside.read_text() == "host secret\n"
    assert os.stat(outside).st_nlink == 1
    assert os.stat(root / "etc" / "hostname").st_nlink == 1
    assert (root / "etc" / "hostname").read_text() == content


def test_planted_temporary_link_is_not_followed(tree):
    root, outside, _outside_dir = tree
    os.symlink(str(outside), root / "etc" / ".hostname.vzkit-tmp")
    assert mounts.write_in_root(str(root), "etc/hostname", "web\n") is True
    assert outside.read_text() == "host secret\n"
    assert (root / "etc" / "hostname").read_text() == "web\n"
    assert os.listdir(root / "etc") == ["hostname"]


# ---- reading inside a container tree -----------------------------------------------------------

def test_read_in_root(tree):
    root = tree[0]
    (root / "etc" / "hosts").write_text("127.0.0.1\tlocalhost\n")
    assert mounts.read_in_root(str(root), "etc/hosts") == "127.0.0.1\tlocalhost\n"
    assert mounts.read_in_root(str(root), "/etc/hosts") == "127.0.0.1\tlocalhost\n"


@pytest.mark.parametrize("relpath", ["etc/missing", "nodir/hosts", "etc/hosts/x"])
def test_read_missing_gives_none(tree, relpath):
    root = tree[0]
    (root / "etc" / "hosts").write_text("x\n")
    assert mounts.read_in_root(str(root), relpath) is None


def test_read_does_not_follow_file_links(tree):
    root, outside, _outside_dir = tree
    os.symlink(str(outside), root / "etc" / "hosts")
    assert mounts.read_in_root(str(root), "etc/hosts") is None
    (root / "etc" / "real").write_text("inside\n")
    os.symlink("real", root / "etc" / "hostname")  # even a link that stays inside
    assert mounts.read_in_root(str(root), "etc/hostname") is None


def test_read_resolves_directory_links_in_the_tree(tree):
    root, _outside, outside_dir = tree
    (root / "etc").rmdir()
    os.symlink(str(outside_dir), root / "etc")
    assert mounts.read_in_root(str(root), "etc/hostname") is None  # never the host's file
    mirror = root / str(outside_dir).lstrip("/")
    mirror.mkdir(parents=True)
    (mirror / "hostname").write_text("inside\n")
    assert mounts.read_in_root(str(root), "etc/hostname") == "inside\n"


def test_read_is_bounded_and_tolerates_bad_utf8(tree):
    root = tree[0]
    (root / "etc" / "big").write_bytes(b"a" * ((1 << 20) + 10))
    assert len(mounts.read_in_root(str(root), "etc/big")) == 1 << 20
    (root / "etc" / "bad").write_bytes(b"caf\xe9\n")
    assert mounts.read_in_root(str(root), "etc/bad") == "caf\ufffd\n"


def _blocks_on_fifo(func, fifo: str, timeout: float = 1.0) -> bool:
    """Run func in a thread; True if it was still blocked after timeout (it is then released)."""
    worker = threading.Thread(target=func, daemon=True)
    worker.start()
    worker.join(timeout)
    blocked = worker.is_alive()
    deadline = time.monotonic() + 5
    while worker.is_alive() and time.monotonic() < deadline:
        try:  # a writer that opens and closes at once lets the blocked reader see EOF
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
        worker.join(0.1)
    return blocked


def test_read_does_not_hang_on_fifo(tree):
    root = tree[0]
    os.mkfifo(root / "etc" / "hosts")
    assert not _blocks_on_fifo(lambda: mounts.read_in_root(str(root), "etc/hosts"), str(root / "etc" / "hosts"))


def test_write_does_not_hang_on_fifo(tree):
    root = tree[0]
    os.mkfifo(root / "etc" / "hostname")
    assert not _blocks_on_fifo(lambda: mounts.write_in_root(str(root), "etc/hostname", "web\n"),
                               str(root / "etc" / "hostname"))
