#!/usr/bin/env bash
# funclatency times the test's function: exactly 40 calls of pl_tool_fn,
# each sleeping 3 ms, so every sample is in a bucket of at least 2048 us
# and the histogram holds 40.
. tests/e2e/tools/lib.sh
target_start "$TARGET_BIN" calls 40 3000
tool_start funclatency -u -p "$TARGET_PID" --json "$TARGET_BIN:pl_tool_fn"
tool_wait 'Tracing .*pl_tool_fn' "$TOOL_ERR"
target_go; target_wait
tool_stop
check "40 samples" test "$(jq -s 'map(.data[].count) | add' "$TOOL_OUT")" = 40
check "each >= 2048 us (a 3 ms sleep)" test "$(jq -s 'map(.data[] | select(.count > 0 and .high < 2048)) | length' "$TOOL_OUT")" = 0
tool_start funclatency -d 1 c:getpid
tool_finish
check "text: the tracing line" has '^Tracing c:getpid\.  Hit Ctrl-C to exit$'
tool_done "funclatency"
