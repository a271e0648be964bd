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
"""
from __future__ import annotations

import os

from .. import _mounts as mounts
from .._errors import VzStateError

# Directories destroy refuses to remove whatever a config says (a guard against a hand-edited
# VE_PRIVATE pointing at the host).
_NEVER = ("/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/opt", "/proc", "/root", "/run",
          "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var", "/vz", "/vz/private", "/vz/root")


class SimfsLayout:
    name = "simfs"
    capabilities = {"quota": [], "snapshots": False, "clones": False, "online_resize": False}

    def __init__(self, host, *, private: str, root: str, ctid: str):
        self.host = host
        self.private = os.path.normpath(private)
        self.root = os.path.normpath(root)
        self.ctid = ctid
        parent, base = os.path.split(self.private)
        self.partial = os.path.join(parent, ".%s.vzkit-partial" % base)
        self.doomed = os.path.join(parent, ".%s.vzkit-destroy" % base)

    # ---- observation -------------------------------------------------------------------
    def exists(self) -> bool:
        return os.path.isdir(self.private)

    def leftovers(self) -> list:
        """Siblings an interrupted create or destroy left behind."""
        return [p for p in (self.partial, self.doomed) if os.path.lexists(p)]

    def is_mounted(self, mountinfo) -> bool:
        return bool(mounts.mounts_at(mountinfo, self.root))

    # ---- changes -----------------------------------------------------------------------
    def create(self, template: str, unpack, finish) -> None:
        """Make the private area: unpack the template into a fresh partial directory, finish it
        (ids, config), then rename it into place."""
        if os.path.lexists(self.private):
            raise VzStateError("private area %s already exists" % self.private,
                               hint="remove it, or choose another ctid or VE_PRIVATE")
        self.clean_leftovers()
        os.makedirs(os.path.dirname(self.partial), mode=0o755, exist_ok=True)
        os.mkdir(self.partial, 0o755)
        unpack(self.partial)
        finish(self.partial)
        os.rename(self.partial, self.private)

    def mount(self) -> None:
        os.makedirs(self.root, mode=0o755, exist_ok=True)
        mounts.bind(self.private, self.root)

    def umount(self) -> None:
        mounts.unmount(self.root)

    def destroy(self) -> None:
        """Remove the private and root areas, and nothing else."""
        if self.private in _NEVER or os.path.basename(self.private) != self.ctid:
            raise VzStateError("refusing to remove private area %s: its last component is not the ctid %s"
                               % (self.private, self.ctid), hint="remove it by hand if it really is this container's")
        if os.path.lexists(self.private):
            os.rename(self.private, self.doomed)  # out of reach of the ctid's name before removal
        self.clean_leftovers()
        mounts.remove_mount_point(self.root)

    def clean_leftovers(self) -> None:
        for path in self.leftovers():
            # --one-file-system: never descend into something mounted inside the tree;
            # rm never follows symlinks, so links inside the tree cannot lead it out.
            self.host.run([self.host.bin("rm"), "-rf", "--one-file-system", "--", path])


__all__ = ["SimfsLayout"]
