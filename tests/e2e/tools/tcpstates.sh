#!/usr/bin/env bash
# tcpstates sees every state change of the test's loopback connection: the
# client's (remote port = the server's) in order, and the server's.
. tests/e2e/tools/lib.sh
tool_start tcpstates --json
tool_wait 'tcpstates: tracing' "$TOOL_ERR"
serve_start "" 127.0.0.1 5000
"$TARGET_BIN" send 127.0.0.1 "$SERVE_PORT" 2000 >"$TOOL_DIR/cport" 2>/dev/null
wait "$SERVE_PID"
sleep 0.1
tool_stop
cport=$(cat "$TOOL_DIR/cport")
# The client socket by its address (its first change, to SYN_SENT, comes
# before the kernel picks its port) and the server's port (a socket the
# kernel makes at the freed address later, for another connection on the
# machine, has another peer).
csk=$(jq -r "select(.lport == $cport and .rport == $SERVE_PORT and .newstate == \"ESTABLISHED\") | .skaddr" "$TOOL_OUT")
client=$(jq -r "select(.skaddr == ${csk:-0} and .rport == $SERVE_PORT) | \"\(.oldstate)>\(.newstate)\"" "$TOOL_OUT" | tr '\n' ' ')
check "client: $client" test "$client" = "CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>CLOSE "
server=$(jq -r "select(.lport == $SERVE_PORT and .rport == $cport) | \"\(.oldstate)>\(.newstate)\"" "$TOOL_OUT" | tr '\n' ' ')
check "server: $server" test "$server" = "LISTEN>SYN_RECV SYN_RECV>ESTABLISHED ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSE "
check "the listener" test "$(jq -r "select(.lport == $SERVE_PORT and .rport == 0) | \"\(.oldstate)>\(.newstate)\"" "$TOOL_OUT" | tr '\n' ' ')" = "CLOSE>LISTEN LISTEN>CLOSE "
tool_done "tcpstates"
