"""The host's cgroup hierarchies as the tenant tests aim at them, as JSON (run with the host's python3):
{"v1": {CONTROLLER: {"path": MOUNTPOINT, "opts": "cpu,cpuacct"}}, "v2": {"path": ..., "controllers": [...]},
 "disk": "MAJ:MIN" of the whole disk under argv[1], or null}."""
import json
import os
import sys

KNOWN = {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"}
out = {"v1": {}, "v2": None, "disk": None}
with open("/proc/self/mountinfo", encoding="utf-8") as fh:
    for line in fh:
        head, _sep, tail = line.partition(" - ")
        fstype, _source, opts = tail.split()[:3]
        mount_point = head.split()[4]
        if fstype == "cgroup":
            ctrls = [o for o in opts.split(",") if o in KNOWN]
            for ctrl in ctrls:
                out["v1"][ctrl] = {"path": mount_point, "opts": ",".join(ctrls)}
        elif fstype == "cgroup2" and out["v2"] is None:
            with open(os.path.join(mount_point, "cgroup.controllers"), encoding="ascii") as c:
                out["v2"] = {"path": mount_point, "controllers": c.read().split()}
st = os.stat(sys.argv[1])
node = "/sys/dev/block/%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev))
if os.path.exists(os.path.join(node, "partition")):
    node = os.path.join(os.path.realpath(node), "..")
if os.path.exists(os.path.join(node, "dev")):
    with open(os.path.join(node, "dev"), encoding="ascii") as fh:
        out["disk"] = fh.read().strip()
print(json.dumps(out))
