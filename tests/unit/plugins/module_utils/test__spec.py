# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzConfigError
from ansible_collections.vzkit.vz.plugins.module_utils._net._config import Netif
from ansible_collections.vzkit.vz.plugins.module_utils._spec import STATES, ContainerSpec, validate_ctid


def spec(**params):
    params.setdefault("ctid", "101")
    return ContainerSpec.from_params(params)


def refused(param: str, **params) -> VzConfigError:
    with pytest.raises(VzConfigError) as exc:
        spec(**params)
    assert exc.value.details["param"] == param
    assert str(exc.value).startswith("`%s`: " % param)
    return exc.value


def test_defaults():
    assert spec() == ContainerSpec(ctid="101", state="present", ostemplate=None, layout=None, config_sample=None,
                                   hostname=None, nameserver=None, searchdomain=None, onboot=None, config={},
                                   stop_timeout=60, vz_conf="/etc/vz/vz.conf")


def test_module_params_with_nulls_give_defaults():
    params = {"ctid": "101", "state": None, "ostemplate": None, "layout": None, "config_sample": None,
              "hostname": None, "nameserver": None, "searchdomain": None, "onboot": None, "config": None,
              "stop_timeout": None, "vz_conf": None}
    assert ContainerSpec.from_params(params) == spec()


def test_spec_is_frozen():
    with pytest.raises(AttributeError):
        spec().state = "started"


@pytest.mark.parametrize("ctid, expected", [
    ("101", "101"),
    (101, "101"),
    ("web-1", "web-1"),
    ("a.b", "a.b"),
    ("A_b", "A_b"),
    ("x" * 64, "x" * 64),
    ("101.", "101."),
])
def test_good_ctids(ctid, expected):
    assert validate_ctid(ctid) == expected
    assert spec(ctid=ctid).ctid == expected


@pytest.mark.parametrize("ctid", ["../x", "..", ".", ".hidden", "", None, "x" * 65, "a/b", "/101", "a b", "101;rm", "ct\u00ef", "a\tb"])
def test_bad_ctids(ctid):
    err = refused("ctid", ctid=ctid)
    assert "is not a container id" in str(err)
    assert err.details["hint"]


def test_ctid_with_trailing_newline_is_refused():
    refused("ctid", ctid="101\n")


@pytest.mark.parametrize("state", STATES)
def test_states(state):
    assert spec(state=state).state == state


@pytest.mark.parametrize("state", ["running", "info", "STARTED", "reloaded"])
def test_bad_state(state):
    err = refused("state", state=state)
    assert "absent" in err.details["hint"]


@pytest.mark.parametrize("hostname", ["web", "web-1", "web.example.com", "a", "x" * 63, "1web", "WEB.Example.COM",
                                      ".".join(["a" * 63] * 3 + ["b" * 61])])
def test_good_hostnames(hostname):
    assert spec(hostname=hostname).hostname == hostname


@pytest.mark.parametrize("hostname", ["", "-web", "web-", "x" * 64, "web_1", "we b", "web..com", "web.", ".web",
                                      "web.example.com;reboot", ".".join(["a" * 63] * 3 + ["b" * 62])])
def test_bad_hostnames(hostname):
    err = refused("hostname", hostname=hostname)
    assert "is not a host name" in str(err)


@pytest.mark.parametrize("param, value", [
    ("hostname", "web\n"),
    ("nameserver", ["10.0.0.1\n"]),
    ("searchdomain", ["lan\n"]),
    ("ostemplate", "debian-12\n"),
])
def test_trailing_newline_is_refused(param, value):
    refused(param, **{param: value})


def test_nameservers_and_searchdomains_become_tuples():
    s = spec(nameserver=["10.0.0.1", "2001:db8::53", "fe80::1%eth0"], searchdomain=["example.com", "lan"])
    assert s.nameserver == ("10.0.0.1", "2001:db8::53", "fe80::1%eth0")
    assert s.searchdomain == ("example.com", "lan")
    assert spec(nameserver=[]).nameserver == ()


@pytest.mark.parametrize("value", [["dns.google"], ["10.0.0.1", "10.0.0.2; reboot"], ["10.0.0.1 10.0.0.2"], [""]])
def test_bad_nameservers(value):
    err = refused("nameserver", nameserver=value)
    assert "is not an IP address" in str(err)


@pytest.mark.parametrize("value", ["cafe", "...", "1.2.3.4.5", ":"])
def test_nameserver_must_be_an_ip_address(value):
    refused("nameserver", nameserver=[value])


@pytest.mark.parametrize("value", [["-lan"], ["exa mple.com"], ["lan_"]])
def test_bad_searchdomains(value):
    err = refused("searchdomain", searchdomain=value)
    assert "is not a domain name" in str(err)


@pytest.mark.parametrize("key, option", [
    ("HOSTNAME", "hostname"),
    ("NAMESERVER", "nameserver"),
    ("SEARCHDOMAIN", "searchdomain"),
    ("ONBOOT", "onboot"),
    ("OSTEMPLATE", "ostemplate"),
    ("VE_LAYOUT", "layout"),
    ("VE_ROOT", "vz.conf VE_ROOT"),
    ("VE_PRIVATE", "vz.conf VE_PRIVATE"),
    ("ORIGIN_SAMPLE", "config_sample"),
    ("IP_ADDRESS", "ip_address"),
    ("NETIF", "netif"),
])
def test_config_keys_managed_by_options_are_refused(key, option):
    err = refused("config.%s" % key, config={key: "x"})
    assert "managed by %s" % option in str(err)


@pytest.mark.parametrize("key", ["numproc", "1X", "A-B", ""])
def test_bad_config_keys(key):
    err = refused("config", config={key: "1"})
    assert "is not a config key" in str(err)


@pytest.mark.parametrize("key, value", [
    ("NUMPROC", "10Q"),
    ("NUMPROC", "66:65"),
    ("PHYSPAGES", "lots"),
    ("DISKSPACE", "2G:1G"),
    ("CPUUNITS", "10%"),
    ("DISABLED", "maybe"),
    ("DESCRIPTION", "$(reboot)"),
    ("DESCRIPTION", "two\nlines"),
    ("CPUUNITS", True),
])
def test_bad_config_values(key, value):
    refused("config.%s" % key, config={key: value})


@pytest.mark.parametrize("key, value, expected", [
    ("DISABLED", True, "yes"),
    ("DISABLED", False, "no"),
    ("CPUUNITS", 1000, "1000"),
    ("NUMPROC", "65:65", "65:65"),
    ("DESCRIPTION", ["web", "front"], "web front"),
    ("BOOTORDER_TAGS", ("a:on", "b:off"), "a:on b:off"),
    ("KMEMSIZE", None, None),
])
def test_config_values_become_text(key, value, expected):
    assert spec(config={key: value}).config == {key: expected}


@pytest.mark.parametrize("key, option", [
    ("CAPABILITY", "capability"), ("FEATURES", "features"), ("DEVICES", "devices"),
    ("LOCAL_UID", "unprivileged"), ("LOCAL_GID", "unprivileged"),
])
def test_confinement_keys_belong_to_their_options(key, option):
    with pytest.raises(VzConfigError) as err:
        spec(config={key: "x"})
    assert err.value.details["param"] == "config.%s" % key
    assert option in str(err.value)


@pytest.mark.parametrize("option, value, param", [
    ("capability", ["sys_time"], "capability"),
    ("features", ["nesting:on"], "features"),
    ("devices", ["c:10:200"], "devices"),
])
def test_bad_confinement_options_name_the_option(option, value, param):
    with pytest.raises(VzConfigError) as err:
        spec(**{option: value})
    assert err.value.details["param"] == param


def test_config_none_is_kept_to_mean_unset():
    s = spec(config={"KMEMSIZE": None, "NUMPROC": "65:65"})
    assert s.config == {"KMEMSIZE": None, "NUMPROC": "65:65"}
    assert "KMEMSIZE" in s.config


@pytest.mark.parametrize("value, expected", [(None, 60), (0, 0), (30, 30), ("45", 45)])
def test_stop_timeout(value, expected):
    assert spec(stop_timeout=value).stop_timeout == expected


@pytest.mark.parametrize("value", [-1, "-5"])
def test_negative_stop_timeout_is_refused(value):
    err = refused("stop_timeout", stop_timeout=value)
    assert "is negative" in str(err)


def test_layouts():
    assert spec(layout="simfs").layout == "simfs"
    assert spec().layout is None


@pytest.mark.parametrize("layout", ["ploop", "zfsx", "", "SIMFS"])
def test_unknown_layout_is_refused(layout):
    err = refused("layout", layout=layout)
    assert "unknown layout" in str(err)
    assert "simfs" in err.details["hint"]


@pytest.mark.parametrize("ostemplate", ["../../etc/shadow", ".hidden", "a/b"])
def test_bad_ostemplate_is_refused(ostemplate):
    refused("ostemplate", ostemplate=ostemplate)


def test_everything_at_once():
    s = spec(ctid=202, state="started", ostemplate="debian-12", layout="simfs", config_sample="vps.basic",
             hostname="web.example.com", nameserver=["10.0.0.1"], searchdomain=["example.com"], onboot=True,
             config={"NUMPROC": "400:400", "DISABLED": False}, stop_timeout=5, vz_conf="/srv/vz/vz.conf")
    assert s == ContainerSpec(ctid="202", state="started", ostemplate="debian-12", layout="simfs",
                              config_sample="vps.basic", hostname="web.example.com", nameserver=("10.0.0.1",),
                              searchdomain=("example.com",), onboot=True,
                              config={"NUMPROC": "400:400", "DISABLED": "no"}, stop_timeout=5,
                              vz_conf="/srv/vz/vz.conf")


# ---- network -------------------------------------------------------------------------------------

def netif_option(**kw) -> dict:
    """One `netif` entry as Ansible passes it: every option present, unset ones None."""
    d = dict.fromkeys(("name", "bridge", "mac", "host_ifname", "host_mac", "mtu", "ip_address", "gateway"))
    d["create_bridge"] = False
    d.update(kw)
    return d


def test_network_options_default_to_unmanaged():
    assert spec().ip_address is None
    assert spec().netif is None
    assert spec(ip_address=None, netif=None) == spec()
    assert spec(ip_address=[], netif=[]).ip_address == ()
    assert spec(ip_address=[], netif=[]).netif == ()


@pytest.mark.parametrize("value, expected", [
    (["198.51.100.10"], ("198.51.100.10",)),
    (["198.51.100.10/32", "fd42:7a6b:0::10/128", "10.113.0.5/24"], ("198.51.100.10", "fd42:7a6b::10", "10.113.0.5/24")),
    (["FD42:7A6B::10/64", " 198.51.100.10 "], ("fd42:7a6b::10/64", "198.51.100.10")),
])
def test_ip_address_is_canonical(value, expected):
    assert spec(ip_address=value).ip_address == expected


@pytest.mark.parametrize("value, param, message", [
    (["web"], "ip_address[0]", "is not an IP address"),
    (["198.51.100.10", "198.51.100.10 198.51.100.11"], "ip_address[1]", "is not an IP address"),
    (["198.51.100.10", "127.0.0.1"], "ip_address[1]", "loopback"),
    (["fe80::10"], "ip_address[0]", "link-local"),
    (["ff02::1"], "ip_address[0]", "multicast"),
    (["198.51.100.10/0"], "ip_address[0]", "prefix length 0"),
    (["198.51.100.10", "198.51.100.10/24"], "ip_address", "listed twice"),
    (["fd42:7a6b::10", "fd42:7a6b:0::10/64"], "ip_address", "listed twice"),
])
def test_bad_ip_address(value, param, message):
    err = refused(param, ip_address=value)
    assert message in str(err)
    assert err.details["hint"]


def test_netif_entries():
    s = spec(netif=[netif_option(name="eth0", bridge="vzbr0", ip_address=["198.51.100.20/24", "fd42:7a6b:0::20/64"],
                                 gateway=["198.51.100.1", "fd42:7a6b::1"], mac="02:00:5E:10:00:01", mtu=1400),
                    netif_option(name="eth1", bridge="vzbr1", host_ifname="web.1", host_mac="06-00-5e-10-00-01",
                                 create_bridge=True)])
    assert s.netif == (
        Netif(name="eth0", bridge="vzbr0", mac="02:00:5e:10:00:01", mtu=1400, ip_address=("198.51.100.20/24", "fd42:7a6b::20/64"),
              gateway=("198.51.100.1", "fd42:7a6b::1")),
        Netif(name="eth1", bridge="vzbr1", host_ifname="web.1", host_mac="06:00:5e:10:00:01", create_bridge=True),
    )


@pytest.mark.parametrize("netif, param, message", [
    ([netif_option()], "netif[0].name", "is not an interface name"),
    ([netif_option(name="eth0"), netif_option(name="eth 1")], "netif[1].name", "is not an interface name"),
    ([netif_option(name="eth0", bridge="x" * 16)], "netif[0].bridge", "is not an interface name"),
    ([netif_option(name="eth0", mac="02:00:5e:10:00")], "netif[0].mac", "is not a MAC address"),
    ([netif_option(name="eth0", mac="01:00:5e:10:00:01")], "netif[0].mac", "multicast"),
    ([netif_option(name="eth0"), netif_option(name="eth1", host_mac="ff:ff:ff:ff:ff:ff")], "netif[1].host_mac", "multicast"),
    ([netif_option(name="eth0", host_ifname="venet101")], "netif[0].host_ifname", "kept for routed interfaces"),
    ([netif_option(name="eth0", host_ifname="veth/0")], "netif[0].host_ifname", "is not an interface name"),
    ([netif_option(name="eth0", mtu=50)], "netif[0].mtu", "is not an MTU"),
    ([netif_option(name="eth0", ip_address=["198.51.100.20/24", "224.0.0.1"])], "netif[0].ip_address[1]", "multicast"),
    ([netif_option(name="eth0", ip_address=["198.51.100.20/24", "198.51.100.20"])], "netif[0].ip_address", "listed twice"),
    ([netif_option(name="eth0", gateway=["198.51.100.1"])], "netif[0].gateway", "not on this interface's networks"),
    ([netif_option(name="eth0", ip_address=["198.51.100.20/24"], gateway=["10.113.0.1"])], "netif[0].gateway", "not on this"),
    ([netif_option(name="eth0", ip_address=["198.51.100.20/24"], gateway=["198.51.100.1", "198.51.100.2"])],
     "netif[0].gateway", "two IPv4 gateways"),
    ([netif_option(name="eth0", ip_address=["198.51.100.20/24"], gateway=["gw.example.com"])], "netif[0].gateway",
     "is not an IP address"),
])
def test_bad_netif(netif, param, message):
    err = refused(param, netif=netif)
    assert message in str(err)
    assert err.details["hint"]
