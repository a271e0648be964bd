#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vzkit.vz contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: vz_container
short_description: Manage OpenVZ-style system containers on a stock Linux host
version_added: 0.1.0
description:
  - Creates, mounts, starts, stops, restarts and destroys system containers on the host the module
    runs on, the way C(vzctl) did on OpenVZ, with the configuration kept in OpenVZ's format
    (C(/etc/vz/conf/CTID.conf)).
  - A container is a directory tree made from an OS template cache (C(TEMPLATE/cache/NAME.tar.{zst,xz,gz})).
    Started, its own init runs as pid 1 of new mount, pid, UTS, IPC, network and cgroup namespaces,
    in its own cgroup, detached from Ansible; no process of vzkit stays behind. Its console output
    goes to C(VZ_LOG_DIR/CTID.console.log).
  - State is found again from disk and C(/proc) only (C(VZ_RUN_DIR/CTID/init.pid) holds the init's
    pid and start time), so a container outlives the Ansible run that started it.
  - Runs on one container serialize through a lock in C(LOCKDIR); runs on different containers do not.
  - Every container is confined by default - its own user namespace, a reduced capability bounding set,
    a seccomp filter, a device allow-list, host tunables in C(/proc) read-only or masked, C(/sys)
    read-only, and mounts it cannot undo; O(capability), O(devices), O(features) and O(unprivileged) adjust it.
  - The host writes C(/etc/hostname), C(/etc/hosts) and C(/etc/resolv.conf) inside the container's
    tree at start (and live when they change on a running container) without following any link
    out of that tree. C(/etc/hosts) maps the host name to the container's first address.
  - Networking is wired from the host through netlink (pyroute2) before the container's init runs,
    in two models - routed addresses (O(ip_address), OpenVZ's venet) and bridged interfaces (O(netif),
    OpenVZ's veth) - and changed live on a running container. Nothing of it stays on the host once the
    container stops.
author:
  - vzkit.vz contributors (@vzkit)
extends_documentation_fragment:
  - vzkit.vz._attributes
  - vzkit.vz._attributes.actiongroup_vz
  - vzkit.vz._common
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the container's state before and after, and the full text of C(CTID.conf)
        before and after.
  idempotent:
    support: partial
    details:
      - O(state=restarted) always restarts, and so always reports a change.
  platform:
    platforms: linux
options:
  ctid:
    description:
      - The container's id, as in OpenVZ.
      - Digits (V(101)) or a name of letters, digits, C(-), C(_) and C(.), not starting with C(.),
        at most 64 characters. Anything else is rejected before any change.
    type: str
    required: true
    aliases: [name]
  state:
    description:
      - V(present) makes sure the container exists (creating it stopped) and leaves a running one running.
      - V(mounted) makes sure its root area is mounted and that it is not running (a running container is stopped, its root stays mounted).
      - V(started) makes sure it runs (creating and mounting it as needed).
      - V(stopped) makes sure it exists, does not run, and its root area is unmounted.
      - V(restarted) stops it if it runs, then starts it.
      - V(absent) stops it and removes its private area, root area, console log and config.
    type: str
    choices: [present, mounted, started, stopped, restarted, absent]
    default: present
  ostemplate:
    description:
      - Name of the OS template cache to create the container from, for example V(busybox) or
        V(debian-12-x86_64-minimal), found as C(TEMPLATE/cache/NAME.tar.zst), C(.tar.xz), C(.tar.gz) or C(.tar).
      - Needed when the container is created, unless vz.conf sets C(DEF_OSTEMPLATE). Ignored, with
        a warning, for an existing container created from another template.
    type: str
  layout:
    description:
      - How the container's files are stored. V(simfs) keeps the private area as a directory on the
        host's filesystem, bind-mounted onto the root area.
      - V(zfs) makes it a ZFS dataset C(PARENT/CTID) (see O(zfs_dataset)) mounted at the private area, cloned
        from a template dataset - the template cache is unpacked once into C(PARENT/.vzkit-templates/NAME-ID)
        and snapshotted, so creating a container takes the same time whatever the template's size. Every
        dataset made for a container carries C(vzkit:ctid=CTID); destroy removes only those, never
        recursively. Snapshots (M(vzkit.vz.vz_snapshot)) and two-level quota (M(vzkit.vz.vz_quota)) need it;
        C(DISKSPACE) in the config at creation becomes its C(refquota) (change it later with M(vzkit.vz.vz_quota)).
      - V(zvol) puts it on a ZFS volume C(PARENT/CTID) of its own (see O(zvol)) - a GPT label, one partition, and
        ext4 made as ploop makes it (or xfs), mounted at the private area; the volume's size is the container's
        first-level quota, the filesystem's user and group quota its second (M(vzkit.vz.vz_quota)); snapshots
        freeze the filesystem around C(zfs snapshot). M(vzkit.vz.vz_zvol) changes the volume afterwards.
      - V(simfs) on xfs, or on ext4 with the C(quota,project) features, gives the container a project id of its
        own (C(DISK_PROJID)); C(DISKSPACE) and C(DISKINODES) become its project quota where the filesystem
        enforces it (see M(vzkit.vz.vz_quota)).
      - Defaults to C(VE_LAYOUT) from vz.conf, else V(simfs). A container's layout cannot change after creation.
    type: str
    choices: [simfs, zfs, zvol]
  zfs_dataset:
    description:
      - With O(layout=zfs) or O(layout=zvol), the parent dataset of the containers' datasets or volumes
        (C(VE_ZFS_DATASET)), for example V(vz/private); it must exist. Defaults to C(VE_ZFS_DATASET) from vz.conf.
        Saved in C(CTID.conf) at creation; it cannot change afterwards.
    type: str
  zvol:
    description:
      - With O(layout=zvol), the container's volume, made when the container is created. Saved in C(CTID.conf)
        as C(DISKSPACE) and C(ZVOL_BLOCKSIZE), C(ZVOL_SPARSE), C(ZVOL_FS), C(ZVOL_COMPRESSION).
      - On an existing container, a changed O(zvol.size) resizes the volume as M(vzkit.vz.vz_zvol) does; the other
        keys are fixed at creation, and a difference is reported as a warning, not applied.
    type: dict
    suboptions:
      size:
        description: The volume's size (C(K), C(M), C(G), C(T)); needed at creation (or C(DISKSPACE) in O(config)).
        type: str
      volblocksize:
        description: The volume's block size, V(4K) to V(128K). Defaults to V(16K).
        type: str
      sparse:
        description:
          - Leave out the volume's C(refreservation), so it takes pool space only as it is written. Defaults to
            V(true) at creation.
        type: bool
      fs:
        description: The filesystem made on it. Defaults to V(ext4) at creation.
        type: str
        choices: [ext4, xfs]
      compression:
        description: The volume's C(compression), for example V(lz4). Defaults to the parent dataset's.
        type: str
  config_sample:
    description:
      - Config sample applied at creation, as C(vzctl create --config NAME) does it, from
        C(ve-NAME.conf-sample) from the config directory, or a built-in sample (V(vps.basic), OpenVZ's
        sample of that name; V(unlimited), no resource keys).
      - Defaults to C(CONFIGFILE) from vz.conf, else none. Used only at creation.
    type: str
  hostname:
    description:
      - Host name of the container (C(HOSTNAME)); written to its C(/etc/hostname) and C(/etc/hosts)
        and set in its UTS namespace, live when it runs.
      - When never set, a started container's UTS host name is its ctid and its files are left alone.
    type: str
  nameserver:
    description:
      - DNS servers (C(NAMESERVER)), written to the container's C(/etc/resolv.conf).
      - An empty list removes them from the config (the container's file is then left as it is).
    type: list
    elements: str
  searchdomain:
    description:
      - DNS search domains (C(SEARCHDOMAIN)), written to the container's C(/etc/resolv.conf).
    type: list
    elements: str
  onboot:
    description:
      - Whether the host starts the container at boot (C(ONBOOT)).
    type: bool
  ip_address:
    description:
      - Routed addresses (C(IP_ADDRESS)), OpenVZ's venet model - IPv4 and IPv6, each with an optional
        C(/prefix) (the prefix the container sees; the host routes only the address itself).
      - The container gets one interface, C(venet0), paired with C(venetCTID) on the host. The host routes
        each address (/32 or /128) to it, answers ARP/NDP for it on the devices C(NEIGHBOUR_DEVS) in
        vz.conf names (V(detect), the default, picks the devices whose networks hold the address; V(all);
        V(none); or device names), and the container's default routes go through the host
        (C(default dev venet0) for IPv4, C(default via fe80::1) for IPv6).
      - Anti-spoofing as venet did it - the container sends only from its own addresses - by one nftables
        rule in table C(inet vzkit) (C(iifname "venet*" fib saddr . iif oif missing drop)), which drops any
        packet from a routed container whose source address the host would not route back to it.
      - Forwarding between containers and beyond the host needs C(net.ipv6.conf.all.forwarding=1) for IPv6
        (warned about when off); IPv4 forwarding is turned on for the container's host interface only.
      - Changed live on a running container (addresses and routes added and removed, nothing restarted).
        An empty list removes them all. Every address must be the container's own - not the host's, not
        another container's (checked against every C(CTID.conf)).
      - Needs the pyroute2 Python library and the nft command on the host.
    type: list
    elements: str
  netif:
    description:
      - Bridged interfaces (C(NETIF)), OpenVZ's veth model. Each is a veth pair whose host side joins a
        bridge; the whole list is the container's set of bridged interfaces (interfaces not listed are
        removed, live on a running container). An empty list removes them all.
      - MAC addresses left out are generated once - derived from the host's machine id, the ctid and the
        interface name - and saved in C(CTID.conf), so they stay the same across restarts.
      - Needs the pyroute2 Python library on the host.
    type: list
    elements: dict
    suboptions:
      name:
        description: Interface name inside the container.
        type: str
        required: true
      bridge:
        description: Host bridge the host side joins.
        type: str
        required: true
      create_bridge:
        description:
          - Create the bridge (up, no address) when it does not exist, instead of failing.
            C(VZ_CREATE_BRIDGE=yes) in vz.conf does the same for every interface. A created bridge stays
            when the container goes.
        type: bool
        default: false
      mac:
        description: MAC address inside (generated when left out).
        type: str
      host_ifname:
        description: Name of the host side (default C(vethCTID.N), N being the position in the list).
        type: str
      host_mac:
        description: MAC address of the host side (generated when left out).
        type: str
      mtu:
        description: MTU of both sides (the kernel's default when left out).
        type: int
      ip_address:
        description:
          - Static addresses inside, with prefix (V(198.51.100.20/24), V(fd42:7a6b::20/64)). Left out, the
            container configures the interface itself (DHCP, SLAAC).
        type: list
        elements: str
      gateway:
        description:
          - Default routers inside, at most one IPv4 and one IPv6, each on one of the interface's networks.
            A gateway here takes the default route of its family from O(ip_address)'s C(venet0).
        type: list
        elements: str
  config:
    description:
      - Raw C(CTID.conf) keys and values, as in OpenVZ, for example C(NUMPROC) V(65:65) or C(DISKSPACE) V(10G:11G).
      - Values are validated by key family (UBC C(barrier:limit) pairs with C(K/M/G/T/P) suffixes,
        counts, C(yes)/C(no) flags); keys unknown to vzkit are kept as given.
      - A V(null) value removes the key. Keys managed by another option (C(HOSTNAME), C(NAMESERVER),
        C(SEARCHDOMAIN), C(ONBOOT), C(OSTEMPLATE), C(VE_LAYOUT), C(VE_ROOT), C(VE_PRIVATE), C(ORIGIN_SAMPLE),
        C(IP_ADDRESS), C(NETIF), ...) are refused.
      - Keys not given here are left as they are in the file.
    type: dict
    default: {}
  unprivileged:
    description:
      - Map the container's users to a range of 65536 host ids of its own (C(LOCAL_UID)/C(LOCAL_GID) in its
        config), as LXC and Incus unprivileged containers do. Ranges are claimed under a host-wide lock and
        checked against every container, so no two containers share ids, even when created at once.
      - New containers are unprivileged unless this is V(false). Left out, an existing container keeps the
        mapping it has.
      - V(false) is the opt-in identity mapping, where container uid N is host uid N. Every container still runs in
        its own user namespace, so its root's capabilities act only on its own namespaces, but its root is
        host uid 0 for files, so what it can reach through a kernel bug or a host-side mistake it owns as
        host root (files, cgroup control files it may mount). Choose it only for trusted workloads that need
        host ownership of their files (bind-mounted host data, say).
      - Turning it on or off shifts the ownership of the private area (the diff shows the old and new
        C(uid_map)); the container must be stopped.
      - See the confinement section of the README for what each container is denied by default.
    type: bool
  capability:
    description:
      - Capabilities to give back to (V(NAME:on)) or take from (V(NAME:off)) the container, in OpenVZ's
        C(CAPABILITY) syntax, for example V(sys_time:on). Names are the kernel's without C(CAP_), lower case.
      - By default the bounding set lacks sys_module, sys_rawio, sys_time, sys_pacct, sys_ptrace, mac_admin,
        mac_override, syslog, wake_alarm, block_suspend, audit_control, audit_read, perfmon, bpf and
        checkpoint_restore. Giving one back is a risk only where the kernel honours it from a user
        namespace (most of these are checked against the host's user namespace and stay denied anyway).
      - Takes effect at the next start. An empty list returns to the defaults.
    type: list
    elements: str
  devices:
    description:
      - Extra devices the container may use, in OpenVZ's C(DEVICES) syntax C(KIND:MAJOR:MINOR:ACCESS),
        for example V(c:10:200:rw); C(*) is any number, access is of C(r), C(w), C(m) (mknod).
      - By default only the nodes of its private C(/dev) (null, zero, full, random, urandom, tty, ptmx,
        pts) are allowed. The risk is that an allowed host device is usable if the container can reach a node for it.
      - Takes effect at the next start. An empty list returns to the defaults.
    type: list
    elements: str
  features:
    description:
      - Features to turn on (V(NAME:on)) in OpenVZ's C(FEATURES) syntax.
      - V(fuse:on) creates and allows C(/dev/fuse) (risk - a FUSE server can stall host processes that walk the tree).
      - V(tun:on) creates and allows C(/dev/net/tun) for VPNs (risk - small, interfaces stay in the container's network namespace).
      - V(nnp:on) sets no_new_privs on the init, so setuid programs gain nothing (safer; breaks su and sudo).
      - Takes effect at the next start.
    type: list
    elements: str
  ram:
    description:
      - Memory limit (C(RAM) in the config), with K, M, G, T suffixes, for example V(512M). The container's
        processes are reclaimed and then OOM-killed inside it above this; the host and other containers
        are not touched. Raw C(PHYSPAGES="barrier:limit") in O(config) works too (barrier throttles, limit kills).
      - Applied live to a running container.
    type: str
  swap:
    description:
      - Swap the container may use on top of O(ram) (C(SWAP)); V(0) for none. Raw C(SWAPPAGES) works too.
    type: str
  cpus:
    description: Number of CPUs' worth of time the container may use (C(CPUS)); combined with O(cpulimit), the lower cap wins.
    type: int
  cpulimit:
    description: CPU cap in percent of one CPU (C(CPULIMIT), as vzctl), for example V(50) or V(200) for two CPUs.
    type: int
  cpuunits:
    description: Relative CPU weight against other containers (C(CPUUNITS), OpenVZ default 1000, 8 to 500000).
    type: int
  cpumask:
    description: CPUs the container may run on (C(CPUMASK)), for example V(0-1) or V(0,2); V(all) for every CPU.
    type: str
  numproc:
    description:
      - Most processes (and threads) the container may have (C(NUMPROC)), as V(N) or OpenVZ's V(barrier:limit).
    type: str
  iolimit:
    description:
      - Disk bandwidth cap for reads and writes on the disk holding the private area (C(IOLIMIT)), per second,
        for example V(10M). On cgroup v1 the kernel throttles direct and synchronous I/O only.
    type: str
  iopslimit:
    description: Disk operations per second cap on the same disk (C(IOPSLIMIT)).
    type: int
  ioprio:
    description:
      - Disk I/O priority 0 (lowest) to 7 (highest), 4 being the default weight (C(IOPRIO)). Needs the BFQ
        scheduler on cgroup v1 or the io controller on v2; reported as not enforced otherwise.
    type: int
  setmode:
    description:
      - What to do when a change that takes effect only at start (O(capability), O(devices), O(features))
        is made to a running container, as vzctl's C(--setmode).
      - V(fail) refuses the change with a message, V(restart) restarts the container, V(ignore) saves the
        change for the next start. Resource limits and the host name apply live and never need it.
    type: str
    choices: [fail, restart, ignore]
    default: fail
  stop_timeout:
    description:
      - Seconds to wait for the container's init to shut down after being asked (SIGRTMIN+4 for systemd,
        SIGUSR2 for busybox init, SIGTERM otherwise) before everything left in its cgroup is killed.
    type: int
    default: 60
notes:
  - Needs root on the target (namespaces, mounts and cgroups).
  - Works on cgroup v1, hybrid and v2 hosts; the hierarchy is detected once per run.
seealso:
  - module: vzkit.vz.vz_container_info
  - module: vzkit.vz.vz_fleet
    description: Many containers in one task, each with these options, converged side by side.
"""

EXAMPLES = r"""
- name: Create a container from the busybox template (stopped)
  vzkit.vz.vz_container:
    ctid: "101"
    ostemplate: busybox
    hostname: ct101.example.org

- name: Create and start a container with OpenVZ's vps.basic limits and DNS settings
  vzkit.vz.vz_container:
    ctid: web1
    state: started
    ostemplate: debian-12-x86_64-minimal
    config_sample: vps.basic
    hostname: web1.example.org
    nameserver: [198.51.100.53]
    searchdomain: [example.org]
    onboot: true

- name: Set raw CTID.conf keys, and remove one
  vzkit.vz.vz_container:
    ctid: "101"
    config:
      NUMPROC: "128:128"
      DESCRIPTION: build host
      KMEMSIZE: null

- name: Limits, applied live to a running container
  vzkit.vz.vz_container:
    ctid: "101"
    state: started
    ram: 512M
    swap: 256M
    cpulimit: 50
    cpuunits: 2000
    cpumask: "0-1"
    numproc: 200
    iolimit: 20M

- name: Change a confinement option of a running container, restarting it
  vzkit.vz.vz_container:
    ctid: "101"
    features: ["fuse:on"]
    setmode: restart

- name: A container with routed addresses (venet), reachable from the host's LAN through proxy ARP/NDP
  vzkit.vz.vz_container:
    ctid: "101"
    state: started
    ip_address:
      - 198.51.100.10
      - fd42:7a6b::10/64

- name: A container on a host bridge, with static addresses and gateways
  vzkit.vz.vz_container:
    ctid: "102"
    state: started
    ostemplate: busybox
    netif:
      - name: eth0
        bridge: vzbr0
        mtu: 1500
        ip_address: [198.51.100.20/24, "fd42:7a6b::20/64"]
        gateway: [198.51.100.1, "fd42:7a6b::1"]

- name: Create the bridge if the host lacks it, and let the container configure itself (DHCP)
  vzkit.vz.vz_container:
    ctid: "103"
    state: started
    netif:
      - name: eth0
        bridge: vzbr1
        create_bridge: true

- name: Remove all routed addresses of a running container (live)
  vzkit.vz.vz_container:
    ctid: "101"
    ip_address: []

- name: Mount the root area of a stopped container (to inspect or repair it)
  vzkit.vz.vz_container:
    ctid: "101"
    state: mounted

- name: Stop a container, giving its init 30 seconds to shut down
  vzkit.vz.vz_container:
    ctid: "101"
    state: stopped
    stop_timeout: 30

- name: Restart a container
  vzkit.vz.vz_container:
    ctid: "101"
    state: restarted

- name: An unprivileged container with FUSE, and the clock capability given back
  vzkit.vz.vz_container:
    ctid: fuse1
    state: started
    ostemplate: busybox
    unprivileged: true
    features: ["fuse:on"]
    capability: ["sys_time:on"]

- name: Let a container use the tun device
  vzkit.vz.vz_container:
    ctid: vpn1
    state: restarted
    devices: ["c:10:200:rw"]

- name: Destroy a container
  vzkit.vz.vz_container:
    ctid: "101"
    state: absent

- name: A container on ZFS, cloned from the template's dataset
  vzkit.vz.vz_container:
    ctid: "110"
    state: started
    ostemplate: debian-12-x86_64-minimal
    layout: zfs
    zfs_dataset: vz/private
    config:
      DISKSPACE: 10G

- name: A container on a 10G sparse ZFS volume with 16K blocks, ext4 on it
  vzkit.vz.vz_container:
    ctid: "120"
    state: started
    ostemplate: debian-12-x86_64-minimal
    layout: zvol
    zfs_dataset: tank/vz
    zvol: {size: 10G, volblocksize: 16K, sparse: true, fs: ext4, compression: lz4}

- name: Use a test tree of its own (paths from another vz.conf)
  vzkit.vz.vz_container:
    ctid: "200"
    state: started
    ostemplate: busybox
    vz_conf: /srv/vz-test/etc/vz/vz.conf
"""

RETURN = r"""
container:
  description: The container as it is after the run (in check mode, as it would be).
  returned: always
  type: dict
  contains:
    ctid:
      description: The container's id.
      type: str
      sample: "101"
    state:
      description: V(absent), V(stopped), V(mounted) or V(running).
      type: str
      sample: running
    init_pid:
      description: Host pid of the container's init while it runs, else V(null).
      type: int
      sample: 41234
    hostname:
      description: C(HOSTNAME) from the config.
      type: str
      sample: ct101.example.org
    ip_address:
      description: Routed addresses (C(IP_ADDRESS) from the config).
      type: list
      elements: str
      sample: ["198.51.100.10", "fd42:7a6b::10/64"]
    netif:
      description: Bridged interfaces (C(NETIF) from the config), with the MACs and host names generated for them.
      type: list
      elements: dict
      sample: [{"name": "eth0", "bridge": "vzbr0", "mac": "02:5c:1e:8a:31:07", "host_ifname": "veth102.0",
                "host_mac": "06:9b:22:40:ae:10", "mtu": 1500, "ip_address": ["198.51.100.20/24"],
                "gateway": ["198.51.100.1"], "create_bridge": false}]
    layout:
      description: The container's layout; null when it is absent.
      type: str
      sample: simfs
    private:
      description: Path of the private area.
      type: str
      sample: /vz/private/101
    root:
      description: Path of the root area (where the root is mounted while mounted or running).
      type: str
      sample: /vz/root/101
    ostemplate:
      description: The template the container was created from.
      type: str
      sample: busybox
    fleet:
      description: The M(vzkit.vz.vz_fleet) fleet the container is a member of (C(VZKIT_FLEET)), or null.
      type: str
      sample: web
    config:
      description: Every key of C(CTID.conf) with its value; empty when absent.
      type: dict
      sample: {"HOSTNAME": "ct101.example.org", "VE_LAYOUT": "simfs", "NUMPROC": "65:65"}
    console_log:
      description: Host file that receives the container's console (its C(/dev/console) and init's output).
      type: str
      sample: /var/log/vz/101.console.log
    unenforced:
      description:
        - Keys in the config that no mainline kernel mechanism enforces (UBC keys such as C(KMEMSIZE),
          C(NUMTCPSOCK), C(PRIVVMPAGES), and disk quota keys until a layout enforces them). They are stored
          as given and reported here and in warnings, never dropped.
      type: list
      elements: str
      sample: ["KMEMSIZE", "NUMTCPSOCK"]
    usage:
      description: What the running container uses now, from its cgroups; null when it does not run.
      type: dict
      contains:
        memory:
          description: Memory in bytes.
          type: int
        swap:
          description: Swap in bytes (null where the host does not account it).
          type: int
        pids:
          description: Processes and threads.
          type: int
        cpu_seconds:
          description: CPU time used since start, in seconds.
          type: float
    id_range:
      description:
        - The host ids the container's users map to (C(LOCAL_UID)/C(LOCAL_GID)); V(null) for an identity-mapped
          container (O(unprivileged=false)).
        - C(overlaps) names other containers holding some of the same host ids (a range set by hand); such a
          container is refused at start until one of them moves to a range of its own.
      type: dict
      contains:
        first_uid:
          description: Host uid of the container's root.
          type: int
          sample: 100000
        first_gid:
          description: Host gid of the container's root group.
          type: int
          sample: 100000
        count:
          description: How many ids the range holds.
          type: int
          sample: 65536
        overlaps:
          description: Other containers whose range shares ids with this one.
          type: list
          elements: str
          sample: []
    limits_drift:
      description:
        - Limit files of a running container whose value the kernel holds no longer matches what vzkit applied
          (changed on the host behind vzkit's back). M(vzkit.vz.vz_container) puts them back, as a change.
      type: list
      elements: dict
      sample: [{"file": "/sys/fs/cgroup/pids/vz/101/pids.max", "applied": "100", "now": "max"}]
actions:
  description: The steps planned (check mode) or done, in order, in words.
  returned: always
  type: list
  elements: str
  sample: ["create container 101 from template busybox (layout simfs)", "start container 101"]
diff:
  description: State before and after, and the text of C(CTID.conf) before and after.
  returned: when diff mode is on
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vzkit.vz.plugins.module_utils._container._args import container_argument_spec
from ansible_collections.vzkit.vz.plugins.module_utils._container._ensure import ensure
from ansible_collections.vzkit.vz.plugins.module_utils._host import ModuleHost, run_module
from ansible_collections.vzkit.vz.plugins.module_utils._spec import ContainerSpec


def main():
    module = AnsibleModule(argument_spec=container_argument_spec(), supports_check_mode=True)
    run_module(module, lambda: ensure(ContainerSpec.from_params(module.params), ModuleHost(module), diff=module._diff))


if __name__ == "__main__":
    main()
