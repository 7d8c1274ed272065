#!/usr/bin/env bash
# privilege.sh — pktlua as a real unprivileged user holding only the
# capabilities its work needs, as ambient capabilities (setpriv), the way
# README.md's "Running without root" says to run it.
#
# usage: PKTLUA=build/host/pktlua PKTLUA_BUILD=build bash tests/e2e/privilege.sh CASE
#   tracepoint  openat counter with CAP_BPF+CAP_PERFMON+CAP_DAC_READ_SEARCH, N
#               before bpf.drop_caps() and M after; CapEff 0 after; the
#               per-user cache in $HOME is made 0700; a socket filter
#               (CAP_BPF+CAP_NET_RAW) is stored there, then found
#   perf        perf_event sampler (CAP_BPF+CAP_PERFMON) on a process's
#               context switches, against the kernel's count
#   uprobe      uprobe counter (CAP_BPF+CAP_PERFMON+CAP_SYS_ADMIN)
#   xdp_netns   XDP counter (CAP_BPF+CAP_NET_ADMIN, and CAP_PERFMON for the
#               verifier to take pkt_parse's pointer arithmetic) inside
#               `ip netns exec`, with --drop-caps
#   metrics     a metrics server (pktlua.metrics) keeps serving after
#               --drop-caps, as the user
#   missing     each missing capability, its own message
#   cache       a cache directory another user owns (or could write) refused
#
# Root makes a user pl_priv_<pid> (and a network namespace of that name)
# and removes them on exit. Prints what each step gives; the .test files
# check it.
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
: "${PKTLUA_BUILD:?PKTLUA_BUILD must name the build directory}"
here=$(cd "$(dirname "$0")/../.." && pwd)
what=${1:?usage: privilege.sh CASE}

user=pl_priv_$$
ns=""
work=$(mktemp -d /tmp/pl_priv.XXXXXX)
cleanup() {
  [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
  # userdel fails while another engineer's useradd holds /etc/passwd's lock.
  for _ in $(seq 50); do
    id "$user" >/dev/null 2>&1 || break
    userdel "$user" 2>/dev/null || sleep 0.1
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for _ in $(seq 50); do
  useradd -M -U -d "$work/home" -s /usr/sbin/nologin "$user" 2>/dev/null && break
  sleep 0.1
done
id "$user" >/dev/null 2>&1 || { echo "FAIL: cannot create user $user"; exit 1; }
chmod 755 "$work"
mkdir -m 700 "$work/home" && chown "$user:$user" "$work/home"

# The user runs what it can read and execute: pktlua with the compiler shim
# next to it (the compile child finds it there), the test binaries, the
# scripts. A build tree it cannot reach is copied.
bin=$(dirname "$PKTLUA")
reach() { setpriv --reuid "$user" --regid "$user" --init-groups test "$@"; }
if reach -x "$PKTLUA" -a -r "$bin/libpktlua-cc.so" -a -x "$PKTLUA_BUILD/tests/uprobe_target" \
   -a -x "$PKTLUA_BUILD/tests/ctxsw_target"; then
  pktlua=$PKTLUA tests=$PKTLUA_BUILD/tests
else
  mkdir -m 755 "$work/bin"
  cp "$PKTLUA" "$bin/libpktlua-cc.so" "$PKTLUA_BUILD/tests/uprobe_target" \
     "$PKTLUA_BUILD/tests/ctxsw_target" "$work/bin/"
  chmod 755 "$work/bin"/*
  pktlua=$work/bin/pktlua tests=$work/bin
fi
mkdir -m 755 "$work/scripts"
cp "$here"/tests/e2e/scripts/priv_*.lua "$here/tests/e2e/scripts/uprobe_count.lua" "$work/scripts/"
chmod 644 "$work/scripts"/*
cd "$work/scripts" || exit 1

# as CAPS CMD...: run CMD as the user holding exactly CAPS ("+bpf,+perfmon"
# or "" for none) as ambient capabilities, in a clean environment whose
# HOME (and so the default compile cache) is the user's own.
as() {
  local caps="-all${1:+,$1}"
  shift
  setpriv --reuid "$user" --regid "$user" --init-groups --inh-caps "$caps" \
    --ambient-caps "$caps" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/home" "$@"
}

# A line per refusal, labelled, from a run that must fail.
refused() {
  local label=$1
  shift
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  echo "[$label] exit $rc: $out"
}

case "$what" in
tracepoint)
  as +bpf,+perfmon,+dac_read_search "$pktlua" priv_tracepoint.lua 25 17
  echo "exit $?"
  stat -c 'cache dir: %a %U' "$work/home/.cache/pktlua"
  # A socket filter (CAP_BPF, CAP_NET_RAW for its packet socket), twice:
  # stored in the user's cache, then found there.
  for run in 1 2; do
    as +bpf,+net_raw "$pktlua" -v priv_attach.lua socket 2>&1 |
      grep -oE '^(pktlua: cache (hit|store|miss) priv_attach.lua|attached|pktlua: [^c].*)'
  done
  ;;
perf)
  as +bpf,+perfmon "$pktlua" priv_perf.lua "$tests/ctxsw_target" 20
  echo "exit $?"
  ;;
uprobe)
  as +bpf,+perfmon,+sys_admin "$pktlua" uprobe_count.lua "$tests/uprobe_target" 7
  echo "exit $?"
  ;;
xdp_netns)
  ns=$user
  ip netns add "$ns" || { echo "FAIL: ip netns add $ns"; exit 1; }
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add 198.18.41.1/32 dev lo
  # ip netns exec remounts /sys: no tracefs or bpffs there, and the user
  # could not mount them.
  ip netns exec "$ns" setpriv --reuid "$user" --regid "$user" --init-groups \
    --inh-caps -all,+bpf,+net_admin,+perfmon --ambient-caps -all,+bpf,+net_admin,+perfmon \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/home" \
    "$pktlua" --drop-caps priv_xdp.lua 198.18.41.1 12 9
  echo "exit $?"
  ;;
metrics)
  mkdir -m 700 "$work/out" && chown "$user" "$work/out"
  as +bpf,+perfmon,+dac_read_search "$pktlua" --drop-caps priv_metrics.lua "$work/out" 6
  echo "exit $?"
  ;;
missing)
  refused "no capabilities" as "" "$pktlua" priv_tracepoint.lua 1 1
  refused "tracepoint without CAP_BPF" as +perfmon,+dac_read_search "$pktlua" priv_tracepoint.lua 1 1
  refused "tracepoint without CAP_PERFMON" as +bpf,+dac_read_search "$pktlua" priv_tracepoint.lua 1 1
  tracefs_mode=$(stat -c %a /sys/kernel/tracing 2>/dev/null)
  if [ "${tracefs_mode: -1}" = 5 ] || [ "${tracefs_mode: -1}" = 7 ]; then
    echo "SKIPPED (part): tracefs is readable by everyone here (mode $tracefs_mode): CAP_DAC_READ_SEARCH is not needed"
  else
    refused "tracepoint without CAP_DAC_READ_SEARCH" as +bpf,+perfmon "$pktlua" priv_tracepoint.lua 1 1
  fi
  ns=$user
  ip netns add "$ns" || { echo "FAIL: ip netns add $ns"; exit 1; }
  refused "tracepoint in ip netns exec without CAP_SYS_ADMIN" ip netns exec "$ns" \
    setpriv --reuid "$user" --regid "$user" --init-groups \
    --inh-caps -all,+bpf,+perfmon,+dac_read_search --ambient-caps -all,+bpf,+perfmon,+dac_read_search \
    env -i PATH=/usr/bin:/bin HOME="$work/home" "$pktlua" priv_tracepoint.lua 1 1
  refused "perf_event without CAP_PERFMON" as +bpf "$pktlua" priv_perf.lua "$tests/ctxsw_target" 1
  refused "uprobe without CAP_SYS_ADMIN" as +bpf,+perfmon "$pktlua" uprobe_count.lua "$tests/uprobe_target" 1
  refused "xdp without CAP_NET_ADMIN" as +bpf,+perfmon "$pktlua" priv_xdp.lua 127.0.0.1 1 1
  refused "xdp parser without CAP_PERFMON" as +bpf,+net_admin "$pktlua" priv_xdp.lua 127.0.0.1 1 1
  refused "socket filter without CAP_NET_RAW" as +bpf,+net_admin "$pktlua" priv_attach.lua socket
  refused "cgroup_skb without CAP_NET_ADMIN" as +bpf,+net_raw "$pktlua" priv_attach.lua cgroup
  bpffs_mode=$(stat -c %a /sys/fs/bpf 2>/dev/null)
  if [ -n "$bpffs_mode" ] && [ "$(stat -c %u /sys/fs/bpf)" = 0 ] &&
     ! [[ ${bpffs_mode: -1} =~ [2367] ]]; then
    pin=/sys/fs/bpf/pl_priv_pin_$$
    refused "pin in root's bpffs without CAP_DAC_OVERRIDE" as +bpf "$pktlua" priv_attach.lua pin "$pin"
    rm -f "$pin"
  else
    echo "SKIPPED (part): /sys/fs/bpf is mode ${bpffs_mode:-unmounted} here: others may write"
  fi
  ;;
cache)
  # Root's directory, used by the user: the user could not write it, but
  # root could have put anything there.
  mkdir -m 755 "$work/rootcache"
  as +bpf,+perfmon,+dac_read_search env PKTLUA_CACHE_DIR="$work/rootcache" \
    "$pktlua" priv_tracepoint.lua 3 3 2>&1 | grep -E 'cache|openat'
  # The user's directory, used by root (sudo keeping HOME): refused, and
  # nothing is read from it or written to it.
  mkdir -m 700 "$work/usercache" && chown "$user" "$work/usercache"
  PKTLUA_CACHE_DIR="$work/usercache" "$PKTLUA" priv_tracepoint.lua 3 3 2>&1 | grep -E 'cache|openat'
  echo "entries in the user's directory: $(find "$work/usercache" -type f | wc -l)"
  # Root's own, but writable by everyone.
  mkdir -m 777 "$work/shared"
  PKTLUA_CACHE_DIR="$work/shared" "$PKTLUA" priv_tracepoint.lua 3 3 2>&1 | grep -E 'cache|openat'
  echo "entries in the shared directory: $(find "$work/shared" -type f | wc -l)"
  ;;
*)
  echo "privilege.sh: unknown case '$what'"
  exit 2
  ;;
esac
