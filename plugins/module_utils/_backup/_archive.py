# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup file. Private to vzkit.vz; may change in any release.

One file per backup, ``vzkit-backup-CTID-YYYYMMDDTHHMMSSZ.tar``: an uncompressed tar (GNU format) that
``tar -tvf`` lists and ``tar -xf`` unpacks by hand, holding in this order

- ``CTID.conf``: the container's config as it was;
- the payload: ``private.N.tar.zst`` (simfs: GNU tar passes with ``--listed-incremental``, N from 0; an
  admin restores them in order with ``tar --listed-incremental=/dev/null -x``) or ``private.zfs`` (a
  ``zfs send`` stream, ``.zst`` when compressed);
- ``manifest.json``, last: format, ctid, host, layout, creation time, and each member's size and sha256.

The payload streams straight into the file (a tar header needs the size first: it is written with
size 0 and rewritten once the size is known), so a backup needs no second copy of the container on disk.
The file is written as ``.NAME.partial`` and renamed when whole: a backup that is listed is complete, and
an interrupted one leaves only its partial file, which the next run removes.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import tarfile
import time
from dataclasses import dataclass

from .._errors import VzConfigError, VzStateError

FORMAT = 1
MANIFEST = "manifest.json"
PREFIX = "vzkit-backup-"
NAME_RE = re.compile(r"vzkit-backup-(?P<ctid>[0-9A-Za-z][0-9A-Za-z_.-]*)-(?P<stamp>[0-9]{8}T[0-9]{6}Z)\.tar")
PARTIAL_RE = re.compile(r"\.(?P<name>vzkit-backup-.+\.tar)\.partial")
_BLOCK = 512
_READ = 1 << 20


def file_name(ctid: str, created: float) -> str:
    return "%s%s-%s.tar" % (PREFIX, ctid, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(created)))


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class Writer:
    """A backup file being written: ``add_bytes``/``add_stream`` members, then ``finish(manifest)``.

    Used as a context manager: leaving it without ``finish`` (an error, an interrupt) removes the
    partial file and nothing else.
    """

    def __init__(self, path: str):
        self.path = path
        self.partial = os.path.join(os.path.dirname(path), ".%s.partial" % os.path.basename(path))
        self.members = []
        self._fh = None

    def __enter__(self):
        if os.path.lexists(self.partial):  # an earlier run of ours that was interrupted
            os.unlink(self.partial)
        # 0600: a backup holds all of the container's files, its secrets too
        self._fh = os.fdopen(os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
        return self

    def __exit__(self, kind, exc, tb):
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            os.unlink(self.partial)
        return False

    def add_bytes(self, name: str, data: bytes) -> dict:
        return self.add_stream(name, [data])

    def add_stream(self, name: str, chunks) -> dict:
        """Copy chunks into a member called name; its size and sha256 go into the manifest."""
        fh = self._fh
        info = tarfile.TarInfo(name)
        info.mode, info.mtime = 0o600, int(time.time())
        start = fh.tell()
        fh.write(_header(info))
        digest, size = hashlib.sha256(), 0
        for chunk in chunks:
            digest.update(chunk)
            fh.write(chunk)
            size += len(chunk)
        fh.write(b"\0" * (-size % _BLOCK))
        end = fh.tell()
        info.size = size
        fh.seek(start)
        fh.write(_header(info))
        fh.seek(end)
        member = {"name": name, "size": size, "sha256": digest.hexdigest()}
        self.members.append(member)
        return member

    def finish(self, manifest: dict) -> None:
        """Write the manifest and the end of the archive, flush it to disk, and rename it into place."""
        manifest = dict(manifest, format=FORMAT, members=list(self.members))
        self.add_bytes(MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
        self.members.pop()
        fh = self._fh
        fh.write(b"\0" * (2 * _BLOCK))
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        self._fh = None
        os.rename(self.partial, self.path)
        _fsync_dir(os.path.dirname(self.path))


def _header(info) -> bytes:
    out = info.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
    if len(out) != _BLOCK:  # the size field is rewritten in place: the header must stay one block
        raise VzConfigError("member name %r is too long for a backup file" % info.name)
    return out


def _fsync_dir(path: str) -> None:
    fd = os.open(path or ".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Backup:
    """A backup file as read: its manifest and where each member's data lies in it."""

    path: str
    manifest: dict
    offsets: dict  # member name -> (offset of data, size)

    @property
    def ctid(self) -> str:
        return self.manifest["ctid"]

    def member(self, suffix: str):
        """The first payload member whose name ends with suffix, or None."""
        return next((m for m in self.manifest["members"] if m["name"].endswith(suffix)), None)

    def chunks(self, name: str):
        """The data of member name, in chunks (read from the file, never whole into memory)."""
        offset, size = self.offsets[name]
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            while size > 0:
                chunk = fh.read(min(_READ, size))
                if not chunk:
                    raise _corrupt(self.path, "it ends inside %s" % name)
                size -= len(chunk)
                yield chunk

    def verify(self) -> None:
        """Every member's size and sha256 against the manifest: a corrupt or truncated file fails here,
        before a restore writes anything."""
        for m in self.manifest["members"]:
            digest = hashlib.sha256()
            for chunk in self.chunks(m["name"]):
                digest.update(chunk)
            if digest.hexdigest() != m["sha256"]:
                raise _corrupt(self.path, "the sha256 of %s is %s, its manifest says %s"
                               % (m["name"], digest.hexdigest(), m["sha256"]))


def read(path: str, *, param: str = "backup") -> Backup:
    """The backup at path, its manifest checked for form (not yet its checksums: ``Backup.verify``)."""
    if not os.path.isfile(path):
        raise VzConfigError("%s is not a file" % path, param=param, hint="give the path of a vzkit backup file "
                            "(vz_backup_info lists those in a directory)")
    offsets, manifest = {}, None
    try:
        with tarfile.open(path, "r:") as tar:
            for info in tar:
                offsets[info.name] = (info.offset_data, info.size)
                if info.name == MANIFEST:
                    manifest = json.loads(tar.extractfile(info).read().decode("utf-8"))
    except (tarfile.TarError, OSError, ValueError) as exc:
        raise _corrupt(path, "it cannot be read as a tar archive (%s)" % exc, param=param) from None
    if not isinstance(manifest, dict):
        raise _corrupt(path, "it has no %s (truncated, or not a vzkit backup)" % MANIFEST, param=param)
    if not isinstance(manifest.get("ctid"), str) or not isinstance(manifest.get("members"), list) or not all(
            isinstance(m, dict) and {"name", "size", "sha256"} <= set(m) for m in manifest["members"]):
        raise _corrupt(path, "its %s lacks the container or the members" % MANIFEST, param=param)
    if manifest.get("format") != FORMAT:
        raise VzConfigError("backup %s has format %r; this vzkit reads format %d" % (path, manifest.get("format"), FORMAT),
                            param=param, hint="restore it with the vzkit release that made it")
    for m in manifest.get("members") or []:
        if offsets.get(m.get("name"), (0, None))[1] != m.get("size"):
            raise _corrupt(path, "member %s is missing or has another size than its manifest says" % m.get("name"),
                           param=param)
    return Backup(path, manifest, offsets)


def _corrupt(path: str, why: str, *, param: str = "backup") -> VzStateError:
    return VzStateError("backup %s is corrupt or truncated: %s" % (path, why), param=param,
                        hint="use another backup of the container (vz_backup_info lists them); nothing was written")


def listing(directory: str, ctid=None) -> list:
    """The complete backups in directory (of ctid), oldest first: (path, ctid, stamp) by file name."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    out = []
    for name in names:
        m = NAME_RE.fullmatch(name)
        if m and (ctid is None or m.group("ctid") == ctid):
            out.append((os.path.join(directory, name), m.group("ctid"), m.group("stamp")))
    return sorted(out, key=lambda t: (t[2], t[0]))


def describe(backup) -> dict:
    """The result value for one backup file (vz_backup, vz_backup_info)."""
    m = backup.manifest
    return {"path": backup.path, "ctid": m["ctid"], "host": m.get("host"), "layout": m.get("layout"), "kind": m.get("kind"),
            "created": m.get("created"), "created_iso": m.get("created_iso"), "compression": m.get("compression"),
            "running": m.get("running"), "freeze_seconds": m.get("freeze_seconds"),
            "incremental": m.get("base") is not None, "base": (m.get("base") or {}).get("backup"),
            "snapshot": (m.get("snapshot") or {}).get("name"), "size": os.path.getsize(backup.path),
            "payload_bytes": sum(x["size"] for x in m["members"] if x["name"] != m.get("config")),
            "members": m["members"]}


def info(dest: str, ctids=None, *, verify: bool = False) -> list:
    """The backups in dest (of ctids), oldest first, described; with verify, each checked against its
    manifest (``valid``, and ``error`` saying what is wrong), else ``valid`` is None. A file that cannot
    be read at all is listed with its error, never skipped in silence."""
    if not os.path.isdir(dest):
        raise VzConfigError("%r is not an existing directory" % dest, param="dest",
                            hint="give the directory vz_backup wrote the backups to")
    out = []
    for path, ctid, _stamp in listing(dest):
        if ctids and ctid not in ctids:
            continue
        try:
            backup = read(path)
            item = describe(backup)
            if verify:
                backup.verify()
            item.update(valid=True if verify else None)
        except (VzStateError, VzConfigError) as exc:  # corrupt, truncated, or of another format
            item = {"path": path, "ctid": ctid, "valid": False, "error": str(exc)}
        out.append(item)
    return out


def host_name() -> str:
    return socket.gethostname()


__all__ = ["FORMAT", "MANIFEST", "NAME_RE", "PARTIAL_RE", "Backup", "Writer", "describe", "file_name", "info", "iso", "listing", "read", "host_name"]
