# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Work inside a running container: run a command, copy a file in or out, an interactive session.

Private to vzkit.vz; may change in any release. What vz_container_exec, ``vzctl exec``, ``push``,
``pull`` and ``enter`` (and through them the vzkit.vz.vz connection, once per task) call. They need the
container's init, cgroups and confinement only, not its layout, mounts or network: this file imports
no more than that, so that each call starts quickly (the CLI imports nothing else for them).
"""
from __future__ import annotations

import os

from .._record import is_alive, read_record
from .._cgroups import _groups as cgroups
from .._cgroups import _hierarchy as hierarchy
from .._config import VzGlobals, read_conf, validate_ctid
from .._confine import Confinement
from .._errors import VzStateError
from .._exec import check_running, copy_in, copy_out, run_in_container
from .._namespaces import INIT_ENV


def running(ctid: str, vz_conf: str):
    """The running container's init pid, how to put a process into its cgroups, and its confinement."""
    ctid = validate_ctid(ctid)
    g = VzGlobals.load(vz_conf)
    conf = read_conf(os.path.join(g.conf_dir, "%s.conf" % ctid))
    if conf is None:
        raise VzStateError("container %s does not exist" % ctid, param="ctid", hint="create it first (vz_container)")
    record = read_record(os.path.join(g.get("VZ_RUN_DIR"), ctid))
    check_running(record if is_alive(record) else None, ctid)
    groups = cgroups.Cgroups(hierarchy.detect(), g.get("VZ_CGROUP_PARENT"))
    return record.pid, lambda pid: groups.attach(ctid, pid), Confinement.from_conf(conf.items())


def exec_command(ctid: str, vz_conf: str, argv, *, stdin=b"", env=None, cwd: str = "/",
                 timeout: float = 0, decode: bool = True, stdout=None, stderr=None) -> dict:
    """Run argv inside the running container, confined like its init (see ``_exec``); its output as text
    (undecodable bytes replaced), or as bytes without ``decode``; or relayed to the file descriptors
    stdout and stderr as it comes, with stdin a file descriptor relayed to it."""
    pid, attach, confinement = running(ctid, vz_conf)
    res = run_in_container(pid, argv, attach=attach, confinement=confinement, env=env, stdin=stdin,
                           cwd=cwd, timeout=timeout, stdout=stdout, stderr=stderr)
    if not decode:
        return {"rc": res.rc, "stdout": res.stdout, "stderr": res.stderr, "timed_out": res.timed_out}
    return {"rc": res.rc, "stdout": res.stdout.decode("utf-8", "replace"),
            "stderr": res.stderr.decode("utf-8", "replace"), "timed_out": res.timed_out}


def copy_to_container(ctid: str, vz_conf: str, source: int, dest: str, *, mode: int = 0o644) -> dict:
    """Copy what the host file descriptor source holds to the file dest inside the running container,
    as its root (see ``_exec.copy_in``)."""
    pid, attach, confinement = running(ctid, vz_conf)
    res = copy_in(pid, source, dest, attach=attach, confinement=confinement, mode=mode)
    return {"rc": res.rc, "error": res.stderr.decode("utf-8", "replace").strip()}


def copy_from_container(ctid: str, vz_conf: str, src: str, dest: int) -> dict:
    """Copy the file src inside the running container to the host file descriptor dest."""
    pid, attach, confinement = running(ctid, vz_conf)
    res = copy_out(pid, src, dest, attach=attach, confinement=confinement)
    return {"rc": res.rc, "error": res.stderr.decode("utf-8", "replace").strip()}


def enter_container(ctid: str, vz_conf: str, *, argv=("/bin/sh", "-l")) -> int:
    """An interactive session in the running container, on the caller's terminal (see ``_enter``)."""
    from .._enter import enter  # (only a session needs the terminal relay)
    pid, attach, confinement = running(ctid, vz_conf)
    env = dict(INIT_ENV, HOME="/root", TERM=os.environ.get("TERM") or "linux")
    return enter(pid, attach=attach, confinement=confinement, argv=list(argv), env=env)


__all__ = ["running", "exec_command", "copy_to_container", "copy_from_container", "enter_container"]
