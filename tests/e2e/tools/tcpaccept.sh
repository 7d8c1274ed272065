#!/usr/bin/env bash
# tcpaccept sees the test server's accept(): the server's PID and command,
# the client's address and port, the local address and port.
. tests/e2e/tools/lib.sh
tool_start tcpaccept
tool_wait '^PID +COMM +IP +RADDR +RPORT +LADDR +LPORT$'
serve_start "" 127.0.0.1 100
"$TARGET_BIN" send 127.0.0.1 "$SERVE_PORT" 1000 >"$TOOL_DIR/cport" 2>/dev/null
wait "$SERVE_PID"
tool_stop
check "the accept by the server" \
	has "^$SERVE_PID +tools_target +4 +127\.0\.0\.1 +$(cat "$TOOL_DIR/cport") +127\.0\.0\.1 +$SERVE_PORT$"
tool_done "tcpaccept"
