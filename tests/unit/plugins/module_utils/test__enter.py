# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vzctl enter's session, against a real process in namespaces of its own: the shell runs on a
terminal (opened in the joined mount namespace), input relayed in, output relayed out, end of input
passed on as ^D, the shell's exit status returned. The vz_cli integration target drives it through a
real pseudo-terminal on a container with a devpts of its own."""
from __future__ import annotations

import os
import re
import threading
import time

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._confine import Confinement
from ansible_collections.vzkit.vz.plugins.module_utils._enter import enter
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzStateError
from ansible_collections.vzkit.vz.tests.unit.plugins.module_utils._namespaced import namespaced

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/", "TERM": "dumb"}


def session(pid: int, typed: bytes, argv=("/bin/sh",)) -> tuple:
    """(exit status, what the terminal showed: the shell's prompt, "# ", may start a line) of a session fed
    `typed` through a pipe."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    shown = []
    reader = threading.Thread(target=lambda: shown.append(os.read(out_r, 1 << 20) + _drain(out_r)))
    reader.start()
    writer = threading.Thread(target=lambda: (_feed(in_w, typed), os.close(in_w)))
    writer.start()
    try:
        rc = enter(pid, attach=lambda p: None, confinement=Confinement(), argv=argv, env=ENV, stdin=in_r, stdout=out_w)
    finally:
        os.close(out_w)
        os.close(in_r)
        reader.join(10)
        writer.join(10)
        os.close(out_r)
    return rc, b"".join(shown).replace(b"\r", b"").decode()


def _feed(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _drain(fd: int) -> bytes:
    out = b""
    while True:
        data = os.read(fd, 65536)
        if not data:
            return out
        out += data


@pytest.fixture(name="init", scope="module")
def fixture_init():
    with namespaced("vzkit-enter-test") as pid:
        yield pid


def test_the_shell_runs_on_a_terminal_inside_and_its_status_comes_back(init):
    rc, shown = session(init, b"tty; hostname; echo done-$((40+2)); exit 3\n")
    assert rc == 3
    assert re.search(r"^(# )?vzkit-enter-test$", shown, re.M) and re.search(r"^(# )?done-42$", shown, re.M)
    assert re.search(r"^(# )?/dev/pts/\d+$", shown, re.M)  # a terminal, not the pipe


def test_end_of_input_ends_the_shell(init):
    rc, shown = session(init, b"echo last-$((1+1))\n")
    assert rc == 0 and re.search(r"^(# )?last-2$", shown, re.M)


def test_a_last_line_without_newline_still_runs_and_ends(init):
    rc, shown = session(init, b"echo tail-$((2+2))")
    assert rc == 0 and re.search(r"^(# )?tail-4$", shown, re.M)


def test_the_session_ends_with_the_shell_whatever_it_left_running(init):
    """A background job keeps the terminal open: the session still ends when the shell exits."""
    started = time.monotonic()
    assert session(init, b"sleep 600 &\nexit 6\n")[0] == 6
    assert time.monotonic() - started < 30


def test_input_larger_than_the_terminal_buffers_gets_through(init):
    """Writes to the terminal never block the relay: a program inside that reads while it writes gets it all."""
    lines = b"x" * 99 + b"\n"
    rc, shown = session(init, b"cat > /dev/null; echo got-all\n" + lines * 3000 + b"\x04")
    assert rc == 0 and "got-all" in shown


def test_a_command_instead_of_the_shell(init):
    assert session(init, b"", argv=("/bin/sh", "-c", "test -t 0 && test -t 1 && exit 7"))[0] == 7


def test_a_missing_command_is_127(init):
    rc, shown = session(init, b"", argv=("/no/such/shell",))
    assert rc == 127 and "vzkit enter: /no/such/shell: No such file or directory" in shown


def test_a_gone_process_is_refused():
    with namespaced("vzkit-enter-gone") as pid:
        pass
    with pytest.raises(VzStateError) as exc:
        enter(pid, attach=lambda p: None, confinement=Confinement(), env=ENV, stdin=0, stdout=1)
    assert "cannot enter the container" in str(exc.value)
