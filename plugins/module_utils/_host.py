# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Host seam between the runtime and whoever drives it: private to vzkit.vz; may change in any release.

The runtime never imports AnsibleModule. It runs commands, writes files and warns through a
Host: ``ModuleHost`` for modules; the base ``Host`` (subprocess, no Ansible) for plugins and the host CLI.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import traceback
from dataclasses import dataclass, field

from ._errors import VzCommandError, VzConfigError, VzError

# Commands run with a fixed locale so that their output can be parsed.
CMD_ENV = {"LC_ALL": "C", "LANG": "C"}
# The Debian 12 package of each program the runtime needs that a minimal host may lack, for the error
# that names it (the vz_host role installs fdisk and e2fsprogs; xfsprogs and zfsutils-linux where used).
DEBIAN_PACKAGES = {
    "sfdisk": "fdisk", "partx": "util-linux", "blkid": "util-linux", "setpriv": "util-linux",
    "e2fsck": "e2fsprogs", "resize2fs": "e2fsprogs", "dumpe2fs": "e2fsprogs", "mkfs.ext4": "e2fsprogs",
    "mkfs.xfs": "xfsprogs", "xfs_repair": "xfsprogs", "xfs_growfs": "xfsprogs",
    "zfs": "zfsutils-linux", "debootstrap": "debootstrap",
}


@dataclass(frozen=True)
class CmdResult:
    argv: list
    rc: int
    stdout: str
    stderr: str


@dataclass
class Host:
    """Base host: subprocess-backed command runner, atomic writes, collected warnings."""

    check_mode: bool = False
    warnings: list = field(default_factory=list)
    _bins: dict = field(default_factory=dict)

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)

    def bin(self, name: str) -> str:
        """Resolve a binary once per run; a missing one is a clear error naming its Debian package."""
        if name not in self._bins:
            path = self._which(name)
            if not path:
                package = DEBIAN_PACKAGES.get(name)
                raise VzConfigError(
                    "required program %r not found in PATH or /usr/sbin:/sbin" % name,
                    hint=("install the Debian package %s" % package) if package
                    else "install the Debian package that provides it",
                )
            self._bins[name] = path
        return self._bins[name]

    def which(self, name: str) -> str | None:
        """A binary's path if installed, else None (for optional helpers such as pigz)."""
        try:
            return self.bin(name)
        except VzConfigError:
            return None

    @staticmethod
    def _which(name: str) -> str | None:
        dirs = os.environ.get("PATH", "").split(os.pathsep) + ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        for d in dirs:
            cand = os.path.join(d, name)
            if d and os.access(cand, os.X_OK) and not os.path.isdir(cand):
                return cand
        return None

    def run(self, argv, *, check: bool = True, data: bytes | None = None) -> CmdResult:
        argv = [str(a) for a in argv]
        env = dict(os.environ, **CMD_ENV)
        proc = subprocess.run(argv, input=data, capture_output=True, env=env, close_fds=True, check=False)
        res = CmdResult(argv, proc.returncode,
                        proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))
        if check and res.rc != 0:
            raise VzCommandError(argv, res.rc, res.stdout, res.stderr)
        return res

    def atomic_write(self, path: str, data: str, mode: int = 0o644) -> None:
        """Write a whole file through a temporary sibling and rename (never a torn file)."""
        directory = os.path.dirname(path) or "."
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


class ModuleHost(Host):
    """A Host for Ansible modules: warnings go to the module, binaries via get_bin_path."""

    def __init__(self, module):
        super().__init__(check_mode=module.check_mode)
        self.module = module

    def warn(self, msg: str) -> None:
        super().warn(msg)
        self.module.warn(msg)

    def _which(self, name: str) -> str | None:
        return self.module.get_bin_path(name, opt_dirs=["/usr/sbin", "/sbin"])


def run_module(module, call) -> None:
    """A module's edge: exit with call()'s result (or fail with it when it says failed); a VzError
    fails with its details, anything else (a bug) with its traceback. The one place modules map
    runtime errors to fail_json."""
    try:
        result = call()
    except VzError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    except Exception as exc:  # unexpected: keep the traceback for a bug report
        module.fail_json(msg="unexpected error: %s" % exc, exception=traceback.format_exc())
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


__all__ = ["CMD_ENV", "CmdResult", "Host", "ModuleHost", "run_module"]
