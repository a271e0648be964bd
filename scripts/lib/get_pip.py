# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A local stand-in for get-pip.py, which ansible-test downloads from a host outside the package
registries this project may use. Like get-pip.py, it puts pip into the running (empty) virtual
environment, from the interpreter's own ensurepip wheel, then installs the requested pins from PyPI.
scripts/setup copies it to where ansible-test looks for its cached bootstrap script.
"""
from __future__ import annotations

import subprocess
import sys

# get-pip.py's own options (not pip's): skip installing setuptools / wheel.
OWN_OPTIONS = ("--no-setuptools", "--no-wheel")

# ensurepip in a process of its own: in-process, it sets PIP_CONFIG_FILE=/dev/null in our
# environment, and the install below would then lose the host's pip configuration (CA, mirrors).
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
args = [a for a in sys.argv[1:] if a not in OWN_OPTIONS]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "-q"] + args))
