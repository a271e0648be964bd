# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drive `vzctl enter` through a real pseudo-terminal, as a person at a terminal would: read the prompt,
type commands, resize the window, interrupt a command, `exit 3`. Prints what was seen as JSON.
Usage: python3 enter_session.py WORKDIR VZCTL_ARGV..."""
import fcntl
import json
import os
import pty
import select
import struct
import sys
import termios
import time


def main(workdir, argv):
    pid, fd = pty.fork()
    if pid == 0:  # the host's shell on the terminal: settings before and after, and enter's exit status
        os.execvp("sh", ["sh", "-c", 'stty -g > "$0/before"; "$@"; echo $? > "$0/rc"; stty -g > "$0/after"', workdir] + argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    seen = b""

    def until(token, timeout=30.0):
        nonlocal seen
        end = time.monotonic() + timeout
        while token not in seen and time.monotonic() < end:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    break
        return token in seen

    out = {"prompt": until(b"# ")}
    os.write(fd, b"tty; stat -c 'devpts=%d' $(tty); stty size; echo done-$((40+2))\n")
    out["first"] = until(b"done-42")
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))  # the window changes
    time.sleep(0.5)
    os.write(fd, b"stty size; echo done-$((40+3))\n")
    out["second"] = until(b"done-43")
    os.write(fd, b"sleep 100\n")  # ^C stops it inside, and the shell is back at once
    time.sleep(0.5)
    os.write(fd, b"\x03")
    started = time.monotonic()
    os.write(fd, b"echo done-$((40+4))\n")
    out["interrupted"] = until(b"done-44", timeout=10) and time.monotonic() - started < 10
    os.write(fd, b"exit 3\n")
    until(b"\0", timeout=5)
    os.waitpid(pid, 0)
    with open(os.path.join(workdir, "rc"), encoding="ascii") as fh:
        out["rc"] = int(fh.read())
    with open(os.path.join(workdir, "before"), encoding="ascii") as a, open(os.path.join(workdir, "after"), encoding="ascii") as b:
        out["terminal_restored"] = a.read() == b.read()
    out["lines"] = seen.decode("utf-8", "replace").replace("\r", "").splitlines()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
