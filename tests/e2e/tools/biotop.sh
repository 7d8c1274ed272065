#!/usr/bin/env bash
# biotop: dd's 50 direct 8 KB writes to a loop device, as one row: its PID,
# W, the disk, 50 I/Os, 400 Kbytes.
. tests/e2e/tools/lib.sh
loop_setup 8
target_start dd if=/dev/zero of="/dev/$LOOP" bs=8k count=50 oflag=direct status=none
tool_start biotop -C -p "$TARGET_PID" --json 0.5
tool_wait 'Tracing' "$TOOL_ERR"
target_go; target_wait
sleep 0.6
tool_stop
check "dd's row: 50 writes, 400 KB on $LOOP" \
	test "$(jq -s -c "map(select(.pid == $TARGET_PID and .disk == \"$LOOP\")) | [(map(.io) | add), (map(.bytes) | add), (map(.dir) | unique)]" "$TOOL_OUT")" = '[50,409600,["W"]]'
tool_done "biotop"
