# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each role's documented interface (meta/argument_specs.yml) matches its defaults and its README."""
from __future__ import annotations

import importlib.util
import os

import pytest
import yaml

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = sorted(r for r in os.listdir(os.path.join(TOP, "roles"))
               if os.path.exists(os.path.join(TOP, "roles", r, "meta", "argument_specs.yml")))


def _load(*parts):
    with open(os.path.join(TOP, *parts), encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def _readme_tool():
    spec = importlib.util.spec_from_file_location("role_readme", os.path.join(TOP, "scripts", "role_readme.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_there_are_roles():
    assert "vz_host" in ROLES


@pytest.mark.parametrize("role", ROLES)
def test_defaults_match_the_argument_specs(role):
    options = _load("roles", role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = _load("roles", role, "defaults", "main.yml")
    public = {k: v for k, v in defaults.items() if not k.startswith("__")}
    assert sorted(public) == sorted(k for k, o in options.items() if "default" in o)
    for name, value in public.items():
        assert options[name]["default"] == value, name
        assert name.startswith(role + "_"), "%s lacks the role prefix" % name


@pytest.mark.parametrize("role", ROLES)
def test_every_option_is_documented(role):
    options = _load("roles", role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name, opt in options.items():
        assert opt.get("description"), name
        assert opt.get("type"), name


@pytest.mark.parametrize("role", ROLES)
def test_readme_variables_are_generated_from_the_spec(role):
    tool = _readme_tool()
    with open(os.path.join(TOP, "roles", role, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    generated = tool.section(os.path.join(TOP, "roles", role, "meta", "argument_specs.yml"))
    assert generated in readme, "roles/%s/README.md is stale: run scripts/role_readme.py" % role
