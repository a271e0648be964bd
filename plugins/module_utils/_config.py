# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OpenVZ config files (``vz.conf``, ``CTID.conf``, ``ve-NAME.conf-sample``): parse, edit, render.

Private to vzkit.vz; may change in any release. Text in, text out: comments, blank lines, order
and keys this code does not know are kept, so an edited file diffs like a hand edit. Files are
written by the caller through ``Host.atomic_write``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from ._errors import VzConfigError
from . import _units as units

# A container id: what a CTID.conf's name, a run directory and a cgroup may be called (the one check,
# which _spec and every entry point use).
CTID_RE = re.compile(r"(?!\.)[A-Za-z0-9_.-]{1,64}")


def validate_ctid(ctid, *, param: str = "ctid") -> str:
    text = str(ctid) if ctid is not None else ""
    if not CTID_RE.fullmatch(text) or text in (".", ".."):
        raise VzConfigError("%r is not a container id" % text, param=param,
                            hint="use digits (101) or a name of letters, digits, '-', '_' and '.', "
                                 "not starting with '.', at most 64 characters")
    return text


# Where vzctl keeps the host's settings; every module's vz_conf defaults to it.
DEFAULT_VZ_CONF = "/etc/vz/vz.conf"

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
KEY_RE = re.compile(r"[A-Z][A-Z0-9_]*")  # used with fullmatch


def _unquote(raw: str) -> str:
    """The value of a shell assignment's right-hand side: quotes removed, a trailing comment dropped."""
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        end = raw.find(raw[0], 1)
        if end > 0 and (not raw[end + 1:].strip() or raw[end + 1:].lstrip().startswith("#")):
            return raw[1:end]
    # an unquoted value ends at a comment
    return raw.split(" #", 1)[0].split("\t#", 1)[0].strip()


@dataclass
class ConfLine:
    raw: str
    key: str | None = None
    value: str | None = None


@dataclass
class ConfFile:
    """An OpenVZ shell-style config: ordered lines, of which some are KEY="value"."""

    lines: list = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> "ConfFile":
        lines = []
        for raw in text.splitlines():
            m = _LINE.match(raw)
            if m and not raw.lstrip().startswith("#"):
                lines.append(ConfLine(raw, m.group(1), _unquote(m.group(2))))
            else:
                lines.append(ConfLine(raw))
        return cls(lines)

    def get(self, key: str, default=None):
        for line in reversed(self.lines):  # the shell keeps the last assignment
            if line.key == key:
                return line.value
        return default

    def items(self) -> dict:
        out = {}
        for line in self.lines:
            if line.key:
                out[line.key] = line.value
        return out

    def set(self, key: str, value: str) -> None:
        rendered = '%s="%s"' % (key, value)
        found = False
        for line in self.lines:
            if line.key == key:
                if found:  # later duplicates would override: drop them
                    line.key, line.raw = None, None
                else:
                    line.value, line.raw, found = value, rendered, True
        self.lines = [ln for ln in self.lines if ln.raw is not None]
        if not found:
            self.lines.append(ConfLine(rendered, key, value))

    def unset(self, key: str) -> None:
        self.lines = [ln for ln in self.lines if ln.key != key]

    def render(self) -> str:
        return "".join(line.raw + "\n" for line in self.lines)

    def copy(self) -> "ConfFile":
        return ConfFile([ConfLine(ln.raw, ln.key, ln.value) for ln in self.lines])


def read_conf(path: str):
    """A config file parsed, or None when it does not exist."""
    try:
        with open(path, encoding="utf-8") as fh:
            return ConfFile.parse(fh.read())
    except FileNotFoundError:
        return None


def ctids_in(conf_dir: str) -> list:
    """The id of every container with a config in conf_dir (``CTID.conf``), numbers first, as vzlist
    orders them; the one way the runtime lists containers."""
    try:
        names = os.listdir(conf_dir)
    except OSError:
        return []
    ctids = (n[:-5] for n in names if n.endswith(".conf") and not n.startswith(".") and len(n) > 5)
    return sorted(ctids, key=lambda c: (not c.isdigit(), int(c) if c.isdigit() else 0, c))


def configs_in(conf_dir: str, *, exclude: str | None = None):
    """(ctid, ConfFile) of every container config in conf_dir (``CTID.conf``), but exclude's; a file
    that cannot be read is left out."""
    for ctid in ctids_in(conf_dir):
        if ctid == exclude:
            continue
        try:
            conf = read_conf(os.path.join(conf_dir, ctid + ".conf"))
        except (OSError, UnicodeDecodeError):
            continue
        if conf is not None:
            yield ctid, conf


def numbers_in_configs(conf_dir: str, key: str, *, exclude: str) -> set:
    """The whole numbers other containers' CTID.conf files hold for key (ranges, project ids)."""
    out = set()
    for _ctid, conf in configs_in(conf_dir, exclude=exclude):
        value = conf.get(key)
        if value and value.isdigit():
            out.add(int(value))
    return out


def expand(value: str, ctid: str) -> str:
    """Expand ``$VEID``/``${VEID}`` (and the newer ``$CTID``) as vzctl does in vz.conf paths."""
    for var in ("VEID", "CTID"):
        value = value.replace("${%s}" % var, ctid).replace("$%s" % var, ctid)
    return value


# Families of keys whose values this code validates; the rest are kept as given.
UBC_PAGES = ("PHYSPAGES", "SWAPPAGES", "PRIVVMPAGES", "SHMPAGES", "LOCKEDPAGES", "VMGUARPAGES",
             "OOMGUARPAGES")
UBC_BYTES = ("KMEMSIZE", "TCPSNDBUF", "TCPRCVBUF", "OTHERSOCKBUF", "DGRAMRCVBUF", "DCACHESIZE")
UBC_COUNTS = ("NUMPROC", "AVNUMPROC", "NUMTCPSOCK", "NUMOTHERSOCK", "NUMFILE", "NUMFLOCK", "NUMPTY",
              "NUMSIGINFO", "NUMIPTENT", "DISKINODES")
SINGLE_INTS = ("CPUUNITS", "CPULIMIT", "CPUS", "QUOTATIME", "QUOTAUGIDLIMIT", "IOPRIO")
YES_NO = ("ONBOOT", "DISABLED")


def validate_value(key: str, value: str, *, param: str = "config") -> None:
    """Raise VzConfigError when a known key has a value OpenVZ would reject."""
    where = "%s.%s" % (param, key)
    # Any line break str.splitlines() knows (\r, \x0b, \x85, \u2028, ...) would start a new key on re-read.
    if (any(not ch.isprintable() and ch != "\t" for ch in value)
            or '"' in value or "\\" in value or "`" in value or "$(" in value):
        raise VzConfigError("value %r has a control character, quote, backslash or command substitution" % value,
                            param=where, hint="give a plain value; CTID.conf is read by shells")
    if key in UBC_PAGES:
        units.parse_pair(value, unit=units.UNIT_PAGES, param=where)
    elif key in UBC_BYTES:
        units.parse_pair(value, unit=units.UNIT_BYTES, param=where)
    elif key in UBC_COUNTS:
        units.parse_pair(value, unit=units.UNIT_COUNT, param=where)
    elif key == "DISKSPACE":
        units.parse_pair(value, unit=units.UNIT_KBYTES, param=where)
    elif key in ("RAM", "SWAP"):
        units.parse_size(value, unit=units.UNIT_BYTES, param=where)
    elif key in SINGLE_INTS:
        if not re.fullmatch(r"\d+", value.strip()):
            raise VzConfigError("%s is not a whole number" % value, param=where, hint="use digits only, e.g. 1000")
    elif key in YES_NO:
        if value not in ("yes", "no"):
            raise VzConfigError("%s is not yes or no" % value, param=where, hint="use yes or no (or true/false in YAML)")


def validate_key(key: str, *, param: str = "config") -> None:
    if not KEY_RE.fullmatch(key):
        raise VzConfigError("%r is not a config key" % key, param=param,
                            hint="keys are upper case letters, digits and _, starting with a letter (e.g. NUMPROC)")


__all__ = ["CTID_RE", "validate_ctid", "DEFAULT_VZ_CONF", "ConfFile", "ConfLine", "read_conf", "ctids_in", "configs_in", "numbers_in_configs", "expand",
           "validate_value", "validate_key", "KEY_RE"]


# ---- global settings (vz.conf) -----------------------------------------------------------------

@dataclass(frozen=True)
class VzGlobals:
    """What vz.conf says, with vzctl's defaults for what it does not say."""

    conf_path: str
    conf_dir: str
    values: dict

    DEFAULTS = {
        "VE_ROOT": "/vz/root/$VEID",
        "VE_PRIVATE": "/vz/private/$VEID",
        "TEMPLATE": "/vz/template",
        "VE_LAYOUT": "simfs",
        "LOCKDIR": "/vz/lock",
        "NEIGHBOUR_DEVS": "detect",  # devices that answer ARP/NDP for routed addresses: detect, all, none, or names
        # vzkit's own keys (no OpenVZ equivalent): runtime state, console logs, cgroup parent.
        "VZ_RUN_DIR": "/run/vz",
        "VZ_LOG_DIR": "/var/log/vz",
        "VZ_CGROUP_PARENT": "vz",
        "VZ_USERNS_BASE": "100000",  # first host uid of unprivileged containers' ranges
        "VZ_CREATE_BRIDGE": "no",  # yes: a bridge a container's NETIF names is created when missing
    }

    def get(self, key: str) -> str:
        value = self.values.get(key)
        return value if value not in (None, "") else self.DEFAULTS.get(key, "")

    @classmethod
    def load(cls, conf_path: str) -> "VzGlobals":
        import os
        try:
            with open(conf_path, encoding="utf-8") as fh:
                values = ConfFile.parse(fh.read()).items()
        except FileNotFoundError:
            values = {}  # a host without vz.conf runs on vzctl's defaults
        return cls(conf_path, os.path.join(os.path.dirname(conf_path), "conf"), values)


__all__ += ["VzGlobals"]
