# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import dataclasses
import os

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._container import _plan as container
from ansible_collections.vzkit.vz.plugins.module_utils._container import _report as report
from ansible_collections.vzkit.vz.plugins.module_utils._config import ConfFile, VzGlobals
from ansible_collections.vzkit.vz.plugins.module_utils._container._context import Context, Observed
from ansible_collections.vzkit.vz.plugins.module_utils._container._plan import Change
from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError, VzStateError
from ansible_collections.vzkit.vz.plugins.module_utils._host import Host
from ansible_collections.vzkit.vz.plugins.module_utils._layouts._simfs import SimfsLayout
from ansible_collections.vzkit.vz.plugins.module_utils._process import InitRecord
from ansible_collections.vzkit.vz.plugins.module_utils._samples import VPS_BASIC
from ansible_collections.vzkit.vz.plugins.module_utils._spec import ContainerSpec


def make_ctx(tmp_path, **values) -> Context:
    """A context as Context.build would make it, for vz.conf values, with paths under tmp_path."""
    cache = tmp_path / "template" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "busybox.tar.gz").write_bytes(b"")
    values.setdefault("TEMPLATE", str(tmp_path / "template"))
    host = Host()
    private, root = str(tmp_path / "private" / "101"), str(tmp_path / "root" / "101")
    return Context(host=host, ctid="101",
                   globals=VzGlobals(str(tmp_path / "vz.conf"), str(tmp_path / "conf"), values),
                   conf_path=str(tmp_path / "conf" / "101.conf"), private=private, root=root,
                   run_dir=str(tmp_path / "run" / "101"), console_log=str(tmp_path / "log" / "101.console.log"),
                   layout=SimfsLayout(host, private=private, root=root, ctid="101"))


@pytest.fixture(name="ctx")
def fixture_ctx(tmp_path):
    return make_ctx(tmp_path)


def existing_conf(ctx, extra: str = "") -> ConfFile:
    return ConfFile.parse('# created by vzkit\nONBOOT="no"\nNUMPROC="65:65"\nKMEMSIZE="2752512:2936012"\n'
                          'VE_ROOT="%s"\nVE_PRIVATE="%s"\nVE_LAYOUT="simfs"\nOSTEMPLATE="busybox"\nHOSTNAME="ct101"\n%s'
                          % (ctx.root, ctx.private, extra))


def observed(ctx, state: str, *, stale=False, leftovers=(), conf=None) -> Observed:
    """What observe() would report for a container in ``state``."""
    exists = state != "absent"
    running = state == "running"
    return Observed(conf=(conf or existing_conf(ctx)) if exists else None, private_exists=exists,
                    mounted=state in ("mounted", "running"), record=InitRecord(4242, 99) if running else None,
                    running=running, stale=stale, leftovers=tuple(leftovers))


def spec(state="present", **params) -> ContainerSpec:
    return ContainerSpec.from_params(dict(params, ctid="101", state=state))


def ops(p) -> list:
    return [c.op for c in p.changes]


# ---- (observed, requested) -> ordered operations ------------------------------------------------

@pytest.mark.parametrize("current, stale, state, expected", [
    ("absent", False, "present", ["create"]),
    ("absent", False, "stopped", ["create"]),
    ("absent", False, "mounted", ["create", "mount"]),
    ("absent", False, "started", ["create", "start"]),
    ("absent", False, "restarted", ["create", "start"]),
    ("absent", False, "absent", []),
    ("stopped", False, "present", []),
    ("stopped", False, "stopped", []),
    ("stopped", False, "mounted", ["mount"]),
    ("stopped", False, "started", ["start"]),
    ("stopped", False, "restarted", ["start"]),
    ("stopped", False, "absent", ["destroy"]),
    ("mounted", False, "present", []),
    ("mounted", False, "stopped", ["umount"]),
    ("mounted", False, "mounted", []),
    ("mounted", False, "started", ["start"]),
    ("mounted", False, "restarted", ["start"]),
    ("mounted", False, "absent", ["destroy"]),
    ("running", False, "present", []),
    ("running", False, "stopped", ["stop", "umount"]),
    ("running", False, "mounted", ["stop"]),
    ("running", False, "started", []),
    ("running", False, "restarted", ["stop", "start"]),
    ("running", False, "absent", ["stop", "destroy"]),
    # runtime state (run dir, cgroup) left by an init that died on its own
    ("stopped", True, "present", []),
    ("stopped", True, "stopped", ["clean_runtime"]),
    ("stopped", True, "mounted", ["clean_runtime", "mount"]),
    ("stopped", True, "started", ["start"]),  # start cleans up before it starts
    ("stopped", True, "restarted", ["start"]),
    ("stopped", True, "absent", ["destroy"]),
    ("mounted", True, "stopped", ["clean_runtime", "umount"]),
    ("mounted", True, "mounted", ["clean_runtime"]),
])
def test_plan_run_state(ctx, current, stale, state, expected):
    p = container.plan(spec(state, ostemplate="busybox"), ctx, observed(ctx, current, stale=stale))
    assert ops(p) == expected
    assert bool(p) == bool(expected)
    assert p.warnings == []


def test_plan_change_details_for_stop_and_umount(ctx):
    p = container.plan(spec("stopped"), ctx, observed(ctx, "running"))
    assert p.changes == [
        Change("running", True, False, "stop container 101", "stop"),
        Change("mounted", True, False, "unmount root area", "umount"),
    ]


@pytest.mark.parametrize("obs, expected", [
    (Observed(None, False, False, None, False, True, ()), ["destroy"]),                            # stale only
    (Observed(None, False, False, None, False, False, ("/vz/private/.101.vzkit-partial",)), ["destroy"]),
    (Observed(None, False, True, None, False, False, ()), ["destroy"]),                            # mounted only
    (Observed(None, False, False, None, False, False, ()), []),
])
def test_plan_absent_cleans_up_remains(ctx, obs, expected):
    p = container.plan(spec("absent"), ctx, obs)
    assert ops(p) == expected
    if expected:
        assert p.changes[0].before == "absent" and p.changes[0].after == "absent"
        assert p.changes[0].action == "destroy container 101 (unmount, remove %s and its config)" % ctx.private


def test_plan_absent_refuses_private_area_without_config(ctx):
    obs = Observed(None, True, False, None, False, False, ())
    with pytest.raises(VzStateError):
        container.plan(spec("absent"), ctx, obs)


def test_plan_absent_has_no_config_after(ctx):
    p = container.plan(spec("absent"), ctx, observed(ctx, "stopped"))
    assert p.conf_before == existing_conf(ctx).render()
    assert p.conf_after is None


# ---- create ------------------------------------------------------------------------------------

def test_plan_create(ctx, tmp_path):
    p = container.plan(spec("present", ostemplate="busybox", hostname="web"), ctx, observed(ctx, "absent"))
    assert p.changes == [Change("container", "absent", "stopped",
                                "create container 101 from template busybox (layout simfs)", "create")]
    assert p.template == str(tmp_path / "template" / "cache" / "busybox.tar.gz")
    assert p.conf_before is None
    assert ConfFile.parse(p.conf_after).items() == {
        "VE_ROOT": ctx.root, "VE_PRIVATE": ctx.private, "VE_LAYOUT": "simfs", "OSTEMPLATE": "busybox", "HOSTNAME": "web",
        "LOCAL_UID": "100000", "LOCAL_GID": "100000"}  # unprivileged by default


def test_plan_create_identity_mapped_is_an_opt_in(ctx):
    p = container.plan(spec("present", ostemplate="busybox", unprivileged=False), ctx, observed(ctx, "absent"))
    assert "LOCAL_UID" not in ConfFile.parse(p.conf_after).items()


def test_existing_container_keeps_its_mapping_until_asked(ctx):
    conf = existing_conf(ctx)
    assert container.desired_conf(spec("present"), ctx, conf).get("LOCAL_UID") is None
    assert container.desired_conf(spec("present", unprivileged=True), ctx, conf).get("LOCAL_UID") == "100000"


def test_drift_of_a_running_container_is_put_back(ctx):
    obs = observed(ctx, "running", conf=existing_conf(ctx))
    obs = dataclasses.replace(obs, drift=(("/sys/fs/cgroup/pids/vz/101/pids.max", "100", "max"),))
    p = container.plan(spec("present"), ctx, obs)
    assert ops(p) == ["limits_live"]
    assert p.changes[0].before == {"/sys/fs/cgroup/pids/vz/101/pids.max": "max"}
    assert p.changes[0].after == {"/sys/fs/cgroup/pids/vz/101/pids.max": "100"}
    assert container.plan(spec("stopped"), ctx, obs).changes[0].op == "stop"  # stopping: nothing to put back


def test_plan_create_uses_def_ostemplate(tmp_path):
    ctx = make_ctx(tmp_path, DEF_OSTEMPLATE="busybox")
    p = container.plan(spec("present"), ctx, observed(ctx, "absent"))
    assert ops(p) == ["create"]
    assert p.template.endswith("/template/cache/busybox.tar.gz")
    assert ConfFile.parse(p.conf_after).get("OSTEMPLATE") == "busybox"


def test_plan_create_without_template_is_refused(ctx):
    with pytest.raises(VzConfigError) as exc:
        container.plan(spec("started"), ctx, observed(ctx, "absent"))
    assert exc.value.details["param"] == "ostemplate"
    assert "needs a template" in str(exc.value)


def test_plan_create_with_unknown_template(ctx, tmp_path):
    with pytest.raises(VzConfigError) as exc:
        container.plan(spec("present", ostemplate="debian-12"), ctx, observed(ctx, "absent"))
    err = exc.value
    assert err.details["param"] == "ostemplate"
    assert "template 'debian-12' not found in %s" % (tmp_path / "template" / "cache") in str(err)
    assert err.details["hint"] == "build it first, or use one of: busybox"


def test_plan_refuses_private_area_without_config(ctx):
    obs = Observed(None, True, False, None, False, False, ())
    with pytest.raises(VzStateError) as exc:
        container.plan(spec("present", ostemplate="busybox"), ctx, obs)
    assert exc.value.details["param"] == "ctid"
    assert ctx.private in str(exc.value) and ctx.conf_path in str(exc.value)


def test_plan_recreates_missing_private_area_from_config(ctx):
    obs = Observed(existing_conf(ctx), False, False, None, False, False, ())
    p = container.plan(spec("started"), ctx, obs)
    assert ops(p) == ["create", "start"]
    assert p.template.endswith("/busybox.tar.gz")
    assert p.conf_after == p.conf_before


def test_plan_leftovers_of_existing_container(ctx):
    partial = ctx.layout.partial
    p = container.plan(spec("started"), ctx, observed(ctx, "stopped", leftovers=[partial]))
    assert ops(p) == ["clean_leftovers", "start"]
    assert p.changes[0].before == [partial] and p.changes[0].after == []


@pytest.mark.parametrize("conf_layout, spec_layout", [("ploop", "simfs"), ("zfs", "simfs")])
def test_plan_refuses_layout_change(ctx, conf_layout, spec_layout):
    conf = ConfFile.parse(existing_conf(ctx).render().replace('VE_LAYOUT="simfs"', 'VE_LAYOUT="%s"' % conf_layout))
    with pytest.raises(VzConfigError) as exc:
        container.plan(spec("present", layout=spec_layout), ctx, observed(ctx, "stopped", conf=conf))
    assert exc.value.details["param"] == "layout"
    assert "has layout %s, not %s" % (conf_layout, spec_layout) in str(exc.value)


def test_plan_config_without_layout_key_is_simfs(ctx):
    conf = existing_conf(ctx)
    conf.unset("VE_LAYOUT")
    assert ops(container.plan(spec("present", layout="simfs"), ctx, observed(ctx, "stopped", conf=conf))) == []


def test_plan_warns_when_template_differs(ctx):
    p = container.plan(spec("present", ostemplate="debian-12"), ctx, observed(ctx, "stopped"))
    assert ops(p) == []
    assert len(p.warnings) == 1
    assert p.warnings[0].startswith("`ostemplate`: container 101 was created from busybox")


# ---- config changes ----------------------------------------------------------------------------

@pytest.mark.parametrize("current, state, params, expected_ops, before, after", [
    ("stopped", "present", {"hostname": "web"}, ["write_config"], {"HOSTNAME": "ct101"}, {"HOSTNAME": "web"}),
    ("stopped", "present", {"hostname": "ct101"}, [], None, None),
    ("stopped", "present", {"onboot": True}, ["write_config"], {"ONBOOT": "no"}, {"ONBOOT": "yes"}),
    ("stopped", "present", {"onboot": False}, [], None, None),
    ("stopped", "present", {"nameserver": ["10.0.0.1", "10.0.0.2"]}, ["write_config"],
     {"NAMESERVER": None}, {"NAMESERVER": "10.0.0.1 10.0.0.2"}),
    ("stopped", "present", {"config": {"NUMPROC": "400:400", "CPUUNITS": 2000}}, ["write_config"],
     {"CPUUNITS": None, "NUMPROC": "65:65"}, {"CPUUNITS": "2000", "NUMPROC": "400:400"}),
    ("stopped", "present", {"config": {"KMEMSIZE": None}}, ["write_config"],
     {"KMEMSIZE": "2752512:2936012"}, {"KMEMSIZE": None}),
    ("stopped", "present", {"config": {"SWAPPAGES": None}}, [], None, None),
    ("stopped", "started", {"hostname": "web"}, ["write_config", "start"], {"HOSTNAME": "ct101"}, {"HOSTNAME": "web"}),
    ("running", "present", {"config": {"NUMPROC": "400:400"}}, ["write_config", "limits_live"], {"NUMPROC": "65:65"},
     {"NUMPROC": "400:400"}),
    ("running", "started", {"numproc": 100, "ram": "512M"}, ["write_config", "limits_live"], {"NUMPROC": "65:65", "RAM": None},
     {"NUMPROC": "100:100", "RAM": "512M"}),
    ("running", "present", {"capability": ["sys_time:on"], "setmode": "restart"}, ["write_config", "stop", "start"],
     {"CAPABILITY": None}, {"CAPABILITY": "sys_time:on"}),
    ("running", "started", {"features": ["fuse:on"], "setmode": "ignore"}, ["write_config"],
     {"FEATURES": None}, {"FEATURES": "fuse:on"}),
    ("running", "started", {"hostname": "web"}, ["write_config", "identity_live"], {"HOSTNAME": "ct101"}, {"HOSTNAME": "web"}),
    ("running", "present", {"searchdomain": ["lan"]}, ["write_config", "identity_live"],
     {"SEARCHDOMAIN": None}, {"SEARCHDOMAIN": "lan"}),
])
def test_plan_config_changes(ctx, current, state, params, expected_ops, before, after):
    p = container.plan(spec(state, **params), ctx, observed(ctx, current))
    assert ops(p) == expected_ops
    if before is None:
        assert p.conf_after == p.conf_before
        return
    change = p.changes[0]
    assert (change.key, change.before, change.after) == ("config", before, after)
    assert change.action == "write %s (%s)" % (ctx.conf_path, ", ".join(sorted(after)))
    new = ConfFile.parse(p.conf_after)
    assert {k: new.get(k) for k in after} == after


def test_plan_config_edit_keeps_the_rest_of_the_file(ctx):
    conf = existing_conf(ctx, extra='# local note\nFEATURES="nfs:on"\n')
    p = container.plan(spec("present", config={"NUMPROC": "400:400"}), ctx, observed(ctx, "stopped", conf=conf))
    assert p.conf_after == conf.render().replace('NUMPROC="65:65"', 'NUMPROC="400:400"')


# ---- the config written at create --------------------------------------------------------------

def test_desired_conf_from_builtin_sample(ctx):
    new = container.desired_conf(spec("present", ostemplate="busybox", config_sample="vps.basic"), ctx, None)
    sample = ConfFile.parse(VPS_BASIC).items()
    items = new.items()
    assert list(items) == list(sample) + ["VE_ROOT", "VE_PRIVATE", "VE_LAYOUT", "OSTEMPLATE", "ORIGIN_SAMPLE", "LOCAL_UID",
                                          "LOCAL_GID"]
    assert {k: items[k] for k in sample} == sample
    assert items["NUMPROC"] == "65:65"
    assert (items["VE_ROOT"], items["VE_PRIVATE"], items["VE_LAYOUT"]) == (ctx.root, ctx.private, "simfs")
    assert (items["OSTEMPLATE"], items["ORIGIN_SAMPLE"]) == ("busybox", "vps.basic")
    assert new.render().startswith(VPS_BASIC)  # comments and order of the sample are kept


def test_desired_conf_sample_from_vz_conf_and_conf_dir(tmp_path):
    ctx = make_ctx(tmp_path, CONFIGFILE="vswap-256m")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "ve-vswap-256m.conf-sample").write_text('# local\nPHYSPAGES="0:65536"\nSWAPPAGES="0:65536"\n')
    new = container.desired_conf(spec("present", ostemplate="busybox"), ctx, None)
    assert new.items()["PHYSPAGES"] == "0:65536"
    assert new.get("ORIGIN_SAMPLE") == "vswap-256m"
    assert new.render().startswith('# local\nPHYSPAGES="0:65536"\n')


def test_desired_conf_spec_overrides_sample_in_place(ctx):
    new = container.desired_conf(spec("present", ostemplate="busybox", config_sample="vps.basic", onboot=True,
                                      config={"NUMPROC": "400:400", "DCACHESIZE": None}), ctx, None)
    assert new.render().startswith(VPS_BASIC.replace('ONBOOT="no"', 'ONBOOT="yes"')
                                   .replace('NUMPROC="65:65"', 'NUMPROC="400:400"')
                                   .partition("DCACHESIZE=")[0])
    assert new.get("DCACHESIZE") is None


def test_desired_conf_without_sample(ctx):
    new = container.desired_conf(spec("present", ostemplate="busybox"), ctx, None)
    assert new.render() == ('VE_ROOT="%s"\nVE_PRIVATE="%s"\nVE_LAYOUT="simfs"\nOSTEMPLATE="busybox"\n'
                            'LOCAL_UID="100000"\nLOCAL_GID="100000"\n' % (ctx.root, ctx.private))


def test_desired_conf_unknown_sample(ctx):
    with pytest.raises(VzConfigError) as exc:
        container.desired_conf(spec("present", ostemplate="busybox", config_sample="vswap-1g"), ctx, None)
    assert exc.value.details["param"] == "config_sample"


def test_desired_conf_of_existing_container_is_a_copy(ctx):
    conf = existing_conf(ctx)
    new = container.desired_conf(spec("present", hostname="web", config_sample="vps.basic"), ctx, conf)
    assert conf.get("HOSTNAME") == "ct101"          # the observed config is not modified
    assert new.get("HOSTNAME") == "web"
    assert new.get("ORIGIN_SAMPLE") is None         # a sample is used only at create
    assert new.render() == conf.render().replace('HOSTNAME="ct101"', 'HOSTNAME="web"')


# ---- observed state and description ------------------------------------------------------------

@pytest.mark.parametrize("current", ["absent", "stopped", "mounted", "running"])
def test_observed_state(ctx, current):
    assert observed(ctx, current).state == current


def test_observed_state_without_config_is_absent():
    assert Observed(None, True, True, None, False, True, ()).state == "absent"


@pytest.mark.parametrize("current, state, init_pid", [("running", "running", 4242), ("running", "stopped", None),
                                                      ("stopped", "stopped", None)])
def test_describe(ctx, current, state, init_pid):
    conf = existing_conf(ctx)
    out = report.describe(ctx, observed(ctx, current, conf=conf), state=state, conf=conf)
    assert out == {"ctid": "101", "state": state, "init_pid": init_pid, "hostname": "ct101", "layout": "simfs", "ip_address": [], "netif": [],
                   "private": ctx.private, "root": ctx.root, "ostemplate": "busybox", "fleet": None, "config": conf.items(),
                   "console_log": ctx.console_log, "unenforced": ["KMEMSIZE"],
                   # usage is read from the container's cgroups, which do not exist for this made-up container
                   "usage": {"memory": None, "swap": None, "pids": None, "cpu_seconds": None} if state == "running" else None,
                   "id_range": None, "limits_drift": []}


def test_confinement_change_on_a_running_container_fails_by_default(ctx):
    with pytest.raises(VzStateError) as err:
        container.plan(spec("started", devices=["c:10:200:rw"]), ctx, observed(ctx, "running"))
    assert err.value.details["param"] == "setmode"


@pytest.mark.parametrize("params, param", [
    ({"ram": "10Q"}, "ram"), ({"cpulimit": -1}, "cpulimit"), ({"numproc": "0:5"}, "numproc"),
    ({"cpumask": "0-"}, "cpumask"), ({"ioprio": 8}, "ioprio"), ({"setmode": "later"}, "setmode"),
    ({"numproc": 100, "config": {"NUMPROC": "65:65"}}, "numproc"),
])
def test_bad_resource_options_name_the_option(params, param):
    with pytest.raises(VzConfigError) as err:
        spec("present", **params)
    assert err.value.details["param"] == param


def test_resource_options_are_canonical():
    assert spec("present", ram=536870912, swap="0", numproc="65", cpumask="0,1").limits == {
        "RAM": "512M", "SWAP": "0", "NUMPROC": "65:65", "CPUMASK": "0,1"}
    assert spec("present", numproc=100, config={"NUMPROC": "100:100"}).limits == {"NUMPROC": "100:100"}


def test_describe_absent(ctx):
    out = report.describe(ctx, observed(ctx, "absent"), state="absent", conf=None)
    assert (out["state"], out["config"], out["hostname"], out["layout"]) == ("absent", {}, None, None)


# ---- id ranges: a planned range is a guess until claimed ---------------------------------------

def _plan_starting(ctx, *ops) -> "container.Plan":
    p = container.Plan(conf_after='LOCAL_UID="165536"\nLOCAL_GID="165536"\n')
    for op in ops + ("start",):
        p.add(op, None, None, op, op)
    return p


def _sibling_with_range(ctx, first: int) -> None:
    conf_dir = ctx.globals.conf_dir
    os.makedirs(conf_dir, exist_ok=True)
    with open(os.path.join(conf_dir, "102.conf"), "w", encoding="utf-8") as fh:
        fh.write('LOCAL_UID="%d"\nLOCAL_GID="%d"\n' % (first, first))


def test_a_start_is_refused_while_another_container_holds_its_ids(ctx):
    """The control: an existing container whose range another holds does not start."""
    _sibling_with_range(ctx, 165536)
    with pytest.raises(VzStateError, match="overlap those of container.s. 102"):
        container._check_id_overlap(spec("started"), ctx, _plan_starting(ctx))


@pytest.mark.parametrize("op", ["create", "shift_ids"])
def test_a_range_this_run_claims_is_not_refused_for_what_another_run_took_since_the_plan(ctx, op):
    """Creates side by side (vz_fleet): another run may write the planned range into its config between this
    plan's choice and its check; the claim under the host-wide lock then gives this run the next range."""
    _sibling_with_range(ctx, 165536)
    container._check_id_overlap(spec("started"), ctx, _plan_starting(ctx, op))
