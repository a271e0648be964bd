# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Joining namespaces and changing a running container's host name, against a real process in
namespaces of its own; mount points made inside a root refuse planted links."""
from __future__ import annotations

import errno
import os
import socket

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _namespaces as ns
from ansible_collections.vzkit.vz.tests.unit.plugins.module_utils._namespaced import namespaced


def in_child(fn) -> int:
    """Run fn() in a forked child (joining namespaces changes the caller for good); its exit code."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = fn()
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def hostname_of(pid: int) -> str:
    read, write = os.pipe()

    def look():
        ns.join(pid, ("uts",))
        os.write(write, socket.gethostname().encode())
        return 0
    assert in_child(look) == 0
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        return fh.read().decode()


def test_join_sees_the_namespace_and_the_host_is_untouched():
    with namespaced("vzkit-ns-test") as pid:
        assert hostname_of(pid) == "vzkit-ns-test"
        assert socket.gethostname() != "vzkit-ns-test"


def test_set_live_hostname_changes_only_the_container():
    before = socket.gethostname()
    with namespaced("vzkit-ns-before") as pid:
        ns.set_live_hostname(pid, "vzkit-ns-after")
        assert hostname_of(pid) == "vzkit-ns-after"
    assert socket.gethostname() == before


def test_set_live_hostname_of_a_gone_process_fails():
    with namespaced("vzkit-ns-gone") as pid:
        pass
    with pytest.raises(OSError):
        ns.set_live_hostname(pid, "nobody")


def test_join_opens_every_namespace_before_entering_one():
    """A namespace that cannot be opened fails the join before any is entered (the caller is unchanged)."""
    with pytest.raises(FileNotFoundError):
        ns.join(os.getpid(), ("uts", "no-such-namespace"))
    assert ns.NS_FLAGS["uts"] and "no-such-namespace" not in ns.NS_FLAGS


def test_mount_points_are_made_and_planted_links_refused(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    assert ns._mkdir_in_root(str(root), "proc") == str(root / "proc")
    assert (root / "proc").is_dir()
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(str(outside), str(root / "sys"))
    with pytest.raises(OSError) as exc:
        ns._mkdir_in_root(str(root), "sys")
    assert exc.value.errno == errno.ENOTDIR and "a link is not followed" in str(exc.value)
    assert os.listdir(outside) == []
