# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A process in namespaces of its own (user, mount, UTS, IPC, network, pid, cgroup), made with
util-linux's unshare: what the exec and namespace tests join, as they would a container's init.

As vzkit's start does, the user namespace is made first, its maps written from outside (the identity
map, setgroups allowed), and the other namespaces by a second unshare inside it: made in one unshare
call, the pid namespace cannot be joined after its user namespace (EPERM), and util-linux's own maps
deny setgroups, which joining as root needs.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import time

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _libc as libc


def _descendant(pid: int, comm: str) -> int | None:
    """The first process below pid whose command is comm."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid), encoding="ascii") as fh:
            children = [int(c) for c in fh.read().split()]
        for child in children:
            with open("/proc/%d/comm" % child, encoding="ascii") as fh:
                if fh.read().strip() == comm:
                    return child
            found = _descendant(child, comm)
            if found:
                return found
    except OSError:
        return None
    return None


@contextlib.contextmanager
def namespaced(hostname: str):
    """Yield the host pid of a process that runs `sleep` in new namespaces, with hostname set there."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and util-linux's unshare")
    assert hostname != socket.gethostname()
    inner = "hostname %s && exec sleep 60" % hostname
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    child = os.fork()
    if child == 0:  # unshare mount and user namespaces, wait for the maps, make the rest
        try:
            os.close(ready_r)
            os.close(go_w)
            libc.unshare(libc.CLONE_NEWNS | libc.CLONE_NEWUSER)
            os.write(ready_w, b"u")
            os.read(go_r, 1)
            os.execvp("unshare", ["unshare", "--uts", "--ipc", "--net", "--pid", "--cgroup", "--fork", "--kill-child",
                                  "sh", "-c", inner])
        finally:
            os._exit(127)
    os.close(ready_w)
    os.close(go_r)
    os.read(ready_r, 1)
    os.close(ready_r)
    for name in ("uid_map", "gid_map"):
        with open("/proc/%d/%s" % (child, name), "w", encoding="ascii") as fh:
            fh.write("0 0 4294967294\n")
    os.write(go_w, b"g")
    os.close(go_w)
    pid = None
    try:
        deadline = time.monotonic() + 10
        while pid is None:
            assert time.monotonic() < deadline, "the namespaced process did not start"
            time.sleep(0.01)
            pid = _descendant(child, "sleep")
        yield pid
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
        os.kill(child, signal.SIGKILL)  # --kill-child: what the inner unshare forked goes with it
        os.waitpid(child, 0)
