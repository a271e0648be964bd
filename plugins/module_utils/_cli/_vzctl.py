# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vzctl: a container's life cycle from the host's shell, as OpenVZ admins type it.

Private to vzkit.vz; may change in any release. Every command that changes a container is a
``vz_container`` request run through the same converge step and per-container lock as the module;
``exec`` is ``vz_container_exec``. docs/cli.md is the manual.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import termios

from .._container._inside import copy_from_container, copy_to_container, enter_container, exec_command
from .._errors import VzError, VzStateError
from .._host import Host
from .._namespaces import INIT_ENV
from ._common import FAILED, OK, USAGE, Parser, say_error, say_warnings, vz_conf

# command -> the state it asks for (vz_container's state option)
STATES = {"create": "present", "mount": "mounted", "umount": "stopped", "start": "started", "stop": "stopped",
          "restart": "restarted", "destroy": "absent", "delete": "absent"}
# vzctl exec's environment: the init's, with root's home (as `~` in a command expects)
EXEC_ENV = dict(INIT_ENV, HOME="/root")
SET_OPTIONS = ("ram", "swap", "numproc", "cpus", "cpulimit", "cpuunits", "cpumask", "iolimit", "iopslimit", "ioprio")
EPILOG = """vz.conf: /etc/vz/vz.conf, or the file $VZKIT_VZ_CONF names.
exit status: 0 done (or nothing to do), 1 refused or failed (one line says why), 2 usage error;
vzctl exec and vzctl enter pass the command's (the shell's) own through."""


def parser() -> Parser:
    p = Parser(prog="vzctl", description="Create, start, stop, change and destroy containers; run commands in them.",
               epilog=EPILOG)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    create = sub.add_parser("create", help="create a container (stopped)", epilog=EPILOG)
    create.add_argument("ctid")
    create.add_argument("--ostemplate", help="the template cache to create it from (default: DEF_OSTEMPLATE)")
    create.add_argument("--layout", choices=("simfs", "zfs", "zvol"), help="where its files live (default: VE_LAYOUT)")
    create.add_argument("--config", dest="config_sample", metavar="NAME", help="the config sample (ve-NAME.conf-sample)")
    create.add_argument("--zfs-dataset", help="the parent dataset on the zfs and zvol layouts")
    create.add_argument("--unprivileged", choices=("yes", "no"), help="a uid/gid range of its own (default: yes)")
    _identity_options(create)
    for name, help_text in (("mount", "mount its private area on its root"), ("umount", "unmount it (stopped)"),
                            ("start", "start it (mounting it first)"), ("restart", "stop it, then start it"),
                            ("status", "print whether it exists, is mounted and runs"),
                            ("destroy", "remove it: its private area and its config"), ("delete", "the same as destroy")):
        cmd = sub.add_parser(name, help=help_text, epilog=EPILOG)
        cmd.add_argument("ctid")
    stop = sub.add_parser("stop", help="stop it (its init is asked, then killed after --timeout)", epilog=EPILOG)
    stop.add_argument("ctid")
    stop.add_argument("--timeout", type=int, default=60, help="seconds before the init is killed (default: 60)")
    change = sub.add_parser("set", help="change its settings (saved in CTID.conf; applied live where possible)",
                            epilog=EPILOG)
    change.add_argument("ctid")
    _identity_options(change)
    change.add_argument("--ipdel", action="append", metavar="IP|all", help="remove an address (all: every one)")
    change.add_argument("--onboot", choices=("yes", "no"), help="start it at boot")
    for name in SET_OPTIONS:
        change.add_argument("--" + name, help="vz_container's %s option" % name)
    change.add_argument("--setmode", choices=("restart", "ignore"), help="what a change that needs a restart does")
    change.add_argument("--save", action="store_true", help="save the change (required: vzkit always saves)")
    _inside_parsers(sub)
    _migrate_receive_parser(sub)
    return p


def _inside_parsers(sub) -> None:
    """exec, push, pull, enter: work inside a running container."""
    run = sub.add_parser("exec", help="run a command inside it (through /bin/sh -c; stdin passed on)", epilog=EPILOG)
    run.add_argument("ctid")
    # REMAINDER: the command's own options (ls -la, sh -c '...') are its, not vzctl's
    run.add_argument("cmd", nargs=argparse.REMAINDER, help="the command line")
    push = sub.add_parser("push", help="copy a host file into it (as its root; - reads stdin)", epilog=EPILOG)
    push.add_argument("ctid")
    push.add_argument("src", help="the host file, or - for stdin")
    push.add_argument("dest", help="the file inside (paths resolve in its own tree)")
    push.add_argument("--perms", type=_mode, default=0o644, metavar="MODE", help="its mode, in octal (default: 0644)")
    pull = sub.add_parser("pull", help="copy a file out of it to the host (- writes stdout)", epilog=EPILOG)
    pull.add_argument("ctid")
    pull.add_argument("src", help="the file inside (paths resolve in its own tree)")
    pull.add_argument("dest", help="the host file (under sudo, it belongs to the user who ran sudo), or - for stdout")
    enter = sub.add_parser("enter", help="an interactive shell inside it, on a terminal of its own", epilog=EPILOG)
    enter.add_argument("ctid")
    enter.add_argument("--exec", dest="argv", nargs=argparse.REMAINDER, metavar="COMMAND",
                       help="run this on the terminal instead of a login shell (/bin/sh -l); the session ends with it")


def _migrate_receive_parser(sub) -> None:
    receive = sub.add_parser("migrate-receive", help="the destination's half of vz_migrate (it runs this over SSH)",
                             epilog=EPILOG + "\nPrints one JSON object; finish reads the container's CTID.conf on stdin, "
                                             "stream a zfs send stream.")
    receive.add_argument("ctid")
    receive.add_argument("step", choices=("status", "prepare", "stream", "finish", "abort"),
                         help="status: whether this host has it from --source; prepare: what this host has of it, "
                              "and a partial area for the passes; stream: zfs receive from stdin; finish: make the "
                              "container of what the passes sent; abort: remove what they sent")
    receive.add_argument("--layout", required=True, choices=("simfs", "zfs"), help="its layout here")
    receive.add_argument("--zfs-dataset", help="the parent dataset here (layout zfs; default VE_ZFS_DATASET)")
    receive.add_argument("--source", default="", help="HOST:CTID of the source (recorded as VZKIT_MIGRATED_FROM)")
    receive.add_argument("--start", action="store_true", help="finish: start it (it ran on the source)")
    receive.add_argument("--vz-conf", help="this host's vz.conf (default: as every command)")


def _mode(text: str) -> int:
    try:
        mode = int(text, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o7777:
        raise argparse.ArgumentTypeError("%r is not an octal file mode (like 0644)" % text)
    return mode


def _identity_options(cmd) -> None:
    cmd.add_argument("--hostname", help="its host name")
    cmd.add_argument("--ipadd", action="append", metavar="IP", help="add a routed address (repeat for more)")
    cmd.add_argument("--nameserver", action="append", metavar="IP", help="a name server (repeat for more)")
    cmd.add_argument("--searchdomain", action="append", metavar="DOMAIN", help="a search domain (repeat for more)")


def main(argv, *, stdout=None, stderr=None, stdin=None, host=None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    args = parser().parse_args(argv)
    host = host or Host()
    try:
        if args.command == "status":
            return _status(args, host, stdout)
        if args.command == "set" and not args.save:
            stderr.write("vzctl: container %s: vzkit saves every change in CTID.conf; add --save\n" % args.ctid)
            return USAGE
        # (these say themselves when the container does not exist or does not run)
        if args.command == "exec":
            if args.cmd[:1] == ["--"]:
                args.cmd = args.cmd[1:]
            if not args.cmd:
                stderr.write("vzctl: container %s: exec needs a command (vzctl exec CTID COMMAND...)\n" % args.ctid)
                return USAGE
            return _exec(args, stdout, stderr, stdin)
        if args.command in ("push", "pull"):
            return _copy(args, stdout, stderr, stdin)
        if args.command == "enter":
            return _enter(args, stderr)
        if args.command == "migrate-receive":
            return _migrate_receive(args, host, stdout, stdin)
        if args.command not in ("create", "destroy", "delete"):
            _require_existing(args.ctid, host)  # only create makes a container
        from .._spec import ContainerSpec  # (see _ensure)
        result = _ensure().ensure(ContainerSpec.from_params(_params(args, host)), host)
    except VzError as exc:
        return say_error("vzctl", exc, stderr, ctid=args.ctid)
    finally:
        say_warnings("vzctl", host, stderr)
    for action in result["actions"]:
        stdout.write("%s\n" % action)
    if not result["changed"]:
        stdout.write("Container %s: %s\n" % (args.ctid, _nothing_to_do(args.command, result["container"]["state"])))
    return OK


def _ensure():
    """The converge step, imported when a command needs it: exec, push, pull and enter start without it
    (the connection plugin runs one of them per task)."""
    from .._container import _ensure as entry_points
    return entry_points


def _require_existing(ctid: str, host) -> dict:
    (container,) = _ensure().info(vz_conf(), host, [ctid])
    if container["state"] == "absent":
        raise VzStateError("container %s does not exist" % ctid, param="ctid", hint="create it first (vzctl create)")
    return container


def _nothing_to_do(command: str, state: str) -> str:
    if command == "create":
        return "already exists"
    if command == "set":
        return "nothing to change"
    return "does not exist" if state == "absent" else "already %s" % state


def _params(args, host) -> dict:
    """vz_container's parameters for the command."""
    p = {"ctid": args.ctid, "state": STATES.get(args.command, "present"), "vz_conf": vz_conf()}
    if args.command == "stop":
        p["stop_timeout"] = args.timeout
    if args.command == "create":
        p.update(ostemplate=args.ostemplate, layout=args.layout, config_sample=args.config_sample,
                 zfs_dataset=args.zfs_dataset,
                 unprivileged=None if args.unprivileged is None else args.unprivileged == "yes")
    if args.command in ("create", "set"):
        p.update(hostname=args.hostname, nameserver=args.nameserver, searchdomain=args.searchdomain)
        p["ip_address"] = _addresses(args, host)
    if args.command == "set":
        p.update({name: getattr(args, name) for name in SET_OPTIONS})
        p["onboot"] = None if args.onboot is None else args.onboot == "yes"
        p["setmode"] = args.setmode or "fail"
    return p


def _addresses(args, host):
    """--ipadd adds to the addresses the container has, --ipdel removes (vzctl's way); None: unchanged."""
    if not args.ipadd and not getattr(args, "ipdel", None):
        return None
    current = []
    if args.command == "set":
        current = list(_require_existing(args.ctid, host)["ip_address"])
    deleted = set(getattr(args, "ipdel", None) or ())
    kept = [] if "all" in deleted else [a for a in current if a not in deleted and a.split("/")[0] not in deleted]
    return kept + [a for a in args.ipadd or () if a not in kept]


def _migrate_receive(args, host, stdout, stdin) -> int:
    from .._migrate import _receive as receive  # (only a migration's destination needs it)
    # a dropped SSH connection must not cut a finish in half: it completes, and status tells the source.
    # A handler, not SIG_IGN: an ignored signal stays ignored across exec, into a container it starts.
    signal.signal(signal.SIGHUP, lambda _signum, _frame: None)
    where = dict(layout=args.layout, zfs_dataset=args.zfs_dataset)
    conf = args.vz_conf or vz_conf()
    stdin = stdin if stdin is not None else sys.stdin.buffer
    if args.step == "status":
        out = receive.status(args.ctid, conf, host, source=args.source, **where)
    elif args.step == "prepare":
        out = receive.prepare(args.ctid, conf, host, source=args.source, **where)
    elif args.step == "stream":
        out = receive.receive_stream(args.ctid, conf, host, stdin=stdin, **where)
    elif args.step == "finish":
        out = receive.finish(args.ctid, conf, host, conf_text=stdin.read().decode("utf-8"), source=args.source,
                             start=args.start, **where)
    else:
        out = receive.abort(args.ctid, conf, host, **where)
    stdout.write(json.dumps(out) + "\n")
    return OK


def _enter(args, stderr) -> int:
    try:
        return enter_container(args.ctid, vz_conf(), argv=args.argv or ("/bin/sh", "-l"))
    except KeyboardInterrupt:  # ^C on a host terminal that was not raw (input from a pipe)
        return 130
    except (OSError, termios.error) as exc:
        stderr.write("vzctl: container %s: the session failed: %s\n" % (args.ctid, exc))
        return FAILED


def _status(args, host, stdout) -> int:
    (c,) = _ensure().info(vz_conf(), host, [args.ctid])
    exists = "deleted" if c["state"] == "absent" else "exist"
    mounted = "mounted" if c["state"] in ("mounted", "running") else "unmounted"
    stdout.write("CTID %s %s %s %s\n" % (args.ctid, exists, mounted, "running" if c["state"] == "running" else "down"))
    return OK


def _exec(args, stdout, stderr, stdin) -> int:
    """The command line through /bin/sh -c, as vzctl exec runs it; stdin relayed to it (unless it is a
    terminal), its stdout and stderr relayed apart, as they come."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    source = b"" if stdin.isatty() else (_fileno(stdin) if _fileno(stdin) is not None else stdin.read())
    sinks = [_fileno(stdout), _fileno(stderr)]
    stdout.flush()
    stderr.flush()
    res = exec_command(args.ctid, vz_conf(), ["/bin/sh", "-c", " ".join(args.cmd)], stdin=source,
                       env=EXEC_ENV, decode=False, stdout=sinks[0], stderr=sinks[1])
    _write(stdout, res["stdout"])
    _write(stderr, res["stderr"])
    return res["rc"] if res["rc"] >= 0 else FAILED


def _copy(args, stdout, stderr, stdin) -> int:
    """push and pull: a host file (or stdin, stdout) to or from a file inside."""
    if args.command == "push":
        with _host_file(args.src, stdin if stdin is not None else sys.stdin.buffer, reading=True) as fd:
            res = copy_to_container(args.ctid, vz_conf(), fd, args.dest, mode=args.perms)
    else:
        with _host_file(args.dest, stdout, reading=False) as fd:
            res = copy_from_container(args.ctid, vz_conf(), args.src, fd)
    if res["rc"]:
        stderr.write("vzctl: container %s: %s failed: %s\n" % (args.ctid, args.command, res["error"]))
        return FAILED
    return OK


class _host_file:
    """The host side of a copy: the file named, or the stream for -. A file pull makes is private (0600)
    and, under sudo, belongs to the user who ran sudo, as a file they had copied themselves would; a file
    that was there keeps its owner and mode."""

    def __init__(self, path: str, stream, *, reading: bool):
        self.path, self.stream, self.reading, self.fd = path, stream, reading, None

    def __enter__(self) -> int:
        if self.path == "-":
            if not self.reading:
                self.stream.flush()
            fd = _fileno(self.stream)
            if fd is None:
                raise VzStateError("- needs a real stdin or stdout", param="src" if self.reading else "dest")
            return fd
        try:
            self.fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC) if self.reading else self._create()
        except OSError as exc:
            raise VzStateError("%s: %s" % (self.path, exc.strerror), param="src" if self.reading else "dest") from None
        return self.fd

    def _create(self) -> int:
        flags = os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            fd = os.open(self.path, flags | os.O_TRUNC)
            return fd
        uid, gid = os.environ.get("SUDO_UID", ""), os.environ.get("SUDO_GID", "")
        if uid.isdigit():
            os.fchown(fd, int(uid), int(gid) if gid.isdigit() else -1)
        return fd

    def __exit__(self, *exc_info):
        if self.fd is not None:
            os.close(self.fd)


def _fileno(stream):
    try:
        return stream.fileno()
    except (AttributeError, io.UnsupportedOperation):
        return None


def _write(stream, data: bytes) -> None:
    """The command's bytes as they are (binary output included)."""
    stream.flush()
    out = getattr(stream, "buffer", stream)
    out.write(data)
    out.flush()


__all__ = ["STATES", "parser", "main"]
