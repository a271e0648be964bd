# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What vzctl and vzlist share: where vz.conf is, how a failure is said, the exit codes.

Private to vzkit.vz; may change in any release.
"""
from __future__ import annotations

import argparse
import os

from .._config import DEFAULT_VZ_CONF
from .._errors import VzError

# Exit codes (docs/cli.md): a command run by `vzctl exec` passes its own through.
OK, FAILED, USAGE = 0, 1, 2
# The vz.conf the commands read, when not /etc/vz/vz.conf (tests, several installations on one host).
VZ_CONF_ENV = "VZKIT_VZ_CONF"


def vz_conf() -> str:
    return os.environ.get(VZ_CONF_ENV) or DEFAULT_VZ_CONF


# The runtime names module options; the command line names its own flags and commands.
FLAGS = {"ip_address": "--ipadd", "config_sample": "--config", "stop_timeout": "--timeout"}
COMMANDS = {"(state: started)": "(vzctl start)", "(state: stopped)": "(vzctl stop)", "(state: mounted)": "(vzctl mount)",
            "(vz_container)": "(vzctl create)"}


def flag(param: str) -> str:
    return FLAGS.get(param) or "--" + param.split("[")[0].split(".")[0].replace("_", "-")


def say_error(prog: str, exc: VzError, stderr, *, ctid: str | None = None) -> int:
    """One line, as vzctl says it: the program, the container, the cause (with the fix, when known),
    naming the command line's flag where the runtime names a module option."""
    text, param = str(exc), exc.details.get("param")
    if param and text.startswith("`%s`: " % param):
        text = text[len(param) + 4:]
        if param not in ("ctid", "vz_conf"):
            text = "%s: %s" % (flag(param), text)
    for module_words, command in COMMANDS.items():
        text = text.replace(module_words, command)
    where = "container %s: " % ctid if ctid and "container %s " % ctid not in text else ""
    stderr.write("%s: %s%s\n" % (prog, where, text))
    return FAILED


def say_warnings(prog: str, host, stderr) -> None:
    for warning in host.warnings:
        stderr.write("%s: warning: %s\n" % (prog, warning))


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits with USAGE after one line naming the command's --help."""

    def error(self, message):
        self.exit(USAGE, "%s: %s (see %s --help)\n" % (self.prog, message, self.prog))


__all__ = ["OK", "FAILED", "USAGE", "VZ_CONF_ENV", "vz_conf", "flag", "say_error", "say_warnings", "Parser"]
