#!/usr/bin/env bash
# bindsnoop sees the binds a test process makes: TCP with SO_REUSEADDR on an
# IPv4 loopback port the kernel picks, UDP on ::1, and (with -x) a bind that
# fails with EADDRNOTAVAIL.
. tests/e2e/tools/lib.sh
tool_start bindsnoop -x
tool_wait '^PID +COMM +RET +PROTO +OPTS +IF +PORT +ADDR$'
"$TARGET_BIN" bind tcp 127.0.0.1 0 reuse >"$TOOL_DIR/p1" & p1=$!; wait $p1
"$TARGET_BIN" bind udp ::1 0 >"$TOOL_DIR/p2" & p2=$!; wait $p2
"$TARGET_BIN" bind tcp 198.18.255.254 0 2>/dev/null & p3=$!; wait $p3
tool_stop
check "TCP 127.0.0.1 on its port, R option" has "^$p1 +tools_target +0 +TCP +\.\.\.R\. +0 +$(cat "$TOOL_DIR/p1") +127\.0\.0\.1 *$"
check "UDP ::1 on its port" has "^$p2 +tools_target +0 +UDP +\.\.\.\.\. +0 +$(cat "$TOOL_DIR/p2") +::1 *$"
check "EADDRNOTAVAIL (-99) with -x" has "^$p3 +tools_target +-99 +TCP "
tool_start bindsnoop -P "$(cat "$TOOL_DIR/p1")" --json
tool_wait 'bindsnoop: tracing' "$TOOL_ERR"
"$TARGET_BIN" bind tcp 127.0.0.1 "$(cat "$TOOL_DIR/p1")" reuse >/dev/null
"$TARGET_BIN" bind tcp 127.0.0.1 0 >/dev/null
tool_stop
check "-P: only that port" test "$(jq -r .port "$TOOL_OUT" | sort -u)" = "$(cat "$TOOL_DIR/p1")"
tool_done "bindsnoop"
