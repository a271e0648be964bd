# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The request: what a caller asks of one container, validated before anything is touched.

Private to vzkit.vz; may change in any release.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from . import _config as config
from ._config import DEFAULT_VZ_CONF, validate_ctid
from ._net import _config as netconf
from . import _units as units
from ._confine import Confinement
from ._limits import validate_cpumask
from ._errors import VzConfigError
from ._layouts import LAYOUTS

FLEET_KEY = "VZKIT_FLEET"  # the CTID.conf key that records the vz_fleet fleet a container is a member of
RESTORE_KEY = "VZKIT_RESTORED_FROM"  # the backup a container was restored from (vz_restore)
MIGRATED_KEY = "VZKIT_MIGRATED_FROM"  # HOST:CTID a container was migrated from (vz_migrate)
STATES = ("present", "mounted", "started", "stopped", "restarted", "absent")
HOSTNAME_RE = re.compile(r"(?=.{1,253}\Z)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                         r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")
DOMAIN_RE = HOSTNAME_RE
# Keys owned by dedicated options (or by vz.conf): `config` may not set them.
# Resource options and the CTID.conf key each one writes.
LIMIT_OPTIONS = {"ram": "RAM", "swap": "SWAP", "cpus": "CPUS", "cpulimit": "CPULIMIT", "cpuunits": "CPUUNITS",
                 "cpumask": "CPUMASK", "numproc": "NUMPROC", "iolimit": "IOLIMIT", "iopslimit": "IOPSLIMIT",
                 "ioprio": "IOPRIO"}
SETMODES = ("fail", "restart", "ignore")
OPTION_KEYS = {"HOSTNAME": "hostname", "NAMESERVER": "nameserver", "SEARCHDOMAIN": "searchdomain",
               "ONBOOT": "onboot", "OSTEMPLATE": "ostemplate", "VE_LAYOUT": "layout",
               "VE_ROOT": "vz.conf VE_ROOT", "VE_PRIVATE": "vz.conf VE_PRIVATE",
               "ORIGIN_SAMPLE": "config_sample", "CAPABILITY": "capability", "DEVICES": "devices",
               "FEATURES": "features", "LOCAL_UID": "unprivileged", "LOCAL_GID": "unprivileged",
               "IP_ADDRESS": "ip_address", "NETIF": "netif", "VE_ZFS_DATASET": "zfs_dataset",
               "ZVOL_BLOCKSIZE": "zvol.volblocksize", "ZVOL_SPARSE": "zvol.sparse", "ZVOL_FS": "zvol.fs",
               "ZVOL_COMPRESSION": "zvol.compression", FLEET_KEY: "vz_fleet's fleet",
               RESTORE_KEY: "vz_restore", MIGRATED_KEY: "vz_migrate"}
# zvol options that are fixed when the volume is made (compared afterwards, never set again).
ZVOL_COMPRESSIONS = ("on", "off", "lz4", "zstd", "gzip", "lzjb", "zle")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%", 1)[0] if ":" in text else text)  # IPv6 may carry a %zone
    except ValueError:
        return False
    return True


def _limit_values(p: dict) -> dict:
    """The resource options as CTID.conf values, in one canonical form (so 512M and 536870912 agree)."""
    out = {}
    for option, key in LIMIT_OPTIONS.items():
        value = p.get(option)
        if value is None:
            continue
        text = str(value).strip()
        if option in ("ram", "swap", "iolimit"):
            size = units.parse_size(text, unit=units.UNIT_BYTES, param=option)
            if size is None or (option != "swap" and size == 0):
                raise VzConfigError("%s is not a limit" % text, param=option, hint="give a size above 0 with K, M, G or T")
            out[key] = units.format_size(size)
        elif option == "numproc":
            barrier, limit = units.parse_pair(text, unit=units.UNIT_COUNT, param=option)
            if not barrier or not limit:
                raise VzConfigError("%s would allow no process" % text, param=option,
                                    hint="give a number of processes of 1 or more (N or BARRIER:LIMIT)")
            out[key] = "%d:%d" % (barrier, limit)
        elif option == "cpumask":
            validate_cpumask(text)
            out[key] = text
        else:
            low, high = {"cpus": (1, 4096), "cpulimit": (1, 409600), "cpuunits": (8, 500000),
                         "iopslimit": (1, 10 ** 9), "ioprio": (0, 7)}[option]
            if not re.fullmatch(r"\d+", text) or not low <= int(text) <= high:
                raise VzConfigError("%s is out of range" % text, param=option,
                                    hint="give a whole number from %d to %d" % (low, high))
            out[key] = str(int(text))
    return out


def _network_and_storage(p: dict) -> dict:
    """ip_address, netif and zfs_dataset, validated (None: not asked for)."""
    out = {"ip_address": p.get("ip_address"), "netif": p.get("netif"), "zfs_dataset": p.get("zfs_dataset")}
    if out["ip_address"] is not None:
        out["ip_address"] = netconf.parse_address_list(out["ip_address"], param="ip_address")
    if out["netif"] is not None:
        out["netif"] = tuple(netconf.netif_from_dict(d, param="netif[%d]" % i) for i, d in enumerate(out["netif"]))
    if out["zfs_dataset"] is not None:
        from ._zfs import validate_dataset  # (only a spec naming a dataset needs zfs)
        out["zfs_dataset"] = validate_dataset(out["zfs_dataset"], param="zfs_dataset")
    return out


def zvol_keys(z, *, prefix: str = "zvol.") -> dict:
    """The zvol option (or vz_zvol's options, prefix "") as CTID.conf keys: DISKSPACE (the size) and ZVOL_*."""
    if z is None:
        return {}
    out = {}
    if z.get("size") is not None:
        size = units.parse_size(str(z["size"]), unit=units.UNIT_BYTES, param=prefix + "size")
        if not size:
            raise VzConfigError("%s is not a size" % z["size"], param=prefix + "size", hint="give a size such as 10G")
        out["DISKSPACE"] = units.format_pair(size, size)
    if z.get("volblocksize") is not None:
        bs = units.parse_size(str(z["volblocksize"]), unit=units.UNIT_BYTES, param=prefix + "volblocksize")
        if bs not in tuple(2 ** n for n in range(12, 18)):
            raise VzConfigError("%s is not a volblocksize" % z["volblocksize"], param=prefix + "volblocksize",
                                hint="use 4K, 8K, 16K, 32K, 64K or 128K (16K suits most containers)")
        out["ZVOL_BLOCKSIZE"] = units.format_size(bs)
    if z.get("sparse") is not None:
        out["ZVOL_SPARSE"] = "yes" if z["sparse"] else "no"
    if z.get("fs") is not None:
        if z["fs"] not in ("ext4", "xfs"):
            raise VzConfigError("%r is not a filesystem vzkit makes on a volume" % z["fs"], param=prefix + "fs",
                                hint="use ext4 or xfs")
        out["ZVOL_FS"] = z["fs"]
    if z.get("compression") is not None:
        if str(z["compression"]).split("-", 1)[0] not in ZVOL_COMPRESSIONS:
            raise VzConfigError("%r is not a ZFS compression" % z["compression"], param=prefix + "compression",
                                hint="use one of: %s (zstd-N and gzip-N too)" % ", ".join(ZVOL_COMPRESSIONS))
        out["ZVOL_COMPRESSION"] = str(z["compression"])
    return out


def _config_value(key: str, value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class ContainerSpec:
    ctid: str
    state: str = "present"
    ostemplate: str | None = None
    layout: str | None = None
    config_sample: str | None = None
    hostname: str | None = None
    nameserver: tuple | None = None
    searchdomain: tuple | None = None
    onboot: bool | None = None
    config: dict = field(default_factory=dict)  # KEY -> str (or None: remove the key)
    stop_timeout: int = 60
    vz_conf: str = DEFAULT_VZ_CONF
    capability: tuple | None = None  # "name:on|off" entries (CAPABILITY)
    devices: tuple | None = None     # "c:10:200:rw" entries (DEVICES)
    features: tuple | None = None    # "fuse:on" entries (FEATURES)
    unprivileged: bool | None = None
    limits: dict = field(default_factory=dict)  # CTID.conf key -> canonical value, from the resource options
    setmode: str = "fail"
    ip_address: tuple | None = None  # canonical address texts (IP_ADDRESS)
    netif: tuple | None = None       # _net._config.Netif entries as asked (MACs and host names may be None)
    zfs_dataset: str | None = None   # parent dataset of the zfs and zvol layouts (VE_ZFS_DATASET)
    zvol: dict = field(default_factory=dict)  # CTID.conf keys from the zvol option (DISKSPACE, ZVOL_*)
    fleet: str | None = None  # the vz_fleet the container is a member of (VZKIT_FLEET); set by the fleet only

    @classmethod
    def from_params(cls, p: dict) -> "ContainerSpec":
        ctid = validate_ctid(p.get("ctid"))
        state = p.get("state") or "present"
        if state not in STATES:
            raise VzConfigError("%r is not a state" % state, param="state", hint="use one of: %s" % ", ".join(STATES))
        identity = _identity(p)
        stop_timeout = p.get("stop_timeout")
        stop_timeout = 60 if stop_timeout is None else int(stop_timeout)
        if stop_timeout < 0:
            raise VzConfigError("%d is negative" % stop_timeout, param="stop_timeout", hint="give seconds, 0 or more")
        cfg = _config_keys(p)
        layout = p.get("layout")
        if layout is not None and layout not in LAYOUTS:
            raise VzConfigError("unknown layout %r" % layout, param="layout", hint="use one of: %s" % ", ".join(sorted(LAYOUTS)))
        ostemplate = p.get("ostemplate")
        if ostemplate is not None:
            from ._templates import validate_name  # (a module a spec without a template need not load)
            validate_name(ostemplate)
        lists = _confinement_lists(p)
        limit_values = _limit_values(p)
        for key, value in limit_values.items():  # a raw key may say the same as its option, not otherwise
            if key in cfg and cfg[key] is not None and cfg[key] != value:
                option = next(o for o, k in LIMIT_OPTIONS.items() if k == key)
                raise VzConfigError("%s (%s) and config.%s (%s) disagree" % (option, value, key, cfg[key]), param=option,
                                    hint="set it in one place")
        zvol = zvol_keys(p.get("zvol"))
        if zvol.get("DISKSPACE") and cfg.get("DISKSPACE") is not None and cfg["DISKSPACE"] != zvol["DISKSPACE"]:
            raise VzConfigError("zvol.size and config.DISKSPACE disagree", param="zvol.size", hint="set it in one place")
        setmode = p.get("setmode") or "fail"
        if setmode not in SETMODES:
            raise VzConfigError("%r is not a setmode" % setmode, param="setmode", hint="use fail, restart or ignore")
        return cls(ctid=ctid, state=state, ostemplate=ostemplate, layout=layout, limits=limit_values, setmode=setmode, zvol=zvol,
                   **_network_and_storage(p), **identity, **lists,
                   config_sample=p.get("config_sample"), onboot=p.get("onboot"), config=cfg, stop_timeout=stop_timeout,
                   vz_conf=p.get("vz_conf") or DEFAULT_VZ_CONF, unprivileged=p.get("unprivileged"))


def _identity(p: dict) -> dict:
    """hostname, nameserver and searchdomain, checked."""
    hostname = p.get("hostname")
    if hostname is not None and not HOSTNAME_RE.fullmatch(hostname):
        raise VzConfigError("%r is not a host name" % hostname, param="hostname",
                            hint="use letters, digits and '-', dot-separated labels of at most 63 characters")
    nameserver = p.get("nameserver")
    for ns in nameserver or ():
        if not _is_ip(str(ns)):
            raise VzConfigError("%r is not an IP address" % ns, param="nameserver", hint="give IPv4 or IPv6 addresses")
    searchdomain = p.get("searchdomain")
    for dom in searchdomain or ():
        if not DOMAIN_RE.fullmatch(str(dom)):
            raise VzConfigError("%r is not a domain name" % dom, param="searchdomain", hint="give DNS domain names")
    return {"hostname": hostname,
            "nameserver": tuple(str(n) for n in nameserver) if nameserver is not None else None,
            "searchdomain": tuple(str(d) for d in searchdomain) if searchdomain is not None else None}


def _config_keys(p: dict) -> dict:
    """The raw CTID.conf keys of ``config``, checked: none an option manages, every value valid."""
    cfg = {}
    for key, value in (p.get("config") or {}).items():
        config.validate_key(key)
        if key in OPTION_KEYS:
            raise VzConfigError("key %s is managed by %s" % (key, OPTION_KEYS[key]), param="config.%s" % key,
                                hint="set it through that option instead")
        text = _config_value(key, value)
        if text is not None:
            config.validate_value(key, text)
        cfg[key] = text
    return cfg


def _confinement_lists(p: dict) -> dict:
    """capability, devices and features as given, each checked as its CTID.conf key would be."""
    lists = {}
    for name, key in (("capability", "CAPABILITY"), ("devices", "DEVICES"), ("features", "FEATURES")):
        value = p.get(name)
        lists[name] = None if value is None else tuple(str(v) for v in value)
        if value is not None:
            Confinement.from_conf({key: " ".join(lists[name])})  # validates, naming the option
    return lists


__all__ = ["FLEET_KEY", "MIGRATED_KEY", "RESTORE_KEY", "HOSTNAME_RE", "STATES", "ContainerSpec", "validate_ctid", "zvol_keys"]
