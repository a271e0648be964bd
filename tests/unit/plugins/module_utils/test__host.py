# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host's program lookup: a missing program is an error that says what to install."""
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError
from ansible_collections.vzkit.vz.plugins.module_utils._host import Host


class BareHost(Host):
    """A host where nothing is installed (the lookup is the only thing replaced)."""

    @staticmethod
    def _which(name):
        return None


@pytest.mark.parametrize("program, package", [("sfdisk", "fdisk"), ("mkfs.xfs", "xfsprogs"), ("zfs", "zfsutils-linux")])
def test_missing_program_names_its_debian_package(program, package):
    with pytest.raises(VzConfigError) as exc:
        BareHost().bin(program)
    assert repr(program) in str(exc.value)
    assert exc.value.details["hint"] == "install the Debian package %s" % package


def test_unknown_missing_program_still_gets_a_hint():
    with pytest.raises(VzConfigError) as exc:
        BareHost().bin("frobnicate")
    assert exc.value.details["hint"] == "install the Debian package that provides it"
    assert BareHost().which("frobnicate") is None


def test_found_program_is_resolved_once():
    host = Host()
    assert host.bin("sh").endswith("/sh")
    host._bins["sh"] = "/cached/sh"
    assert host.bin("sh") == "/cached/sh"
