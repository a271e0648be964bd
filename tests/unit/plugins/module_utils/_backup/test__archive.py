# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import tarfile

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._backup import _archive as archive
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError, VzStateError

PAYLOAD = os.urandom(3 * 1024 * 1024 + 17)  # not a multiple of a tar block, over one read chunk


def write(tmp_path, ctid="101", stamp="20261207T020000Z", payload=PAYLOAD, manifest=None):
    path = str(tmp_path / ("vzkit-backup-%s-%s.tar" % (ctid, stamp)))
    with archive.Writer(path) as w:
        w.add_bytes("%s.conf" % ctid, b'VE_LAYOUT="simfs"\n')
        w.add_stream("private.0.tar.zst", (payload[i:i + 65536] for i in range(0, len(payload), 65536)))
        w.finish(manifest or {"ctid": ctid, "layout": "simfs", "kind": "tar", "config": "%s.conf" % ctid, "base": None})
    return path


def test_round_trip_sizes_sums_and_order(tmp_path):
    path = write(tmp_path)
    b = archive.read(path)
    assert [m["name"] for m in b.manifest["members"]] == ["101.conf", "private.0.tar.zst"]
    member = b.member(".tar.zst")
    assert member["size"] == len(PAYLOAD) and member["sha256"] == hashlib.sha256(PAYLOAD).hexdigest()
    assert b"".join(b.chunks("private.0.tar.zst")) == PAYLOAD
    b.verify()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # it holds every file of the container
    assert not os.path.exists(os.path.join(str(tmp_path), ".%s.partial" % os.path.basename(path)))


def test_gnu_tar_reads_it_and_finds_the_same_bytes(tmp_path):
    path = write(tmp_path)
    listing = subprocess.run(["tar", "-tvf", path], capture_output=True, text=True, check=True).stdout
    assert [ln.split()[-1] for ln in listing.splitlines()] == ["101.conf", "private.0.tar.zst", "manifest.json"]
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["tar", "-xf", path, "-C", str(out)], check=True)
    assert (out / "private.0.tar.zst").read_bytes() == PAYLOAD
    with tarfile.open(path) as tar:  # the header rewritten in place is a valid one (its checksum too)
        assert tar.getmember("private.0.tar.zst").size == len(PAYLOAD)


@pytest.mark.parametrize("cut", [100, 600, 2 * 1024 * 1024, -1500, -1100])
def test_a_truncated_file_is_named_before_anything_is_read_from_it(tmp_path, cut):
    path = write(tmp_path)
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        fh.truncate(cut if cut > 0 else size + cut)
    with pytest.raises(VzStateError, match="corrupt or truncated") as err:
        archive.read(path).verify()
    assert err.value.details["param"] == "backup"


def test_losing_only_the_end_of_archive_blocks_loses_nothing(tmp_path):
    path = write(tmp_path)
    with open(path, "r+b") as fh:
        fh.truncate(os.path.getsize(path) - 700)  # within the two zero blocks after the manifest
    archive.read(path).verify()


def test_a_flipped_byte_fails_verify_naming_the_member(tmp_path):
    path = write(tmp_path)
    b = archive.read(path)
    offset, _size = b.offsets["private.0.tar.zst"]
    with open(path, "r+b") as fh:
        fh.seek(offset + 12345)
        byte = fh.read(1)
        fh.seek(offset + 12345)
        fh.write(bytes([byte[0] ^ 1]))
    b = archive.read(path)  # the form is intact: only the sums can tell
    with pytest.raises(VzStateError, match="sha256 of private.0.tar.zst"):
        b.verify()


def test_an_interrupted_write_leaves_no_file(tmp_path):
    path = str(tmp_path / "vzkit-backup-101-20261207T020000Z.tar")

    def failing():
        yield b"x" * 1000
        raise OSError("no space left on device")
    with pytest.raises(OSError):
        with archive.Writer(path) as w:
            w.add_stream("private.0.tar", failing())
    assert os.listdir(str(tmp_path)) == []


def test_another_format_and_a_non_backup_are_refused(tmp_path):
    other = write(tmp_path, manifest={"ctid": "101", "config": "101.conf"})
    with open(other, "r+b") as fh:  # rewrite the format inside the manifest (same length)
        data = fh.read().replace(b'"format": 1', b'"format": 9')
        fh.seek(0)
        fh.write(data)
    with pytest.raises((VzConfigError, VzStateError)):
        archive.read(other)
    plain = tmp_path / "vzkit-backup-102-20261207T020000Z.tar"
    plain.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(VzStateError, match="corrupt or truncated"):
        archive.read(str(plain))
    with pytest.raises(VzConfigError, match="not a file"):
        archive.read(str(tmp_path / "missing.tar"))


def test_info_lists_every_named_file_and_says_which_is_damaged(tmp_path):
    write(tmp_path)
    write(tmp_path, ctid="102", stamp="20261207T030000Z")
    (tmp_path / "vzkit-backup-103-20261207T040000Z.tar").write_bytes(b"\0" * 1024)
    (tmp_path / "unrelated.tar").write_bytes(b"")
    found = archive.info(str(tmp_path), verify=True)
    assert [(os.path.basename(f["path"]), f["valid"]) for f in found] == [
        ("vzkit-backup-101-20261207T020000Z.tar", True), ("vzkit-backup-102-20261207T030000Z.tar", True),
        ("vzkit-backup-103-20261207T040000Z.tar", False)]
    assert "corrupt or truncated" in found[2]["error"]
    assert [f["ctid"] for f in archive.info(str(tmp_path), ["102"])] == ["102"]
    assert archive.info(str(tmp_path))[0]["valid"] is None  # not read through without verify


def test_names(tmp_path):
    assert archive.file_name("101", 1796608800) == "vzkit-backup-101-20261207T020000Z.tar"
    assert archive.NAME_RE.fullmatch("vzkit-backup-101-20261207T020000Z.tar").group("ctid") == "101"
    assert not archive.NAME_RE.fullmatch(".vzkit-backup-101-20261207T020000Z.tar.partial")
    with pytest.raises(VzConfigError, match="not an existing directory"):
        archive.info(str(tmp_path / "nope"))
