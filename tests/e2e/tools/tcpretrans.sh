#!/usr/bin/env bash
# tcpretrans under packet loss the test makes between two network
# namespaces: netem drops 20% of what 198.18.0.1 sends to 198.18.0.2 (or,
# where sch_netem is missing, a tc program at 198.18.0.2's ingress drops
# every 5th data segment), one segment per skb, so the sender retransmits;
# every retransmit tcpretrans prints is of that flow, and they add up to the
# sending namespace's own RetransSegs counter.
. tests/e2e/tools/lib.sh
modprobe sch_netem 2>/dev/null
TOOL_NAME=rt netns_pair
ip -n "$NS_A" link set va gso_max_segs 1 2>/dev/null
if ip netns exec "$NS_A" tc qdisc add dev va root netem loss 20% 2>"$TOOL_DIR/netem.err"; then
	echo "loss: netem 20%"
else
	echo "note: sch_netem is not available ($(cat "$TOOL_DIR/netem.err")): dropping every 5th data segment with a tc program instead"
	ip netns exec "$NS_B" "$PKTLUA" tests/e2e/tools/drop_nth.lua vb 5 >"$TOOL_DIR/drop.out" 2>&1 &
	drop=$!
	CLEANUPS+=("kill $drop")
	for _ in $(seq 600); do grep -q dropping "$TOOL_DIR/drop.out" && break; kill -0 $drop 2>/dev/null || break; sleep 0.05; done
	grep -q dropping "$TOOL_DIR/drop.out" || { cat "$TOOL_DIR/drop.out"; echo "FAIL: the tc dropper did not start"; exit 1; }
fi
retrans() { ip netns exec "$NS_A" awk '/^Tcp:/ { if (h) print $13; h = 1 }' /proc/net/snmp; }
tool_start tcpretrans --json
tool_wait 'Tracing retransmits' "$TOOL_ERR"
serve_start "$NS_B" 198.18.0.2 10
r0=$(retrans)
ip netns exec "$NS_A" "$TARGET_BIN" send 198.18.0.2 "$SERVE_PORT" 300000 >"$TOOL_DIR/cport" 2>/dev/null
wait "$SERVE_PID"
r1=$(retrans)
tool_stop
cport=$(cat "$TOOL_DIR/cport")
n=$(jq -s "map(select(.laddr == \"198.18.0.1\" and .lport == $cport and .raddr == \"198.18.0.2\" and .rport == $SERVE_PORT)) | length" "$TOOL_OUT")
check "retransmits seen ($n) = RetransSegs of the sending namespace ($((r1 - r0)))" test "$n" -gt 0 -a "$n" = $((r1 - r0))
check "none of another flow from these addresses" \
	test "$(jq -s "map(select(.laddr == \"198.18.0.1\" and .lport != $cport)) | length" "$TOOL_OUT")" = 0
tool_done "tcpretrans"
