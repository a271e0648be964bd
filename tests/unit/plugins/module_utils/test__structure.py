# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bounds docs/architecture.md promises of the runtime, checked on its source: file and function
sizes, check mode in one place, no layout named outside _layouts/, and no circle between its parts."""
from __future__ import annotations

import ast
import os
import re
import sys

import pytest

RUNTIME = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "plugins", "module_utils")
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 50


def sources() -> list:
    out = []
    for directory, _dirs, files in os.walk(RUNTIME):
        out += [os.path.join(directory, f) for f in files if f.endswith(".py")]
    return sorted(out)


def rel(path: str) -> str:
    return os.path.relpath(path, RUNTIME)


def read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def unit(path: str) -> str:
    """The part of the runtime a file belongs to: its package, or itself for a top-level file."""
    return rel(path).split(os.sep)[0].replace(".py", "")


def test_the_runtime_is_found():
    assert len(sources()) > 40 and os.path.isfile(os.path.join(RUNTIME, "_converge.py"))


@pytest.mark.parametrize("path", sources(), ids=rel)
def test_file_size(path):
    assert read(path).count("\n") <= MAX_FILE_LINES, "split %s by concern" % rel(path)


@pytest.mark.parametrize("path", sources(), ids=rel)
def test_function_size(path):
    long = ["%s (%d lines)" % (node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(ast.parse(read(path)))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= MAX_FUNCTION_LINES]
    assert not long, "%s: %s" % (rel(path), ", ".join(long))


@pytest.mark.parametrize("path", sources(), ids=rel)
def test_check_mode_lives_in_the_converge_step(path):
    if rel(path) in ("_converge.py", "_host.py"):
        return
    assert "check_mode" not in read(path), "%s: check mode is _converge.py's business" % rel(path)


@pytest.mark.parametrize("path", sources(), ids=rel)
def test_no_layout_is_named_outside_layouts(path):
    if unit(path) == "_layouts":
        return
    found = re.findall(r"layout\.name\s*(?:==|!=|\bin\b|\bnot in\b)|(?:==|!=)\s*[\"'](?:simfs|zfs|zvol)[\"']", read(path))
    assert not found, "%s: ask layout.capabilities, or call a layout operation (%s)" % (rel(path), found)


def imported_units(path: str) -> set:
    """The other parts of the runtime a file imports (relative imports, resolved against its folder)."""
    here = unit(path)
    nested = os.sep in rel(path)
    out = set()
    for node in ast.walk(ast.parse(read(path))):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        top = node.level == (2 if nested else 1)  # the level that names module_utils itself
        if not top:
            continue  # inside the same package
        names = [node.module] if node.module else [a.name for a in node.names]
        out.update(n.split(".")[0] for n in names)
    return out - {here}


def test_no_circle_between_parts():
    graph = {}
    for path in sources():
        graph.setdefault(unit(path), set()).update(imported_units(path))
    assert set().union(*graph.values()) <= set(graph), "an import names a part that does not exist"
    state, trail = {}, []

    def visit(node):
        state[node] = "open"
        trail.append(node)
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != "open", "circle: %s" % " -> ".join(trail[trail.index(nxt):] + [nxt])
            if nxt not in state:
                visit(nxt)
        trail.pop()
        state[node] = "done"
    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_the_circle_check_sees_a_circle(tmp_path, monkeypatch):
    """The check above can fail: two files importing each other are found."""
    (tmp_path / "_a.py").write_text("from . import _b\n")
    (tmp_path / "_b.py").write_text("from ._a import x\n")
    (tmp_path / "_c.py").write_text("from . import _a\n")
    for name in ("_converge.py",) + tuple("_pad%d.py" % i for i in range(41)):
        (tmp_path / name).write_text("")
    monkeypatch.setattr(sys.modules[__name__], "RUNTIME", str(tmp_path))
    with pytest.raises(AssertionError, match="circle: _a -> _b -> _a"):
        test_no_circle_between_parts()
