#!/usr/bin/env bash
# Debian's Prometheus scrapes a pktlua script (scripts/metrics_prom.lua) and
# its HTTP API must return the exact values the test made: the map entries
# the script wrote, the UDP datagrams the test sends across a veth into a
# namespace it creates (packets and bytes), the histograms' buckets. Then
# promtool lints the exposition, more traffic must show up in the next
# scrape, and everything the test started is stopped.
#
# Everything runs inside two fresh network namespaces: pktlua and Prometheus
# listen on that namespace's own loopback (pktlua's port picked by the kernel,
# Prometheus's free by construction: nothing else lives there), and the
# traffic comes from the peer namespace.
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
ns=plmet-$$ peer=plmetp-$$ outer=pmo$$ inner=pmi$$
tmp=$(mktemp -d)
pl_pid= prom_pid=
cleanup() {
  [ -n "$prom_pid" ] && kill -KILL "$prom_pid" 2>/dev/null
  [ -n "$pl_pid" ] && kill -KILL "$pl_pid" 2>/dev/null
  wait 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  ip netns del "$peer" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- pktlua:"; cat "$tmp/pktlua.log"; echo "--- prometheus:"; tail -20 "$tmp/prom.log" 2>/dev/null; exit 1; }
in_ns() { ip netns exec "$ns" "$@"; }

ip netns add "$ns" || exit 1
ip netns add "$peer" || exit 1
ip -n "$peer" link add "$outer" type veth peer name "$inner" netns "$ns" || exit 1
ip -n "$peer" addr add 198.18.0.1/30 dev "$outer"
ip -n "$peer" link set "$outer" up
ip -n "$ns" addr add 198.18.0.2/30 dev "$inner"
ip -n "$ns" link set "$inner" up
ip -n "$ns" link set lo up

# ip netns exec execs what it runs: $! is pktlua itself (and Prometheus below).
ip netns exec "$ns" "$PKTLUA" tests/e2e/scripts/metrics_prom.lua "$inner" >"$tmp/pktlua.log" 2>&1 &
pl_pid=$!
for _ in $(seq 100); do grep -q '^serving ' "$tmp/pktlua.log" && break; sleep 0.1; done
addr=$(sed -n 's/^serving //p' "$tmp/pktlua.log")
[ -n "$addr" ] || fail "the script did not start serving"
echo "pktlua serves http://$addr/metrics"

# N datagrams of 100 bytes to port 9999, M to 7777: each is 14 + 20 + 8 + 100
# bytes on the wire at tc ingress.
send() {  # COUNT PORT
  ip netns exec "$peer" bash -c 'p=$(printf "%099d" 0); for i in $(seq '"$1"'); do
    echo "$p" >/dev/udp/198.18.0.2/'"$2"'; done'
}
send 7 9999
send 3 7777

prom_port=9090
cat >"$tmp/prom.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: pktlua
    static_configs:
      - targets: ["$addr"]
EOF
promtool check config "$tmp/prom.yml" >/dev/null || fail "promtool rejects the generated config"
ip netns exec "$ns" prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$tmp/prom.log" 2>&1 &
prom_pid=$!

# QUERY -> the value of its first series ("" when none).
query() {
  in_ns curl -sf "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
    jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}
# Wait until QUERY gives WANT (Prometheus scrapes every second).
expect() {  # WANT QUERY
  local got=
  for _ in $(seq 60); do
    got=$(query "$2")
    [ "$got" = "$1" ] && { echo "ok: $2 = $got"; return 0; }
    sleep 0.25
  done
  fail "$2: expected $1, got '${got}'"
}

expect 1 'up{job="pktlua"}'
expect 11 'pl_test_written{name="alpha",id="1"}'
expect 22 'pl_test_written{name="beta",id="2"}'
expect 7 'pl_test_packets_total{proto="udp",dport="9999"}'
expect 3 'pl_test_packets_total{proto="udp",dport="7777"}'
expect $((7 * 142)) 'pl_test_bytes_total{proto="udp",dport="9999"}'
expect 42 'pl_test_answer'
expect 3 'pl_test_latency_seconds_bucket{le="0"}'
expect 7 'pl_test_latency_seconds_bucket{le="3e-09"}'
expect 7 'pl_test_latency_seconds_bucket{le="5.11e-07"}'
expect 12 'pl_test_latency_seconds_bucket{le="1.023e-06"}'
expect 12 'pl_test_latency_seconds_count'
expect 2568 'round(pl_test_latency_seconds_sum * 1e9)'   # 3*0 + 4*2 + 5*512
# 142-byte packets: bucket [100, 200), le="199"; 10 of them so far (and what
# else reached IPv4 ingress: nothing, the peer only sends these).
expect 10 'pl_test_packet_bytes_bucket{le="199"} - ignoring(le) pl_test_packet_bytes_bucket{le="99"}'
expect 1 'count(pktlua_build_info)'
expect 1 'pktlua_scrape_duration_seconds > bool 0'
expect 1 'pl_test_ticks > bool 20'
expect 1 'pktlua_prog_run_total{prog="count"} >= bool 10'
expect 0 'sum(pktlua_events_lost_total) or vector(0)'

# The exposition as Prometheus's text: promtool finds nothing to say.
in_ns curl -sf "http://$addr/metrics" >"$tmp/metrics.txt" || fail "curl $addr/metrics"
lint=$(promtool check metrics <"$tmp/metrics.txt" 2>&1) || fail "promtool check metrics: $lint"
[ -z "$lint" ] || fail "promtool check metrics: $lint"
echo "ok: promtool check metrics is clean ($(grep -vc '^#' "$tmp/metrics.txt") samples)"
# Prometheus asked for OpenMetrics and got it (the target is healthy).
in_ns curl -sf -H 'Accept: application/openmetrics-text;version=1.0.0' "http://$addr/metrics" |
  tail -n1 | grep -qx '# EOF' || fail "no OpenMetrics exposition"
health=$(in_ns curl -sf "http://127.0.0.1:$prom_port/api/v1/targets" |
  jq -r '.data.activeTargets[0] | "\(.health) \(.lastError)"')
[ "$health" = "up " ] || fail "target health: $health"
echo "ok: target healthy, no scrape error"

# Values are read at scrape time: 5 more datagrams show up.
send 5 9999
expect 12 'pl_test_packets_total{proto="udp",dport="9999"}'
expect $((12 * 142)) 'pl_test_bytes_total{proto="udp",dport="9999"}'

kill -TERM "$prom_pid"; wait "$prom_pid"; prom_pid=
kill -INT "$pl_pid"; wait "$pl_pid"; status=$?; pl_pid=
[ "$status" = 0 ] || fail "pktlua exited with $status"
echo "PASS: Prometheus scraped the exact values"
