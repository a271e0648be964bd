# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Errors of the vzkit runtime: private to vzkit.vz; may change in any release.

Every expected failure is a VzError. ``details`` carries what a user needs to act on it
(``param``, ``hint``, and for commands ``cmd``/``rc``/``stdout``/``stderr``); modules pass
them to ``fail_json`` unchanged.
"""
from __future__ import annotations


class VzError(Exception):
    """An expected failure, with the facts a user needs to fix it."""

    def __init__(self, msg: str, *, param: str | None = None, hint: str | None = None, **details):
        text = msg
        if param and not msg.startswith("`%s`" % param):
            text = "`%s`: %s" % (param, msg)
        if hint:
            text = "%s; %s" % (text.rstrip("."), hint)
        super().__init__(text)
        self.details = dict(details)
        if param:
            self.details["param"] = param
        if hint:
            self.details["hint"] = hint


class VzConfigError(VzError):
    """Bad input: a parameter or a config value that cannot be used."""


class VzStateError(VzError):
    """The system is not in a state the request can proceed from."""


class VzUnsupported(VzError):
    """The host lacks a kernel or filesystem feature the request needs."""

    def __init__(self, feature: str, missing: str, **details):
        super().__init__("%s is not available on this host: %s" % (feature, missing), **details)


class VzCommandError(VzError):
    """A command exited non-zero."""

    def __init__(self, argv, rc: int, stdout: str = "", stderr: str = "", **details):
        tail = (stderr or stdout).strip().splitlines()[-1:] or [""]
        super().__init__(
            "command failed (rc=%d): %s: %s" % (rc, " ".join(argv), tail[0]),
            cmd=list(argv), rc=rc, stdout=stdout, stderr=stderr, **details
        )


__all__ = ["VzError", "VzConfigError", "VzStateError", "VzUnsupported", "VzCommandError"]
