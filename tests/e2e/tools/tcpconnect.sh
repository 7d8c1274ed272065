#!/usr/bin/env bash
# tcpconnect sees the test's connect() on loopback: its PID and command,
# both addresses, its source port (the one the kernel chose, -s) and the
# destination port; -P keeps only that port; a refused connect shows too.
. tests/e2e/tools/lib.sh
serve_start "" 127.0.0.1 100
"$TARGET_BIN" bind tcp 127.0.0.1 0 >"$TOOL_DIR/closed"      # a port nobody listens on
closed=$(cat "$TOOL_DIR/closed")
tool_start tcpconnect -s -P "$SERVE_PORT,$closed" --json
tool_wait 'tcpconnect: tracing' "$TOOL_ERR"
"$TARGET_BIN" send 127.0.0.1 "$SERVE_PORT" 1000 >"$TOOL_DIR/cport" 2>/dev/null & c=$!; wait $c
"$TARGET_BIN" send 127.0.0.1 "$closed" 10 >/dev/null 2>&1 & r=$!; wait $r
wait "$SERVE_PID"
tool_stop
check "the connect: pid, comm, addresses, ports" \
	test "$(jq -c "select(.pid == $c) | [.comm, .ip, .saddr, .daddr, .sport, .dport, .result]" "$TOOL_OUT")" = \
	"[\"tools_target\",4,\"127.0.0.1\",\"127.0.0.1\",$(cat "$TOOL_DIR/cport"),$SERVE_PORT,\"established\"]"
check "the refused connect" \
	test "$(jq -c "select(.pid == $r) | [.dport, .result]" "$TOOL_OUT")" = "[$closed,\"failed\"]"
check "-P: nothing else" test "$(jq -r .dport "$TOOL_OUT" | sort -un | tr '\n' ' ')" = "$(printf '%s\n' "$SERVE_PORT" "$closed" | sort -un | tr '\n' ' ')"
tool_done "tcpconnect"
