# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils import _config as config
from ansible_collections.vzkit.vz.plugins.module_utils._config import ConfFile, VzGlobals
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def fixture_text(name: str) -> str:
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as fh:
        return fh.read()


# ---- parse / render ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ve-vps.basic.conf-sample", "ctid-101.conf", "vz.conf"])
def test_round_trip_is_byte_identical(name):
    text = fixture_text(name)
    assert ConfFile.parse(text).render() == text


def test_round_trip_adds_only_a_final_newline():
    assert ConfFile.parse('A="1"\n# c').render() == 'A="1"\n# c\n'
    assert ConfFile.parse("").render() == ""


def test_sample_values():
    conf = ConfFile.parse(fixture_text("ve-vps.basic.conf-sample"))
    items = conf.items()
    assert items["NUMPROC"] == "65:65"
    assert items["VMGUARPAGES"] == "6144:2147483647"
    assert items["DISKSPACE"] == "1048576:1153434"
    assert items["ONBOOT"] == "no"
    assert list(items)[:3] == ["ONBOOT", "AVNUMPROC", "NUMPROC"]
    assert list(items)[-1] == "CPUUNITS"
    assert len(items) == 26
    # comment and blank lines are kept as lines without a key
    keyless = [ln.raw for ln in conf.lines if ln.key is None]
    assert "# UBC parameters (in form of barrier:limit)" in keyless
    assert "" in keyless


def test_hand_edited_config_values():
    conf = ConfFile.parse(fixture_text("ctid-101.conf"))
    assert conf.get("SWAPPAGES") == "0:131072"        # single quotes
    assert conf.get("KMEMSIZE") == "unlimited"        # export KEY=
    assert conf.get("VE_ROOT") == "/vz/root/$VEID"    # parse does not expand
    assert conf.get("IP_ADDRESS") == "10.0.0.101 10.0.0.102"
    assert conf.get("FEATURES") == "nfs:on"           # unknown keys are kept
    assert conf.get("CPULIMIT") is None               # commented out
    assert conf.get("CPULIMIT", "100") == "100"


def test_get_takes_the_last_assignment():
    conf = ConfFile.parse(fixture_text("ctid-101.conf"))
    assert conf.get("NUMPROC") == "500:500"
    assert conf.items()["NUMPROC"] == "500:500"
    # items() keeps the position of the first assignment
    assert list(conf.items()).index("NUMPROC") == list(conf.items()).index("SWAPPAGES") + 1


@pytest.mark.parametrize("line, key, value", [
    ('KEY="a b"', "KEY", "a b"),
    ("KEY='a b'", "KEY", "a b"),
    ("KEY=plain", "KEY", "plain"),
    ('export KEY="x"', "KEY", "x"),
    ("export  KEY=x", "KEY", "x"),
    ('   KEY="x"', "KEY", "x"),
    ("KEY=", "KEY", ""),
    ('KEY=""', "KEY", ""),
    ("KEY=''", "KEY", ""),
    ("KEY=plain # a comment", "KEY", "plain"),
    ("KEY=a#b", "KEY", "a#b"),
    ('KEY="a # b"', "KEY", "a # b"),
    ('KEY=" padded "', "KEY", " padded "),
    ('KEY="it\'s"', "KEY", "it's"),
    ('KEY="/vz/root/$VEID"', "KEY", "/vz/root/$VEID"),
    ('lower_case="1"', "lower_case", "1"),
    ('_X="1"', "_X", "1"),
])
def test_quoting_variants(line, key, value):
    conf = ConfFile.parse(line + "\n")
    assert [(ln.key, ln.value) for ln in conf.lines] == [(key, value)]
    assert conf.render() == line + "\n"


@pytest.mark.parametrize("line, value", [
    ('ONBOOT="yes" # start at boot', "yes"),
    ("KEY='a b'  # note", "a b"),
])
def test_quoted_value_with_trailing_comment(line, value):
    assert ConfFile.parse(line).get(line.split("=")[0]) == value


@pytest.mark.parametrize("line", [
    '# KEY="x"',
    '#KEY=x',
    '   # KEY=x',
    "KEY = x",
    "echo KEY=x",
    "1KEY=x",
    "KEY-1=x",
    "",
    "   ",
])
def test_non_assignments_are_kept_without_key(line):
    conf = ConfFile.parse(line + "\n")
    assert [(ln.raw, ln.key) for ln in conf.lines] == [(line, None)]
    assert conf.items() == {}
    assert conf.render() == line + "\n"


# ---- editing -----------------------------------------------------------------------------------

def test_set_replaces_in_place_and_drops_later_duplicates():
    text = fixture_text("ctid-101.conf")
    conf = ConfFile.parse(text)
    conf.set("NUMPROC", "1000:1000")
    expected = text.replace("NUMPROC=400:400\n", 'NUMPROC="1000:1000"\n').replace('NUMPROC="500:500"\n', "")
    assert conf.render() == expected
    assert conf.get("NUMPROC") == "1000:1000"
    assert [ln.key for ln in conf.lines].count("NUMPROC") == 1


def test_set_rewrites_an_export_line():
    conf = ConfFile.parse('A="1"\nexport KMEMSIZE=unlimited\nB="2"\n')
    conf.set("KMEMSIZE", "2752512:2936012")
    assert conf.render() == 'A="1"\nKMEMSIZE="2752512:2936012"\nB="2"\n'


def test_set_appends_a_new_key_and_keeps_commented_one():
    text = fixture_text("ctid-101.conf")
    conf = ConfFile.parse(text)
    conf.set("CPULIMIT", "25")
    assert conf.render() == text + 'CPULIMIT="25"\n'
    assert '#CPULIMIT="50"' in conf.render()


def test_set_same_value_rewrites_quoting_only():
    conf = ConfFile.parse("NUMPROC=400:400\n")
    conf.set("NUMPROC", "400:400")
    assert conf.render() == 'NUMPROC="400:400"\n'


def test_set_on_empty_file():
    conf = ConfFile.parse("")
    conf.set("HOSTNAME", "web")
    conf.set("ONBOOT", "yes")
    assert conf.render() == 'HOSTNAME="web"\nONBOOT="yes"\n'


def test_unset_removes_every_assignment_and_nothing_else():
    text = fixture_text("ctid-101.conf")
    conf = ConfFile.parse(text)
    conf.unset("NUMPROC")
    assert conf.get("NUMPROC") is None
    assert conf.render() == text.replace("NUMPROC=400:400\n", "").replace('NUMPROC="500:500"\n', "")


def test_unset_missing_key_changes_nothing():
    text = fixture_text("ctid-101.conf")
    conf = ConfFile.parse(text)
    conf.unset("CPULIMIT")  # only a commented-out line has it
    assert conf.render() == text


def test_copy_is_independent():
    conf = ConfFile.parse('A="1"\n')
    dup = conf.copy()
    dup.set("A", "2")
    dup.set("B", "3")
    assert conf.render() == 'A="1"\n'
    assert dup.render() == 'A="2"\nB="3"\n'


@pytest.mark.parametrize("value", ["plain", "a b c", "it's", "a # b", " padded ", "", "/vz/root/$VEID", "6144:2147483647"])
def test_set_render_parse_keeps_valid_values(value):
    config.validate_value("DESCRIPTION", value)
    conf = ConfFile.parse('A="1"\n')
    conf.set("DESCRIPTION", value)
    again = ConfFile.parse(conf.render())
    assert again.items() == {"A": "1", "DESCRIPTION": value}


@pytest.mark.parametrize("value", ["web\rVE_PRIVATE=/srv/data/101 #", "a\x0bb", "a\x0cb", "a\x1cb", "a\x85b", "a\u2028b"])
def test_set_render_parse_keeps_accepted_values(value):
    try:
        config.validate_value("DESCRIPTION", value)
    except VzConfigError:
        return  # refusing it is fine too
    conf = ConfFile.parse('A="1"\n')
    conf.set("DESCRIPTION", value)
    assert ConfFile.parse(conf.render()).items() == {"A": "1", "DESCRIPTION": value}


# ---- expand ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("/vz/root/$VEID", "/vz/root/101"),
    ("/vz/root/${VEID}", "/vz/root/101"),
    ("/vz/private/$CTID", "/vz/private/101"),
    ("/vz/private/${CTID}/fs", "/vz/private/101/fs"),
    ("/vz/$VEID/${VEID}-$CTID", "/vz/101/101-101"),
    ("/vz/root", "/vz/root"),
    ("", ""),
])
def test_expand(value, expected):
    assert config.expand(value, "101") == expected


# ---- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize("key, value", [
    ("PHYSPAGES", "0:262144"),
    ("PHYSPAGES", "0:2147483647"),
    ("PHYSPAGES", "1G"),
    ("SWAPPAGES", "unlimited"),
    ("PRIVVMPAGES", "49152:53575"),
    ("KMEMSIZE", "2752512:2936012"),
    ("KMEMSIZE", "unlimited"),
    ("DCACHESIZE", "1M:2M"),
    ("NUMPROC", "65:65"),
    ("NUMPROC", "400"),
    ("NUMPROC", "unlimited"),
    ("NUMPROC", "9223372036854775807:9223372036854775807"),
    ("DISKINODES", "200000:220000"),
    ("DISKSPACE", "1048576:1153434"),
    ("DISKSPACE", "10G:11G"),
    ("DISKSPACE", "10G"),
    ("RAM", "1G"),
    ("SWAP", "512M"),
    ("CPUUNITS", "1000"),
    ("CPULIMIT", "50"),
    ("CPUS", "2"),
    ("QUOTATIME", "0"),
    ("IOPRIO", "4"),
    ("ONBOOT", "yes"),
    ("ONBOOT", "no"),
    ("DISABLED", "no"),
    ("IP_ADDRESS", "10.0.0.1 10.0.0.2"),
    ("FEATURES", "nfs:on"),
    ("DESCRIPTION", "it's a web server"),
    ("HOSTNAME", "anything goes"),
])
def test_validate_value_accepts(key, value):
    config.validate_value(key, value)


@pytest.mark.parametrize("key, value, message", [
    ("PHYSPAGES", "10Q", "is not a size"),
    ("SWAPPAGES", "2:1", "above limit"),
    ("KMEMSIZE", "1:2:3", "barrier:limit"),
    ("NUMPROC", "65K:65K", "is not a count"),
    ("NUMPROC", "66:65", "above limit"),
    ("NUMFILE", "1M", "is not a count"),
    ("DISKINODES", "1M", "is not a count"),
    ("DISKSPACE", "2G:1G", "above limit"),
    ("DISKSPACE", "lots", "is not a size"),
    ("RAM", "1G:2G", "is not a size"),
    ("SWAP", "lots", "is not a size"),
    ("CPUUNITS", "10%", "is not a whole number"),
    ("CPUUNITS", "-1", "is not a whole number"),
    ("CPULIMIT", "", "is not a whole number"),
    ("CPUS", "1.5", "is not a whole number"),
    ("IOPRIO", "high", "is not a whole number"),
    ("ONBOOT", "true", "is not yes or no"),
    ("ONBOOT", "Yes", "is not yes or no"),
    ("ONBOOT", "1", "is not yes or no"),
    ("DISABLED", "", "is not yes or no"),
])
def test_validate_value_rejects(key, value, message):
    with pytest.raises(VzConfigError) as exc:
        config.validate_value(key, value)
    assert exc.value.details["param"] == "config.%s" % key
    assert message in str(exc.value)
    assert str(exc.value).startswith("`config.%s`: " % key)


@pytest.mark.parametrize("key", ["DESCRIPTION", "HOSTNAME", "NUMPROC", "CPUUNITS", "ONBOOT"])
@pytest.mark.parametrize("value", ["a\nb", 'say "hi"', "back\\slash", "`id`", "$(id)", "x$(reboot)y", "$((1+1))"])
def test_validate_value_rejects_shell_hazards(key, value):
    with pytest.raises(VzConfigError) as exc:
        config.validate_value(key, value, param="conf")
    assert exc.value.details["param"] == "conf.%s" % key
    assert "command substitution" in str(exc.value)


@pytest.mark.parametrize("key", ["NUMPROC", "A", "IP_ADDRESS", "X1", "VE_ROOT", "CPU_UNITS_2"])
def test_validate_key_accepts(key):
    config.validate_key(key)


@pytest.mark.parametrize("key", ["numproc", "NumProc", "1ABC", "_X", "A-B", "A B", "", "\u00c4B", "A.B", "A=B"])
def test_validate_key_rejects(key):
    with pytest.raises(VzConfigError) as exc:
        config.validate_key(key, param="config")
    assert exc.value.details["param"] == "config"
    assert "is not a config key" in str(exc.value)


def test_validate_key_rejects_trailing_newline():
    with pytest.raises(VzConfigError):
        config.validate_key("NUMPROC\n")


# ---- vz.conf -----------------------------------------------------------------------------------

def test_globals_missing_file_gives_defaults(tmp_path):
    g = VzGlobals.load(str(tmp_path / "vz" / "vz.conf"))
    assert g.values == {}
    assert g.conf_path == str(tmp_path / "vz" / "vz.conf")
    assert g.conf_dir == str(tmp_path / "vz" / "conf")
    assert g.get("VE_ROOT") == "/vz/root/$VEID"
    assert g.get("VE_PRIVATE") == "/vz/private/$VEID"
    assert g.get("TEMPLATE") == "/vz/template"
    assert g.get("VE_LAYOUT") == "simfs"
    assert g.get("LOCKDIR") == "/vz/lock"
    assert g.get("VZ_RUN_DIR") == "/run/vz"
    assert g.get("VZ_LOG_DIR") == "/var/log/vz"
    assert g.get("VZ_CGROUP_PARENT") == "vz"
    assert g.get("DEF_OSTEMPLATE") == ""


def test_globals_from_file(tmp_path):
    path = tmp_path / "vz.conf"
    path.write_text(fixture_text("vz.conf").replace("TEMPLATE=/vz/template", "TEMPLATE=/srv/vz/template"), encoding="utf-8")
    g = VzGlobals.load(str(path))
    assert g.conf_dir == str(tmp_path / "conf")
    assert g.get("TEMPLATE") == "/srv/vz/template"
    assert g.get("DEF_OSTEMPLATE") == "centos-6-x86"
    assert g.get("CONFIGFILE") == "vswap-256m"
    assert g.get("IPTABLES_MODULES") == "$IPTABLES"
    assert g.get("VE_ROOT") == "/vz/root/$VEID"
    assert g.values["VE_LAYOUT"] == ""
    assert g.get("VE_LAYOUT") == "simfs"       # empty means default
    assert g.get("VZ_RUN_DIR") == "/run/vz"    # not in the file: default
    assert "MODULES_DISABLED" not in g.values  # commented out


def test_globals_are_frozen(tmp_path):
    g = VzGlobals.load(str(tmp_path / "vz.conf"))
    with pytest.raises(AttributeError):
        g.conf_dir = "/etc"
