#!/usr/bin/env bash
# syncsnoop sees the fsync() and sync() calls a test process makes.
. tests/e2e/tools/lib.sh
f=$TOOL_DIR/pl_sync_$$
target_start dd if=/dev/zero of="$f" bs=4k count=1 conv=fsync status=none
tool_start syncsnoop -p "$TARGET_PID" --json
tool_wait 'syncsnoop: tracing' "$TOOL_ERR"
target_go; target_wait
tool_stop
check "dd's fsync" test "$(jq -r 'select(.comm == "dd") | .call' "$TOOL_OUT")" = fsync
check "-p: only the target's calls" test "$(jq -r '.pid' "$TOOL_OUT" | sort -u)" = "$TARGET_PID"
tool_start syncsnoop
tool_wait '^TIME\(s\) +COMM +CALL$'
sync
tool_stop
check "text: sync's line" has '^[0-9]+\.[0-9]{9} +sync +sync$'
tool_done "syncsnoop"
