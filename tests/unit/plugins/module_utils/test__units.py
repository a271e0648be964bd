# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _units as units
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError

K, M, G, T = 1024, 1024 ** 2, 1024 ** 3, 1024 ** 4


@pytest.mark.parametrize("text, unit, expected", [
    ("0", units.UNIT_BYTES, 0),
    ("512", units.UNIT_BYTES, 512),
    ("512B", units.UNIT_BYTES, 512),
    ("1K", units.UNIT_BYTES, K),
    ("1k", units.UNIT_BYTES, K),
    ("10M", units.UNIT_BYTES, 10 * M),
    ("2G", units.UNIT_BYTES, 2 * G),
    ("3T", units.UNIT_BYTES, 3 * T),
    ("5P", units.UNIT_BYTES, 5 * 4096),
    (" 7 G ", units.UNIT_BYTES, 7 * G),
    (42, units.UNIT_BYTES, 42),
    # a bare number means the key's own unit; a suffix always wins over it
    ("100", units.UNIT_KBYTES, 100 * K),
    ("10G", units.UNIT_KBYTES, 10 * G),
    ("100", units.UNIT_PAGES, 100 * 4096),
    ("1M", units.UNIT_PAGES, M),
    ("262144", units.UNIT_PAGES, G),
    ("65", units.UNIT_COUNT, 65),
    ("0", units.UNIT_COUNT, 0),
])
def test_parse_size(text, unit, expected):
    assert units.parse_size(text, unit=unit) == expected


@pytest.mark.parametrize("text", ["unlimited", "UNLIMITED", " Unlimited ", "9223372036854775807", "2147483647"])
@pytest.mark.parametrize("unit", [units.UNIT_BYTES, units.UNIT_KBYTES, units.UNIT_PAGES, units.UNIT_COUNT])
def test_parse_size_unlimited(text, unit):
    assert units.parse_size(text, unit=unit) is None


def test_page_size_is_4k_regardless_of_host():
    assert units.PAGE_SIZE == 4096
    assert units.parse_size("1P") == 4096


@pytest.mark.parametrize("text", ["10Q", "", "K", "-1", "1.5G", "10 GB", "0x10", "ten", "1G2"])
def test_parse_size_rejects(text):
    with pytest.raises(VzConfigError) as exc:
        units.parse_size(text, param="diskspace")
    assert exc.value.details["param"] == "diskspace"
    assert "is not a size" in str(exc.value)
    assert str(exc.value).startswith("`diskspace`: ")
    assert exc.value.details["hint"]


def test_parse_size_error_message_form():
    with pytest.raises(VzConfigError) as exc:
        units.parse_size("10Q", param="diskspace")
    assert str(exc.value) == "`diskspace`: 10Q is not a size; use a number with K, M, G, T or P (pages), or 'unlimited'"


@pytest.mark.parametrize("text", ["65K", "1M", "10P", "1B", "1.0", "x"])
def test_counts_reject_suffixes(text):
    with pytest.raises(VzConfigError) as exc:
        units.parse_size(text, unit=units.UNIT_COUNT, param="config.NUMPROC")
    assert exc.value.details["param"] == "config.NUMPROC"
    assert "is not a count" in str(exc.value)


@pytest.mark.parametrize("text, unit, expected", [
    ("65:65", units.UNIT_COUNT, (65, 65)),
    ("65", units.UNIT_COUNT, (65, 65)),
    ("0:5", units.UNIT_COUNT, (0, 5)),
    ("100:110", units.UNIT_COUNT, (100, 110)),
    ("6144:2147483647", units.UNIT_PAGES, (6144 * 4096, None)),
    ("0:2147483647", units.UNIT_PAGES, (0, None)),
    ("unlimited", units.UNIT_PAGES, (None, None)),
    ("unlimited:unlimited", units.UNIT_BYTES, (None, None)),
    ("9223372036854775807:9223372036854775807", units.UNIT_BYTES, (None, None)),
    ("1G:unlimited", units.UNIT_BYTES, (G, None)),
    ("1048576:1153434", units.UNIT_KBYTES, (G, 1153434 * K)),
    ("10G:11G", units.UNIT_KBYTES, (10 * G, 11 * G)),
    ("512M:1G", units.UNIT_BYTES, (512 * M, G)),
    (" 1M : 2M ", units.UNIT_BYTES, (M, 2 * M)),
    ("1024K:1M", units.UNIT_BYTES, (M, M)),
])
def test_parse_pair(text, unit, expected):
    assert units.parse_pair(text, unit=unit) == expected


@pytest.mark.parametrize("text", ["1:2:3", ":5", "5:", ":", "", " : "])
def test_parse_pair_rejects_shape(text):
    with pytest.raises(VzConfigError) as exc:
        units.parse_pair(text, param="config.NUMPROC")
    assert exc.value.details["param"] == "config.NUMPROC"
    assert "barrier:limit" in str(exc.value)


@pytest.mark.parametrize("text, unit", [
    ("5:0", units.UNIT_COUNT),
    ("66:65", units.UNIT_COUNT),
    ("2G:1G", units.UNIT_BYTES),
    ("1025K:1M", units.UNIT_BYTES),
    ("2:1", units.UNIT_PAGES),
])
def test_parse_pair_rejects_barrier_above_limit(text, unit):
    with pytest.raises(VzConfigError) as exc:
        units.parse_pair(text, unit=unit, param="config.PHYSPAGES")
    assert exc.value.details["param"] == "config.PHYSPAGES"
    assert "above limit" in str(exc.value)


@pytest.mark.parametrize("text, expected", [
    ("5:unlimited", (5, None)),
    ("unlimited:unlimited", (None, None)),
])
def test_parse_pair_unlimited_limit_is_above_any_barrier(text, expected):
    assert units.parse_pair(text, unit=units.UNIT_COUNT) == expected


@pytest.mark.parametrize("text", ["unlimited:5", "2147483647:1"])
def test_parse_pair_rejects_unlimited_barrier_above_limit(text):
    with pytest.raises(VzConfigError):
        units.parse_pair(text, unit=units.UNIT_COUNT, param="config.NUMPROC")


@pytest.mark.parametrize("text, unit", [
    ("10Q:20Q", units.UNIT_BYTES),
    ("1:10Q", units.UNIT_BYTES),
    ("65K:65K", units.UNIT_COUNT),
])
def test_parse_pair_rejects_bad_sides(text, unit):
    with pytest.raises(VzConfigError) as exc:
        units.parse_pair(text, unit=unit, param="diskspace")
    assert exc.value.details["param"] == "diskspace"


@pytest.mark.parametrize("value, unit, expected", [
    (None, units.UNIT_BYTES, "unlimited"),
    (None, units.UNIT_COUNT, "unlimited"),
    (0, units.UNIT_BYTES, "0"),
    (1, units.UNIT_BYTES, "1"),
    (1000, units.UNIT_BYTES, "1000"),
    (1536, units.UNIT_BYTES, "1536"),
    (K, units.UNIT_BYTES, "1K"),
    (3 * K, units.UNIT_BYTES, "3K"),
    (1536 * K, units.UNIT_BYTES, "1536K"),
    (M, units.UNIT_BYTES, "1M"),
    (512 * M, units.UNIT_BYTES, "512M"),
    (G, units.UNIT_BYTES, "1G"),
    (10 * G, units.UNIT_BYTES, "10G"),
    (T, units.UNIT_BYTES, "1T"),
    (1024 * T, units.UNIT_BYTES, "1024T"),
    (4096, units.UNIT_PAGES, "4K"),
    (262144 * 4096, units.UNIT_PAGES, "1G"),
    (65, units.UNIT_COUNT, "65"),
    (1024, units.UNIT_COUNT, "1024"),
])
def test_format_size(value, unit, expected):
    assert units.format_size(value, unit=unit) == expected


@pytest.mark.parametrize("barrier, limit, unit, expected", [
    (65, 65, units.UNIT_COUNT, "65:65"),
    (0, None, units.UNIT_PAGES, "0:unlimited"),
    (512 * M, G, units.UNIT_BYTES, "512M:1G"),
    (None, None, units.UNIT_BYTES, "unlimited:unlimited"),
])
def test_format_pair(barrier, limit, unit, expected):
    assert units.format_pair(barrier, limit, unit=unit) == expected


@pytest.mark.parametrize("value", [0, 1, 512, 1536, K, 3 * K, 10 * M, 7 * G, 2 * T, 123456789, None])
def test_bytes_round_trip(value):
    assert units.parse_size(units.format_size(value)) == value


@pytest.mark.parametrize("text", ["1K", "10M", "2G", "3T", "unlimited", "1000"])
def test_text_round_trip(text):
    assert units.format_size(units.parse_size(text)) == text


@pytest.mark.parametrize("text, unit", [
    ("6144:2147483647", units.UNIT_PAGES),
    ("65:65", units.UNIT_COUNT),
    ("1048576:1153434", units.UNIT_KBYTES),
    ("512M:1G", units.UNIT_BYTES),
])
def test_pair_round_trip(text, unit):
    pair = units.parse_pair(text, unit=unit)
    assert units.parse_pair(units.format_pair(*pair, unit=unit), unit=unit) == pair


@pytest.mark.parametrize("value, unit", [
    (100 * 4096, units.UNIT_PAGES),
    (4096, units.UNIT_PAGES),
    (2048 * K, units.UNIT_KBYTES),
])
def test_round_trip_in_key_unit(value, unit):
    assert units.parse_size(units.format_size(value, unit=unit), unit=unit) == value


@pytest.mark.parametrize("value, unit", [
    (100, units.UNIT_PAGES),
    (1000, units.UNIT_KBYTES),
])
def test_round_trip_in_key_unit_not_multiple_of_k(value, unit):
    assert units.parse_size(units.format_size(value, unit=unit), unit=unit) == value
