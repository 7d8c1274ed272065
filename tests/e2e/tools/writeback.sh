#!/usr/bin/env bash
# writeback: the test dirties a file and syncs its file system: writeback
# runs on that file system's backing device with the reason "sync".
. tests/e2e/tools/lib.sh
dev=$(stat -c '%d' "$TOOL_DIR")
bdi="$((dev >> 8)):$((dev & 255))"
tool_start writeback --json
tool_wait 'Tracing writeback' "$TOOL_ERR"
dd if=/dev/zero of="$TOOL_DIR/dirty" bs=64k count=32 status=none
sync -f "$TOOL_DIR/dirty"
tool_stop
check "writeback on $bdi for sync" test "$(jq -r "select(.device == \"$bdi\" and .reason == \"sync\") | .device" "$TOOL_OUT" | head -1)" = "$bdi"
tool_done "writeback"
