# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_net._netlink without pyroute2: a clear error naming the parameter, and nothing that needs it is
called. The calls themselves run against real namespaces in the vz_network integration target."""
from __future__ import annotations

import pytest

from ansible_collections.vzkit.vz.plugins.module_utils._errors import VzUnsupported
from ansible_collections.vzkit.vz.plugins.module_utils._net import _netlink as network
from ansible_collections.vzkit.vz.plugins.module_utils._net import _steps as wiring
from ansible_collections.vzkit.vz.plugins.module_utils._net._config import NetConfig
from ansible_collections.vzkit.vz.plugins.module_utils._net._steps import Env


def routed(*addresses) -> NetConfig:
    return NetConfig("101", tuple(addresses))


# ---- without pyroute2 --------------------------------------------------------------------------

@pytest.fixture(name="no_pyroute2")
def fixture_no_pyroute2(monkeypatch):
    monkeypatch.setattr(network, "HAS_PYROUTE2", False)
    monkeypatch.setattr(network, "PYROUTE2_IMPORT_ERROR", "Traceback (most recent call last):\nModuleNotFoundError: pyroute2\n")


@pytest.mark.parametrize("param", ["ip_address", "netif", "ip_address/netif"])
def test_require_without_pyroute2(no_pyroute2, param):
    with pytest.raises(VzUnsupported) as exc:
        network.require(param)
    assert str(exc.value).startswith("`%s`: container networking (%s) is not available on this host: " % (param, param))
    assert "pyroute2" in str(exc.value)
    assert exc.value.details["param"] == param
    assert "pip install pyroute2" in exc.value.details["hint"]
    assert "python3-pyroute2" in exc.value.details["hint"]
    assert exc.value.details["exception"].endswith("ModuleNotFoundError: pyroute2\n")


def test_require_with_pyroute2(monkeypatch):
    monkeypatch.setattr(network, "HAS_PYROUTE2", True)
    monkeypatch.setattr(network, "load", lambda: True)  # (the unit tests' Python may lack it; loading is not the test)
    assert network.require("ip_address") is None


def test_without_pyroute2_nothing_needs_it(no_pyroute2):
    with pytest.raises(VzUnsupported) as exc:
        network.Session(host=None, pid=4242)
    assert exc.value.details["param"] == "ip_address/netif"
    with pytest.raises(VzUnsupported):
        wiring.check_host(routed("198.51.100.10"), Env())
    assert network.teardown(None, "101", routed("198.51.100.10")) is None  # nothing can have been set up
