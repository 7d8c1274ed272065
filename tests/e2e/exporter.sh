#!/usr/bin/env bash
# scripts/exporter.lua's figures against what the test makes happen:
#   net    7 UDP datagrams into a veth end, 4 out of it: packets and bytes
#          by interface, direction, family, protocol, exactly;
#   exec   a program of a name of our own run 5 times: exactly 5;
#   oom    that name's dd in a memory cgroup of 16 MB asking for 64 MB:
#          exactly 1 OOM kill;
#   bio    8 direct 4 KB writes to a loop device of our own: its latency
#          histogram counts exactly 8 more;
#   tcp, drops, runq  (events of the whole machine, where other work adds
#          its own): SYN retransmits to an address that never answers, the
#          datagrams to a closed port dropped as NO_SOCKET, run-queue
#          latencies, each at least what the test caused;
# and --config (a metric of its own, settings), --disable, promtool.
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
ns=plexp-$$ peer=plexpp-$$ outer=peo$$ inner=pei$$
tmp=$(mktemp -d)
pid= loop= cg=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
  [ -n "$cg" ] && rmdir "$cg" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  ip netns del "$peer" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

ip netns add "$ns" || exit 1
ip netns add "$peer" || exit 1
ip -n "$peer" link add "$outer" type veth peer name "$inner" netns "$ns" || exit 1
ip -n "$peer" addr add 198.18.0.1/30 dev "$outer"
ip -n "$peer" link set "$outer" up
ip -n "$ns" addr add 198.18.0.2/30 dev "$inner"
ip -n "$ns" link set "$inner" up
ip -n "$ns" link set lo up
# An on-link address nobody has: SYNs to it wait for ARP and are retransmitted.
ip -n "$ns" route add 198.18.0.8/30 dev "$inner"

cat >"$tmp/my.lua" <<'EOF'
-- An --config file: a metric of its own, and settings.
local metrics = require "pktlua.metrics"
metrics.gauge("my_config_answer", "From the config file.", function() return 42 end)
return { prog_stats = true }
EOF

# nsenter, not ip netns exec: the network namespace only, so /sys (and the
# tracefs under it, for drop reason names) stays the machine's.
nsenter --net="/run/netns/$ns" "$PKTLUA" scripts/exporter.lua --iface "$inner" \
  --listen 127.0.0.1:0 --config "$tmp/my.lua" >"$tmp/exp.log" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q 'serving http' "$tmp/exp.log" && break; sleep 0.1; done
addr=$(sed -n 's|^exporter: serving http://\(.*\)/metrics$|\1|p' "$tmp/exp.log")
[ -n "$addr" ] || { cat "$tmp/exp.log"; echo "FAIL: the exporter did not start"; exit 1; }
echo "exporter serves http://$addr/metrics"
grep 'exporter:' "$tmp/exp.log" | grep -v serving && bad "the exporter warned"

scrape() { nsenter --net="/run/netns/$ns" curl -sf "http://$addr/metrics"; }
# NAME{LABELS} -> its value in SCRAPE_FILE (0 when absent).
value() { awk -v s="$1" 'index($0, s " ") == 1 { v = $NF } END { print v + 0 }' "$2"; }

# The loop device and the OOM cgroup (v2 if it has the memory controller, else v1).
truncate -s 8M "$tmp/disk"
loop=$(losetup -f --show "$tmp/disk") || bad "losetup"
disk=${loop#/dev/}
if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
  cg=/sys/fs/cgroup/pl_exp_$$; mkdir "$cg" && echo 16M >"$cg/memory.max" && echo 0 >"$cg/memory.swap.max"
elif [ -d /sys/fs/cgroup/memory ]; then
  cg=/sys/fs/cgroup/memory/pl_exp_$$; mkdir "$cg" && echo 16M >"$cg/memory.limit_in_bytes"
fi
exe=plx$$ oom=plo$$
cp /bin/true "$tmp/$exe"
cp /bin/dd "$tmp/$oom"
sleep 1                                     # the loop device's own first reads settle
scrape >"$tmp/before" || bad "first scrape"

# What the test makes happen.
ip netns exec "$peer" bash -c 'p=$(printf "%099d" 0); for i in 1 2 3 4 5 6 7; do
  echo "$p" >/dev/udp/198.18.0.2/9999; done'
ip netns exec "$ns" bash -c 'p=$(printf "%099d" 0); for i in 1 2 3 4; do
  echo "$p" >/dev/udp/198.18.0.1/7777; done'
for _ in 1 2 3 4 5; do "$tmp/$exe"; done
if [ -n "$cg" ]; then
  (echo "$BASHPID" >"$cg/cgroup.procs" && exec "$tmp/$oom" if=/dev/zero of=/dev/null bs=64M count=1) \
    2>/dev/null
  echo "oom: dd ended with status $? (137: killed)"
fi
dd if=/dev/zero of="$loop" bs=4096 count=8 oflag=direct 2>/dev/null || bad "dd to $loop"
ip netns exec "$ns" timeout 2.5 bash -c 'exec 3<>/dev/tcp/198.18.0.9/80' 2>/dev/null
sleep 0.3
scrape >"$tmp/after" || bad "second scrape"

check() {  # WHAT WANT GOT
  if [ "$3" = "$2" ]; then echo "ok: $1 = $3"; else bad "$1: expected $2, got $3"; fi
}
at_least() {  # WHAT MIN GOT
  if [ "$3" -ge "$2" ]; then echo "ok: $1 >= $2 ($3)"; else bad "$1: expected at least $2, got $3"; fi
}
delta() { echo $(( $(value "$1" "$tmp/after") - $(value "$1" "$tmp/before") )); }
m="ebpf_net_packets_total{iface=\"$inner\",direction=\"ingress\",family=\"ipv4\",proto=\"udp\"}"
check "$m" 7 "$(value "$m" "$tmp/after")"
m="ebpf_net_bytes_total{iface=\"$inner\",direction=\"ingress\",family=\"ipv4\",proto=\"udp\"}"
check "$m" $((7 * 142)) "$(value "$m" "$tmp/after")"
m="ebpf_net_packets_total{iface=\"$inner\",direction=\"egress\",family=\"ipv4\",proto=\"udp\"}"
check "$m" 4 "$(value "$m" "$tmp/after")"
m="ebpf_net_bytes_total{iface=\"$inner\",direction=\"egress\",family=\"ipv4\",proto=\"udp\"}"
check "$m" $((4 * 142)) "$(value "$m" "$tmp/after")"
check "ebpf_execs_total{comm=\"$exe\"}" 5 "$(value "ebpf_execs_total{comm=\"$exe\"}" "$tmp/after")"
if [ -n "$cg" ]; then
  check "ebpf_oom_kills_total{comm=\"$oom\"}" 1 "$(value "ebpf_oom_kills_total{comm=\"$oom\"}" "$tmp/after")"
else
  echo "SKIP: oom: no memory cgroup here"
fi
m="ebpf_block_io_latency_seconds_count{disk=\"$disk\"}"
check "$m (more)" 8 "$(delta "$m")"
at_least 'ebpf_tcp_retransmits_total{family="ipv4",state="SYN_SENT"} (more)' 1 \
  "$(delta 'ebpf_tcp_retransmits_total{family="ipv4",state="SYN_SENT"}')"
at_least 'ebpf_skb_drops_total{reason="NO_SOCKET"} (more)' 7 \
  "$(delta 'ebpf_skb_drops_total{reason="NO_SOCKET"}')"
at_least "ebpf_runqueue_latency_seconds_count (more)" 1 "$(delta ebpf_runqueue_latency_seconds_count)"
check "my_config_answer (--config)" 42 "$(value my_config_answer "$tmp/after")"
grep -q '^pktlua_prog_run_total{program="exporter_exec",prog="exec"} ' "$tmp/after" &&
  echo "ok: the config's prog_stats = true: pktlua_prog_run_total" || bad "no pktlua_prog_run_total"
lint=$(promtool check metrics <"$tmp/after" 2>&1) && [ -z "$lint" ] &&
  echo "ok: promtool check metrics is clean ($(grep -vc '^#' "$tmp/after") samples)" ||
  bad "promtool check metrics: $lint"

kill -INT "$pid"; wait "$pid"; status=$?; pid=
[ "$status" = 0 ] || bad "the exporter exited with $status"

# --disable, --once; a collector that does not exist.
"$PKTLUA" scripts/exporter.lua -d net,tcp,drops -d runq,bio,oom --listen 127.0.0.1:0 --once 0.2 \
  >"$tmp/once" 2>&1
grep -q '^# TYPE ebpf_execs_total counter$' "$tmp/once" && ! grep -q '^# TYPE ebpf_net' "$tmp/once" &&
  echo "ok: --disable leaves the other collectors out, --once prints" || bad "--disable/--once: $(cat "$tmp/once")"
"$PKTLUA" scripts/exporter.lua -d nope >"$tmp/nope" 2>&1
echo "unknown collector: status $? $(tail -n1 "$tmp/nope")"
[ "$fail" = 0 ] && echo "PASS: the exporter counts what the test did"
exit "$fail"
