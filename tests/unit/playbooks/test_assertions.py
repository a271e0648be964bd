# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every `assert` condition in the tests' and roles' YAML is a string: an unquoted condition holding
': ' (a message compared with ==) is read by YAML as a mapping, and ansible-core 2.19 fails the task
only when it runs, which for a VM scenario is an hour later."""
from __future__ import annotations

import glob
import os

import pytest
import yaml

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PATTERNS = ("tests/integration/targets/**/*.yml", "roles/*/molecule/*/*.yml", "roles/*/tasks/*.yml", "playbooks/*.yml")
FILES = sorted({f for p in PATTERNS for f in glob.glob(os.path.join(TOP, p), recursive=True)})


def conditions(node):
    """(condition, where) of every assert in a YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("ansible.builtin.assert", "assert") and isinstance(value, dict):
                that = value.get("that")
                yield from that if isinstance(that, list) else [that]
            yield from conditions(value)
    elif isinstance(node, list):
        for item in node:
            yield from conditions(item)


def test_files_are_found():
    assert len(FILES) > 50


@pytest.mark.parametrize("path", FILES, ids=lambda p: os.path.relpath(p, TOP))
def test_assert_conditions_are_strings(path):
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    bad = [c for c in conditions(doc) if not isinstance(c, str)]
    assert not bad, "quote these conditions (YAML read them as %s): %s" % (type(bad[0]).__name__, bad)


def test_the_check_sees_an_unquoted_condition():
    doc = yaml.safe_load("- ansible.builtin.assert:\n    that:\n      - out == 'vzctl: refused'\n")
    assert [type(c) for c in conditions(doc)] == [dict]
