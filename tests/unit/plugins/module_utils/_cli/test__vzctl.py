# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vzctl: OpenVZ's command lines turned into vz_container requests, and its refusals, on a vz.conf of the
test's own (containers are started by the vz_cli integration target)."""
from __future__ import annotations

import io

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._cli import _vzctl as vzctl
from ansible_collections.vzkit.vz.plugins.module_utils._cli._common import FAILED, USAGE, VZ_CONF_ENV, flag
from ansible_collections.vzkit.vz.plugins.module_utils._host import Host
from ansible_collections.vzkit.vz.plugins.module_utils._spec import ContainerSpec


@pytest.fixture(name="vz")
def fixture_vz(tmp_path, monkeypatch):
    """A vz.conf of its own with one stopped container, 101 (routed 198.51.100.7), and no template."""
    (tmp_path / "conf").mkdir()
    (tmp_path / "vz.conf").write_text('VE_PRIVATE="%s/private/$VEID"\nVE_ROOT="%s/root/$VEID"\nLOCKDIR="%s/lock"\n'
                                      'TEMPLATE="%s/template"\nVZ_RUN_DIR="%s/run"\n' % ((tmp_path,) * 5))
    (tmp_path / "conf" / "101.conf").write_text('OSTEMPLATE="busybox"\nIP_ADDRESS="198.51.100.7 198.51.100.8"\n')
    (tmp_path / "private" / "101").mkdir(parents=True)
    monkeypatch.setenv(VZ_CONF_ENV, str(tmp_path / "vz.conf"))
    return tmp_path


def run(*argv, stdin=b""):
    out, err = io.StringIO(), io.StringIO()
    rc = vzctl.main(list(argv), stdout=out, stderr=err, stdin=io.BytesIO(stdin), host=Host())
    return rc, out.getvalue(), err.getvalue()


def params(*argv):
    return vzctl._params(vzctl.parser().parse_args(list(argv)), Host())


@pytest.mark.parametrize("argv, state", [
    (("create", "101", "--ostemplate", "busybox"), "present"), (("mount", "101"), "mounted"),
    (("umount", "101"), "stopped"), (("start", "101"), "started"), (("stop", "101"), "stopped"),
    (("restart", "101"), "restarted"), (("destroy", "101"), "absent"), (("delete", "101"), "absent"),
    (("set", "101", "--save"), "present"),
])
def test_each_command_asks_for_a_state(vz, argv, state):
    p = params(*argv)
    assert (p["ctid"], p["state"], p["vz_conf"]) == ("101", state, str(vz / "vz.conf"))
    ContainerSpec.from_params(p)  # a request the module would take


def test_create_options(vz):
    p = params("create", "102", "--ostemplate", "debian-12-x86_64-minimal", "--layout", "zfs", "--zfs-dataset", "tank/vz",
               "--hostname", "ct102.example", "--config", "vps.basic", "--unprivileged", "no", "--ipadd", "198.51.100.9",
               "--nameserver", "198.51.100.53", "--nameserver", "fd42:7a6b::53", "--searchdomain", "example")
    assert p == dict(p, ostemplate="debian-12-x86_64-minimal", layout="zfs", zfs_dataset="tank/vz", hostname="ct102.example",
                     config_sample="vps.basic", unprivileged=False, ip_address=["198.51.100.9"],
                     nameserver=["198.51.100.53", "fd42:7a6b::53"], searchdomain=["example"])
    assert params("create", "102")["unprivileged"] is None  # the module's default: unprivileged


def test_set_resources_and_onboot(vz):
    p = params("set", "101", "--ram", "512M", "--numproc", "200", "--cpulimit", "50", "--onboot", "yes",
               "--setmode", "restart", "--save")
    assert (p["ram"], p["numproc"], p["cpulimit"], p["onboot"], p["setmode"]) == ("512M", "200", "50", True, "restart")
    assert p["ip_address"] is None and p["hostname"] is None  # not given: left as they are
    spec = ContainerSpec.from_params(p)
    assert spec.limits == {"RAM": "512M", "NUMPROC": "200:200", "CPULIMIT": "50"}  # as vz_container normalises them


@pytest.mark.parametrize("argv, addresses", [
    (("--ipadd", "198.51.100.9"), ["198.51.100.7", "198.51.100.8", "198.51.100.9"]),  # added, as vzctl does
    (("--ipadd", "198.51.100.7"), ["198.51.100.7", "198.51.100.8"]),                  # already there
    (("--ipdel", "198.51.100.7"), ["198.51.100.8"]),
    (("--ipdel", "all", "--ipadd", "198.51.100.10"), ["198.51.100.10"]),
])
def test_set_adds_and_removes_addresses(vz, argv, addresses):
    assert params("set", "101", *argv, "--save")["ip_address"] == addresses


def test_set_without_save_is_refused(vz):
    assert run("set", "101", "--ram", "512M") == (USAGE, "", "vzctl: container 101: vzkit saves every change in "
                                                             "CTID.conf; add --save\n")


@pytest.mark.parametrize("command", ["mount", "umount", "start", "stop", "restart", "exec", "push", "pull", "enter", "set"])
def test_only_create_makes_a_container(vz, command):
    extra = {"exec": ["true"], "set": ["--save"], "push": ["/etc/hostname", "/x"], "pull": ["/x", "/dev/null"]}
    argv = [command, "109"] + extra.get(command, [])
    rc, out, err = run(*argv)
    assert (rc, out) == (FAILED, "")
    assert err == "vzctl: container 109 does not exist; create it first (vzctl create)\n"
    assert not (vz / "conf" / "109.conf").exists() and not (vz / "private" / "109").exists()


@pytest.mark.parametrize("argv, cmd", [(["exec", "101", "ls", "-la", "/"], ["ls", "-la", "/"]),
                                       (["exec", "101", "sh", "-c", "true"], ["sh", "-c", "true"]),
                                       (["exec", "101", "--", "ps", "--help"], ["ps", "--help"])])
def test_a_commands_own_options_are_not_vzctls(argv, cmd):
    assert vzctl.parser().parse_args(argv).cmd[-len(cmd):] == cmd  # (a leading -- is dropped, here or before it runs)


def test_exec_without_a_command_is_a_usage_error(vz):
    assert run("exec", "101") == (USAGE, "", "vzctl: container 101: exec needs a command (vzctl exec CTID COMMAND...)\n")


@pytest.mark.parametrize("argv", [["exec", "101", "true"], ["push", "101", "/etc/hostname", "/x"], ["enter", "101"]])
def test_inside_a_stopped_container_is_refused(vz, argv):
    rc, out, err = run(*argv)
    assert (rc, out) == (FAILED, "")
    assert err == "vzctl: container 101 is not running; start it first (vzctl start)\n"


@pytest.mark.parametrize("perms, says", [("999", "'999' is not an octal file mode"), ("-1", "'-1' is not an octal"),
                                         ("17777", "'17777' is not an octal")])
def test_push_perms_must_be_an_octal_mode(vz, perms, says, capsys):
    with pytest.raises(SystemExit) as exc:
        run("push", "101", "/etc/hostname", "/x", "--perms", perms)
    assert exc.value.code == USAGE and says in capsys.readouterr().err


def test_status(vz):
    assert run("status", "101") == (0, "CTID 101 exist unmounted down\n", "")
    assert run("status", "109") == (0, "CTID 109 deleted unmounted down\n", "")


def test_destroying_a_missing_container_is_nothing_to_do(vz):
    assert run("destroy", "109") == (0, "Container 109: does not exist\n", "")


def test_errors_name_the_flag(vz):
    rc, out, err = run("create", "102", "--hostname", "bad host")
    assert (rc, out) == (FAILED, "")
    assert err.startswith("vzctl: container 102: --hostname: 'bad host' is not a host name; use letters")
    assert not (vz / "conf" / "102.conf").exists()


@pytest.mark.parametrize("param, shown", [("ip_address", "--ipadd"), ("config_sample", "--config"), ("ram", "--ram"),
                                          ("zfs_dataset", "--zfs-dataset"), ("netif[0].bridge", "--netif")])
def test_flag(param, shown):
    assert flag(param) == shown


def test_usage_errors_exit_2_and_name_help(capsys):
    with pytest.raises(SystemExit) as exc:
        vzctl.main(["frob", "101"])
    assert exc.value.code == USAGE
    assert "(see vzctl --help)" in capsys.readouterr().err


def test_every_command_has_help(capsys):
    for command in ("create", "mount", "umount", "start", "stop", "restart", "status", "destroy", "set", "exec", "enter"):
        with pytest.raises(SystemExit) as exc:
            vzctl.main([command, "--help"])
        assert exc.value.code == 0
        assert "usage: vzctl %s" % command in capsys.readouterr().out
