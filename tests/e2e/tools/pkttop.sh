#!/usr/bin/env bash
# pkttop over the bundled capture: its packets and bytes per source equal
# tshark's for the same file; live in a network namespace: its totals on
# vb's ingress equal the interface's own rx counters for the test's traffic.
. tests/e2e/tools/lib.sh
command -v tshark >/dev/null || { echo "SKIPPED: tshark is needed for the capture half"; exit 77; }
tool_start pkttop -r samples/mixed.pcap -k src -n 1000 --json lo
tool_finish
tshark -r samples/mixed.pcap -T fields -e ip.src -e ipv6.src -e arp.src.proto_ipv4 -e frame.cap_len 2>/dev/null |
	awk -F'\t' '{ s = $1 != "" ? $1 : $2 != "" ? $2 : $3; if (s == "") next; sub(/,.*/, "", s); p[s]++; b[s] += $4 }
		END { for (s in p) print s, p[s], b[s] }' | sort >"$TOOL_DIR/want"
jq -r '"\(.src) \(.packets) \(.bytes)"' "$TOOL_OUT" | sort >"$TOOL_DIR/got"
check "capture: packets and bytes per source = tshark's ($(wc -l <"$TOOL_DIR/want") sources)" cmp -s "$TOOL_DIR/want" "$TOOL_DIR/got"
cmp -s "$TOOL_DIR/want" "$TOOL_DIR/got" || diff "$TOOL_DIR/want" "$TOOL_DIR/got" | head

TOOL_NAME=top netns_pair
for ns in "$NS_A" "$NS_B"; do ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6'; done
rx() { ip -n "$NS_B" -s -j link show vb | jq -r '.[0].stats64.rx | "\(.packets) \(.bytes)"'; }
read -r p0 b0 < <(rx)
: >"$TOOL_OUT"; : >"$TOOL_ERR"
ip netns exec "$NS_B" "$PKTLUA" -t pkttop -d in -k src -i 0.3 --json vb >"$TOOL_OUT" 2>"$TOOL_ERR" &
TOOL_PID=$!
tool_wait 'Watching vb' "$TOOL_ERR"
serve_start "$NS_B" 198.18.0.2 1000
ip netns exec "$NS_A" "$TARGET_BIN" send 198.18.0.2 "$SERVE_PORT" 200000 >/dev/null 2>&1
wait "$SERVE_PID"
sleep 0.5
tool_stop
read -r p1 b1 < <(rx)
got=$(jq -s -r '"\(map(.packets) | add) \(map(.bytes) | add)"' "$TOOL_OUT")
check "live: pkttop's ingress totals ($got) = vb's rx counters ($((p1 - p0)) $((b1 - b0)))" test "$got" = "$((p1 - p0)) $((b1 - b0))"
check "live: the sender is the top source" test "$(jq -s -r 'sort_by(-.bytes) | .[0].src' "$TOOL_OUT")" = 198.18.0.1
tool_done "pkttop"
