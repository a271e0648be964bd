# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vz_container's options as an Ansible argument spec: the one spec vz_container validates its
parameters with and vz_fleet validates each of its containers with.

Private to vzkit.vz; may change in any release. Plain data (no Ansible import): ``ContainerSpec``
(``_spec``) then checks what the spec cannot say.
"""
from __future__ import annotations

from .._config import DEFAULT_VZ_CONF
from .._layouts import LAYOUTS
from .._spec import SETMODES, STATES


def container_argument_spec() -> dict:
    return dict(
        ctid=dict(type="str", required=True, aliases=["name"]),
        state=dict(type="str", default="present", choices=list(STATES)),
        ostemplate=dict(type="str"),
        layout=dict(type="str", choices=sorted(LAYOUTS)),
        zfs_dataset=dict(type="str"),
        zvol=dict(type="dict", options=dict(
            size=dict(type="str"),
            volblocksize=dict(type="str"),
            sparse=dict(type="bool"),
            fs=dict(type="str", choices=["ext4", "xfs"]),
            compression=dict(type="str"),
        )),
        config_sample=dict(type="str"),
        hostname=dict(type="str"),
        nameserver=dict(type="list", elements="str"),
        searchdomain=dict(type="list", elements="str"),
        onboot=dict(type="bool"),
        ip_address=dict(type="list", elements="str"),
        netif=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True),
            bridge=dict(type="str", required=True),
            create_bridge=dict(type="bool", default=False),
            mac=dict(type="str"),
            host_ifname=dict(type="str"),
            host_mac=dict(type="str"),
            mtu=dict(type="int"),
            ip_address=dict(type="list", elements="str"),
            gateway=dict(type="list", elements="str"),
        )),
        config=dict(type="dict", default={}),
        stop_timeout=dict(type="int", default=60),
        unprivileged=dict(type="bool"),
        ram=dict(type="str"),
        swap=dict(type="str"),
        cpus=dict(type="int"),
        cpulimit=dict(type="int"),
        cpuunits=dict(type="int"),
        cpumask=dict(type="str"),
        numproc=dict(type="str"),
        iolimit=dict(type="str"),
        iopslimit=dict(type="int"),
        ioprio=dict(type="int"),
        setmode=dict(type="str", default="fail", choices=list(SETMODES)),
        capability=dict(type="list", elements="str"),
        devices=dict(type="list", elements="str"),
        features=dict(type="list", elements="str"),
        vz_conf=dict(type="path", default=DEFAULT_VZ_CONF),
    )


__all__ = ["container_argument_spec"]
