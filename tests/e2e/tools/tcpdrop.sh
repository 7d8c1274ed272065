#!/usr/bin/env bash
# tcpdrop sees the SYN the kernel drops when the test connects to a loopback
# port nobody listens on: NO_SOCKET, with the addresses, ports and flags.
. tests/e2e/tools/lib.sh
"$TARGET_BIN" bind tcp 127.0.0.1 0 >"$TOOL_DIR/closed"
closed=$(cat "$TOOL_DIR/closed")
tool_start tcpdrop --json
tool_wait 'tcpdrop: tracing' "$TOOL_ERR"
"$TARGET_BIN" send 127.0.0.1 "$closed" 10 >/dev/null 2>&1
tool_wait_count "\"dport\":$closed," 1
tool_stop
check "the SYN to port $closed dropped: NO_SOCKET" \
	test "$(jq -c "select(.dport == $closed) | [.saddr, .daddr, .flags, .reason]" "$TOOL_OUT" | head -1)" = \
	'["127.0.0.1","127.0.0.1","SYN","NO_SOCKET"]'
check "with a kernel stack" test "$(jq -r "select(.dport == $closed) | .stack | length" "$TOOL_OUT" | head -1)" -gt 0
tool_done "tcpdrop"
