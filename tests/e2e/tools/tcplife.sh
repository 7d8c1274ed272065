#!/usr/bin/env bash
# tcplife sees one TCP session between two network namespaces (198.18.0.1
# -> 198.18.0.2), from both ends: the processes, addresses, ports and the
# bytes each side sent (100000, 30000) and received, as the kernel's
# bytes_acked / bytes_received count them: sequence space, so the data plus
# one for each FIN (and the SYN, for the side that opened).
. tests/e2e/tools/lib.sh
TOOL_NAME=life netns_pair
tool_start tcplife --json
tool_wait 'tcplife: tracing' "$TOOL_ERR"
serve_start "$NS_B" 198.18.0.2 30000
ip netns exec "$NS_A" "$TARGET_BIN" send 198.18.0.2 "$SERVE_PORT" 100000 >"$TOOL_DIR/cport" 2>/dev/null & c=$!
wait $c; wait "$SERVE_PID"
sleep 0.2
tool_stop
cport=$(cat "$TOOL_DIR/cport")
check "client side: pid, 198.18.0.1:$cport -> 198.18.0.2:$SERVE_PORT, tx 100000+SYN+FIN, rx 30000+FIN" \
	test "$(jq -c "select(.lport == $cport and .rport == $SERVE_PORT) | [.pid, .comm, .laddr, .raddr, .tx_bytes, .rx_bytes]" "$TOOL_OUT")" = \
	"[$c,\"tools_target\",\"198.18.0.1\",\"198.18.0.2\",100002,30001]"
check "server side: pid, tx 30000+FIN, rx 100000+FIN" \
	test "$(jq -c "select(.lport == $SERVE_PORT and .rport == $cport) | [.pid, .laddr, .raddr, .tx_bytes, .rx_bytes]" "$TOOL_OUT")" = \
	"[$SERVE_PID,\"198.18.0.2\",\"198.18.0.1\",30001,100001]"
check "durations in ms" test "$(jq -r "select(.lport == $cport) | .ms > 0" "$TOOL_OUT")" = true
tool_done "tcplife"
