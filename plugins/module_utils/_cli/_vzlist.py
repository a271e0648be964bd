# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vzlist: the containers of this host, as OpenVZ's vzlist prints them (a table, or JSON).

Private to vzkit.vz; may change in any release. Read only: it takes no lock and changes nothing.
"""
from __future__ import annotations

import json
import sys

from .._container._ensure import info
from .._errors import VzError
from .._host import Host
from ._common import FAILED, OK, USAGE, Parser, say_error, say_warnings, vz_conf

# name -> (header, width, right-aligned, value from a vz_container_info container)
FIELDS = {
    "ctid": ("CTID", 10, True, lambda c: c["ctid"]),
    "nproc": ("NPROC", 10, True, lambda c: (c["usage"] or {}).get("pids")),
    "status": ("STATUS", 9, False, lambda c: c["state"]),
    "ip": ("IP_ADDR", 15, False, lambda c: " ".join(c["ip_address"] + [a for n in c["netif"] for a in n["ip_address"]])),
    "hostname": ("HOSTNAME", 20, False, lambda c: c["hostname"]),
    "ostemplate": ("OSTEMPLATE", 24, False, lambda c: c["ostemplate"]),
    "layout": ("LAYOUT", 7, False, lambda c: c["layout"]),
    "fleet": ("FLEET", 12, False, lambda c: c.get("fleet")),
    "onboot": ("ONBOOT", 6, False, lambda c: c["config"].get("ONBOOT") or "no"),
    "private": ("PRIVATE", 24, False, lambda c: c["private"]),
    "root": ("ROOT", 24, False, lambda c: c["root"]),
    "init_pid": ("INIT_PID", 8, True, lambda c: c["init_pid"]),
    "uid": ("UID", 10, True, lambda c: (c["id_range"] or {}).get("first_uid", 0)),
}
DEFAULT_FIELDS = ("ctid", "nproc", "status", "ip", "hostname")
EPILOG = """fields (-o): %s.
-j prints the objects vzkit.vz.vz_container_info returns as `containers`.
vz.conf: /etc/vz/vz.conf, or the file $VZKIT_VZ_CONF names.
exit status: 0, 1 when a container cannot be read, 2 for a usage error.""" % ", ".join(FIELDS)


def parser() -> Parser:
    p = Parser(prog="vzlist", description="List containers: running ones, or with -a all of them.", epilog=EPILOG)
    p.add_argument("ctid", nargs="*", help="list only these containers")
    p.add_argument("-a", "--all", action="store_true", help="also stopped and mounted containers")
    p.add_argument("-S", "--stopped", action="store_true", help="only containers that are not running")
    p.add_argument("-o", "--output", metavar="FIELD[,FIELD...]", help="columns to print (default: %s)"
                   % ",".join(DEFAULT_FIELDS))
    p.add_argument("-s", "--sort", metavar="FIELD", help="sort by this field (default: ctid)")
    p.add_argument("-H", "--no-header", action="store_true", help="no header line")
    p.add_argument("-j", "--json", action="store_true", help="JSON, one object per container")
    p.add_argument("-L", "--list", action="store_true", help="print the field names and exit")
    return p


def _fields(text, param: str) -> list:
    names = [f for f in (text or "").split(",") if f]
    unknown = [f for f in names if f not in FIELDS]
    if unknown:
        raise ValueError("%s: unknown field %s (vzlist -L lists them)" % (param, ", ".join(unknown)))
    return names


def _cell(value) -> str:
    return "-" if value in (None, "") else str(value)


def _sort_key(value) -> tuple:
    """Numbers by value, before text; empty values last."""
    if isinstance(value, int):
        return (0, value, "")
    return (1 if value not in (None, "") else 2, 0, str(value or ""))


def table(containers, fields, *, header: bool) -> str:
    rows = [[FIELDS[f][0] for f in fields]] if header else []
    rows += [[_cell(FIELDS[f][3](c)) for f in fields] for c in containers]
    lines = []
    for row in rows:
        cells = []
        for i, (f, text) in enumerate(zip(fields, row)):
            width, right = FIELDS[f][1], FIELDS[f][2]
            last = i == len(fields) - 1
            cells.append(text.rjust(width) if right else (text if last else text.ljust(width)))
        lines.append(" ".join(cells))
    return "".join(line + "\n" for line in lines)


def main(argv, *, stdout=None, stderr=None, host=None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    args = parser().parse_args(argv)
    if args.list:
        stdout.write("".join("%-12s %s\n" % (name, spec[0]) for name, spec in FIELDS.items()))
        return OK
    try:
        fields = _fields(args.output, "-o") or list(DEFAULT_FIELDS)
        sort = _fields(args.sort, "-s")[:1] or ["ctid"]
    except ValueError as exc:
        stderr.write("vzlist: %s\n" % exc)
        return USAGE
    host = host or Host()
    try:
        containers = info(vz_conf(), host, args.ctid or None)
    except VzError as exc:
        return say_error("vzlist", exc, stderr)
    say_warnings("vzlist", host, stderr)
    if args.stopped:
        containers = [c for c in containers if c["state"] != "running"]
    elif not (args.all or args.ctid):
        containers = [c for c in containers if c["state"] == "running"]
    if args.ctid:
        missing = [c["ctid"] for c in containers if c["state"] == "absent"]
        if missing:
            stderr.write("vzlist: container %s does not exist\n" % ", ".join(missing))
            return FAILED
    if sort != ["ctid"]:
        containers = sorted(containers, key=lambda c: _sort_key(FIELDS[sort[0]][3](c)))
    if args.json:
        stdout.write(json.dumps(containers, indent=2, sort_keys=True) + "\n")
    else:
        stdout.write(table(containers, fields, header=not args.no_header))
    return OK


__all__ = ["FIELDS", "DEFAULT_FIELDS", "parser", "table", "main"]
