#!/usr/bin/env bash
# SIGKILL pktlua while an XDP and two tc programs are attached to a veth in a
# private network namespace; then the interface must be clean and the
# programs gone from the kernel.
set -u
ns=pl-kill-$$
out=$(mktemp)
cleanup() { ip netns del "$ns" 2>/dev/null; rm -f "$out"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link add pl0 type veth peer name pl1
ip -n "$ns" link set pl0 up
ip -n "$ns" link set pl1 up

ip netns exec "$ns" "$PKTLUA" tests/e2e/scripts/hold_tc_xdp.lua pl0 >"$out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q attached "$out" && break; sleep 0.1; done
cat "$out"
grep -q attached "$out" || { echo "FAIL: never attached"; exit 1; }
ip -n "$ns" link show pl0 | grep -q xdp || { echo "FAIL: no xdp while attached"; exit 1; }
bpftool prog show | grep -q pl_kill_tc || { echo "FAIL: tc program not loaded"; exit 1; }
echo "xdp and tc attached; sending SIGKILL to $pid"
kill -KILL "$pid"
wait "$pid" 2>/dev/null

# Links are released when the process's fds close; programs are freed after
# an RCU grace period, so give the kernel a moment.
if ip -n "$ns" link show pl0 | grep -q xdp; then echo "FAIL: xdp still attached"; exit 1; fi
for _ in $(seq 50); do bpftool prog show | grep -q 'pl_kill_' || break; sleep 0.1; done
if bpftool prog show | grep 'pl_kill_'; then echo "FAIL: programs outlived the process"; exit 1; fi
echo "clean after SIGKILL"
