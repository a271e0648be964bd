# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _streams as streams
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzCommandError

DATA = os.urandom(5 * streams.CHUNK + 3)


def test_a_pipeline_round_trip_through_real_compressors(tmp_path):
    src = tmp_path / "src"
    src.write_bytes(DATA)
    packed = b"".join(streams.read_from([["cat", str(src)], ["gzip", "-c"]]))
    assert packed[:2] == b"\x1f\x8b"
    out = tmp_path / "out"
    streams.write_into([["gzip", "-d", "-c"], ["dd", "of=%s" % out, "status=none"]], [packed[i:i + 4096] for i in range(0, len(packed), 4096)])
    assert out.read_bytes() == DATA


def test_the_failing_command_is_named_with_its_stderr():
    with pytest.raises(VzCommandError) as err:
        list(streams.read_from([["sh", "-c", "echo oops >&2; exit 3"], ["cat"]]))
    assert err.value.details["rc"] == 3 and "oops" in err.value.details["stderr"]


def test_a_reader_that_stops_is_the_error_not_the_writer_it_broke():
    with pytest.raises(VzCommandError) as err:
        streams.write_into([["sh", "-c", "head -c 10 >/dev/null; echo 'disk full' >&2; exit 1"]],
                           (b"x" * 65536 for _i in range(100)))
    assert "disk full" in err.value.details["stderr"]
    with pytest.raises(VzCommandError) as err:  # the reader fails; the writer upstream of it dies of SIGPIPE
        list(streams.read_from([["yes"], ["sh", "-c", "head -c 10 >/dev/null; echo 'bad input' >&2; exit 2"]]))
    assert "bad input" in err.value.details["stderr"] and err.value.details["rc"] == 2


def test_tolerated_statuses_and_no_process_left_behind():
    assert b"".join(streams.read_from([["sh", "-c", "echo hi; exit 1"]], ok=(0, 1))) == b"hi\n"
    gen = streams.read_from([["yes"]])
    next(gen)
    gen.close()  # the consumer stops early: the command is killed and reaped
    assert not [p for p in os.listdir("/proc") if p.isdigit() and _cmd(p) == b"yes"]


def _cmd(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as fh:
            return fh.read().split(b"\0")[0]
    except OSError:
        return b""
