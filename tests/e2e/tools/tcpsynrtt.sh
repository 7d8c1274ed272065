#!/usr/bin/env bash
# tcpsynrtt over the bundled capture: each handshake's SYN to SYN-ACK time
# equals the difference of the capture's own timestamps (tshark); live in a
# network namespace: the 10 connections the test makes to one server.
. tests/e2e/tools/lib.sh
command -v tshark >/dev/null || { echo "SKIPPED: tshark is needed for the capture half"; exit 77; }
tool_start tcpsynrtt -r samples/mixed.pcap --json lo
tool_finish
tshark -r samples/mixed.pcap -Y 'tcp.flags.syn == 1' -T fields -e tcp.flags.ack -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport -e frame.time_epoch 2>/dev/null |
	awk -F'\t' '{ s = $2 $3; d = $5 $6; split($8, t, "."); us = t[1] * 1000000 + substr(t[2] "000000", 1, 6)
		if ($1 == "0" || $1 == "False") syn[s " " $4 " " d " " $7] = us
		else { k = d " " $7 " " s " " $4; if (k in syn) { printf "%s:%s %d\n", d, $7, us - syn[k]; delete syn[k] } } }' | sort >"$TOOL_DIR/want"
jq -r 'select(.kind == "handshake") | "\(.client) \(.rtt_us)"' "$TOOL_OUT" | sort >"$TOOL_DIR/got"
check "capture: $(wc -l <"$TOOL_DIR/want") handshakes, RTTs as the capture's timestamps give them" cmp -s "$TOOL_DIR/want" "$TOOL_DIR/got"
cmp -s "$TOOL_DIR/want" "$TOOL_DIR/got" || diff "$TOOL_DIR/want" "$TOOL_DIR/got" | head

TOOL_NAME=rtt netns_pair
: >"$TOOL_OUT"; : >"$TOOL_ERR"
ip netns exec "$NS_A" "$PKTLUA" -t tcpsynrtt -s --json va >"$TOOL_OUT" 2>"$TOOL_ERR" &
TOOL_PID=$!
tool_wait 'Tracing handshakes' "$TOOL_ERR"
for _ in $(seq 10); do
	serve_start "$NS_B" 198.18.0.2 10
	ip netns exec "$NS_A" "$TARGET_BIN" send 198.18.0.2 "$SERVE_PORT" 10 >/dev/null 2>&1
	wait "$SERVE_PID"
done
tool_stop
check "live: 10 handshakes with 198.18.0.2, RTTs > 0" \
	test "$(jq -c 'select(.kind == "summary") | [.server, .handshakes, .min_ms > 0]' "$TOOL_OUT")" = '["198.18.0.2",10,true]'
tool_done "tcpsynrtt"
