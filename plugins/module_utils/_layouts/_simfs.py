# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simfs layout: the private area is a directory, bind-mounted onto the root area.

Private to vzkit.vz; may change in any release.

Creation and destruction go through sibling directories whose names can never be a container id
(they start with a dot): ``.CTID.vzkit-partial`` while the template unpacks, renamed into place
only when complete, and ``.CTID.vzkit-destroy`` while it is removed. A run killed at any point
leaves only such a sibling, which the next run of the same container removes.

First-level quota is ext4/xfs project quota: when the host filesystem can keep project ids, the new
partial directory gets the container's id (``DISK_PROJID``, see ``_quota._projid``) with inheritance before
the template is unpacked, so every file inherits it; ``DISKSPACE`` and ``DISKINODES`` become the id's
block and inode limits, set once the files are in place.
"""
from __future__ import annotations

import errno
import os

from .. import _mounts as mounts
from .._fsquota import _kernel as kernel
from .._fsquota import _projid as projids
from .._fsquota import _tags as tags
from .. import _units as units
from .._errors import VzStateError, VzUnsupported
from ._base import Capabilities, Layout

# Directories destroy refuses to remove whatever a config says (a guard against a hand-edited
# VE_PRIVATE pointing at the host).
_NEVER = ("/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/opt", "/proc", "/root", "/run",
          "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var", "/vz", "/vz/private", "/vz/root")


class SimfsLayout(Layout):
    name = "simfs"
    capabilities = Capabilities(quota_keys=("DISKSPACE", "DISKINODES"), quota_backend="project", backup="tar",
                                restores_from=("tar",))

    def __init__(self, host, **where):
        super().__init__(host, **where)
        self.conf_dir = self.conf_dir or "/etc/vz/conf"
        self.lock_dir = self.lock_dir or "/vz/lock"
        parent, base = os.path.split(self.private)
        self.doomed = os.path.join(parent, ".%s.vzkit-destroy" % base)
        self._fs = None

    def creation_keys(self, *, zvol: dict, disk_quota: bool) -> dict:
        projid = self.new_projid() if disk_quota else None  # claimed at create; see _quota._projid
        return {projids.KEY: str(projid)} if projid else {}

    def fs(self):
        """Project quota support of the filesystem the private area is on (probed once per run)."""
        if self._fs is None:
            self._fs = kernel.probe(self.private)
        return self._fs

    def keeps_projids(self) -> bool:
        """Whether the filesystem can carry project ids: xfs always, ext4 with its project feature."""
        return self.fs().fstype == "xfs" or self.fs().accounting()

    def enforces_diskspace(self, items: dict) -> bool:
        return bool(items.get(projids.KEY)) and self.fs().enforced()

    def new_projid(self) -> int | None:
        """The id a new container would get (None: the filesystem keeps none); the create claims it."""
        if not self.keeps_projids():
            return None
        return projids.choose(self.private, self.ctid, self.conf_dir, own=(self.private, self.partial))

    # ---- observation -------------------------------------------------------------------
    def exists(self) -> bool:
        return os.path.isdir(self.private)

    def leftovers(self) -> list:
        """Siblings an interrupted create or destroy left behind."""
        return [p for p in (self.partial, self.doomed) if os.path.lexists(p)]

    def is_mounted(self, mountinfo) -> bool:
        return bool(mounts.mounts_at(mountinfo, self.root))

    # ---- changes -----------------------------------------------------------------------
    def create(self, template: str, unpack, finish, *, items=None) -> None:
        """Make the private area: unpack the template into a fresh partial directory, finish it
        (ids, config), then rename it into place.

        ``items`` is the new config: with ``DISK_PROJID`` the empty directory first claims that id (or
        the next free one, which ``finish`` then reads from the directory), and its limits are set after
        the unpack.
        """
        if os.path.lexists(self.private):
            raise VzStateError("private area %s already exists" % self.private,
                               hint="remove it, or choose another ctid or VE_PRIVATE")
        self.clean_leftovers()
        os.makedirs(os.path.dirname(self.partial), mode=0o755, exist_ok=True)
        os.mkdir(self.partial, 0o755)
        wanted = (items or {}).get(projids.KEY)
        if wanted:
            tags.check_parent(self.partial)
            claimed = projids.claim(self.partial, self.private, self.ctid, self.conf_dir, self.lock_dir, wanted=int(wanted))
            items = dict(items, **{projids.KEY: str(claimed)})  # another create may have taken the planned id
        unpack(self.partial)
        finish(self.partial)
        if wanted and self.fs().enforced():
            self.apply_diskspace(items, path=self.partial)
        os.rename(self.partial, self.private)

    def create_from(self, fill, finish, *, items=None, stream: bool = False) -> None:
        """A new private area filled by a restore (``fill(partial directory)``) rather than a template."""
        if stream:
            raise VzUnsupported("restoring a zfs stream onto layout simfs", "a zfs stream holds a dataset, not files",
                                param="layout", hint="restore it with layout: zfs")
        self.create(None, fill, finish, items=items)

    def adopt_partial(self, finish, *, items=None) -> None:
        """Make the container of its partial private area, filled by a migration's passes: finished, then
        renamed into place (a simfs container's project quota is set by vz_quota afterwards)."""
        if os.path.lexists(self.private):
            raise VzStateError("private area %s already exists" % self.private,
                               hint="remove it, or choose another ctid or VE_PRIVATE")
        finish(self.partial)
        os.rename(self.partial, self.private)

    def mount(self) -> None:
        os.makedirs(self.root, mode=0o755, exist_ok=True)
        mounts.bind(self.private, self.root)

    def umount(self) -> None:
        mounts.unmount(self.root)

    def destroy(self) -> None:
        """Remove the private and root areas, and nothing else; then drop the project's limits."""
        if self.private in _NEVER or os.path.basename(self.private) != self.ctid:
            raise VzStateError("refusing to remove private area %s: its last component is not the ctid %s"
                               % (self.private, self.ctid), hint="remove it by hand if it really is this container's")
        projid = self._own_projid()
        if os.path.lexists(self.private):
            os.rename(self.private, self.doomed)  # out of reach of the ctid's name before removal
        self.clean_leftovers()
        mounts.remove_mount_point(self.root)
        if projid and self.fs().enforced():
            # A record with no usage and no limits is dropped by the filesystem: the id is free again.
            kernel.set_limits(os.path.dirname(self.private), kernel.PRJQUOTA, projid, (None, None, None, None))

    def _own_projid(self) -> int:
        for path in (self.private, self.partial):
            if os.path.isdir(path) and not os.path.islink(path):
                try:
                    return tags.projid_of(path)[0]
                except OSError as e:
                    if e.errno not in (errno.ENOTTY, errno.EOPNOTSUPP, errno.EINVAL):
                        raise
        return 0

    def clean_leftovers(self) -> None:
        for path in self.leftovers():
            # --one-file-system: never descend into something mounted inside the tree;
            # rm never follows symlinks, so links inside the tree cannot lead it out.
            self.host.run([self.host.bin("rm"), "-rf", "--one-file-system", "--", path])

    # ---- quota -------------------------------------------------------------------------
    def apply_diskspace(self, items: dict, *, path=None) -> None:
        """DISKSPACE and DISKINODES as the limits of the container's project id."""
        projid = items.get(projids.KEY)
        if not projid:
            return
        kernel.require(self.fs(), kernel.PRJQUOTA, feature="disk quota of simfs containers", param="diskspace")
        kernel.set_limits(path or self.private, kernel.PRJQUOTA, int(projid), wanted_limits(items))


def wanted_limits(items: dict) -> tuple:
    """(block soft, block hard, inode soft, inode hard) from DISKSPACE and DISKINODES (None: no limit)."""
    bsoft = bhard = isoft = ihard = None
    if items.get("DISKSPACE"):
        bsoft, bhard = units.parse_pair(items["DISKSPACE"], unit=units.UNIT_KBYTES, param="DISKSPACE")
    if items.get("DISKINODES"):
        isoft, ihard = units.parse_pair(items["DISKINODES"], unit=units.UNIT_COUNT, param="DISKINODES")
    return bsoft, bhard, isoft, ihard


__all__ = ["SimfsLayout", "wanted_limits"]
