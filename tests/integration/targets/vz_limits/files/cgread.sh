# shellcheck shell=bash
# Run with bash. Read one limit or counter of a container's cgroup, the same way on cgroup v1 (hybrid or legacy) and
# on cgroup v2 only: cgread.sh WHAT CGROUP (CGROUP relative to the hierarchy, PARENT/CTID).
set -eu
what=$1 c=$2 root=/sys/fs/cgroup
if [ -f "$root/cgroup.controllers" ]; then
  case "$what" in
    mem) cat "$root/$c/memory.max" ;;
    pids) cat "$root/$c/pids.max" ;;
    quota) cut -d' ' -f1 "$root/$c/cpu.max" ;;
    weight) echo "weight $(cat "$root/$c/cpu.weight")" ;;
    cpus) cat "$root/$c/cpuset.cpus" ;;
    oom_kills) awk '$1 == "oom_kill" {print $2}' "$root/$c/memory.events" ;;
    cpu_ns) awk '$1 == "usage_usec" {print $2 "000"}' "$root/$c/cpu.stat" ;;  # as text: mawk prints big products as 3.05e+09
  esac
else
  case "$what" in
    mem) cat "$root/memory/$c/memory.limit_in_bytes" ;;
    pids) cat "$root/pids/$c/pids.max" ;;
    quota) cat "$root/cpu/$c/cpu.cfs_quota_us" ;;
    weight) echo "shares $(cat "$root/cpu/$c/cpu.shares")" ;;
    cpus) cat "$root/cpuset/$c/cpuset.cpus" ;;
    # v1 counts a kill in the victim's own group (CTID/payload or below), not in the group whose limit was hit
    oom_kills) find "$root/memory/$c" -name memory.oom_control -exec cat {} + | awk '$1 == "oom_kill" {n += $2} END {print n + 0}' ;;
    cpu_ns) cat "$root/cpuacct/$c/cpuacct.usage" ;;
  esac
fi
