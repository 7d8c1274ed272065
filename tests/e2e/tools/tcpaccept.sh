#!/usr/bin/env bash
# tcpaccept sees the test server's accept(): the server's PID and command,
# the client's address and port, the local address and port.
#
# The header shows once the tool's loop runs (so a Ctrl-C from then on
# drains what the kernel recorded); the test still waits for the row
# before its Ctrl-C, which would interrupt a row being printed.
. tests/e2e/tools/lib.sh
tool_start tcpaccept
tool_wait '^PID +COMM +IP +RADDR +RPORT +LADDR +LPORT$'
serve_start "" 127.0.0.1 100
"$TARGET_BIN" send 127.0.0.1 "$SERVE_PORT" 1000 >"$TOOL_DIR/cport" 2>/dev/null
wait "$SERVE_PID"
row="^$SERVE_PID +tools_target +4 +127\.0\.0\.1 +$(cat "$TOOL_DIR/cport") +127\.0\.0\.1 +$SERVE_PORT$"
tool_wait_count "$row" 1 20
tool_stop
check "the accept by the server" has "$row"
check "one accept on the server's port" test "$(grep -cE " $SERVE_PORT\$" "$TOOL_OUT")" = 1
tool_done "tcpaccept"
