# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write (or, with --check, compare) the "Variables" section of each role's README from its
meta/argument_specs.yml, the role's single documented interface. Usage: python3 scripts/role_readme.py [--check]"""
import os
import re
import sys

import yaml

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- variables: generated from meta/argument_specs.yml by scripts/role_readme.py -->"
END = "<!-- end of variables -->"


def _plain(text) -> str:
    """Ansible doc markup (C(), V(), O(), M(), I()) as Markdown."""
    text = " ".join(text) if isinstance(text, list) else str(text)
    text = re.sub(r"[CVO]\(([^)]*)\)", r"`\1`", text)
    return re.sub(r"[MI]\(([^)]*)\)", r"\1", text).replace("|", "\\|")


def section(spec_path: str) -> str:
    with open(spec_path, encoding="utf-8") as fh:
        options = yaml.safe_load(fh)["argument_specs"]["main"].get("options", {})
    rows = ["| variable | type | default | description |", "| --- | --- | --- | --- |"]
    for name in sorted(options):
        opt = options[name]
        kind = opt.get("type", "str") + ("/" + opt["elements"] if opt.get("elements") else "")
        default = "`%s`" % yaml.safe_dump(opt.get("default"), default_flow_style=True, width=10 ** 6).strip().replace("\n...", "") \
            if "default" in opt else "(required)" if opt.get("required") else ""
        desc = _plain(opt.get("description", ""))
        if opt.get("choices"):
            desc += " Choices: %s." % ", ".join("`%s`" % c for c in opt["choices"])
        rows.append("| `%s` | %s | %s | %s |" % (name, kind, default.replace("|", "\\|"), desc))
    return "\n".join([BEGIN, ""] + rows + ["", END])


def render(readme: str, generated: str) -> str:
    if BEGIN in readme:
        head, rest = readme.split(BEGIN, 1)
        return head + generated + rest.split(END, 1)[1]
    return readme.rstrip() + "\n\n## Variables\n\n" + generated + "\n"


def main(argv) -> int:
    check = "--check" in argv
    stale = []
    roles = os.path.join(TOP, "roles")
    for role in sorted(os.listdir(roles)):
        spec = os.path.join(roles, role, "meta", "argument_specs.yml")
        readme = os.path.join(roles, role, "README.md")
        if not os.path.exists(spec):
            continue
        with open(readme, encoding="utf-8") as fh:
            old = fh.read()
        new = render(old, section(spec))
        if new != old:
            stale.append(readme)
            if not check:
                with open(readme, "w", encoding="utf-8") as fh:
                    fh.write(new)
    if check and stale:
        print("stale: %s (run scripts/role_readme.py)" % ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
