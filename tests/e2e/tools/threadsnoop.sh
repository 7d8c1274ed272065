#!/usr/bin/env bash
# threadsnoop sees each of the 3 pthread_create() calls of a test process,
# with the start routine's address (its symbol, where pktlua resolves it).
. tests/e2e/tools/lib.sh
target_start "$TARGET_BIN" threads 3
tool_start threadsnoop -p "$TARGET_PID"
tool_wait '^TIME +PID +COMM +FUNC$'
target_go; target_wait
tool_stop
check "3 threads by the target" test "$(grep -cE "^[0-9:.]{15} +$TARGET_PID tools_target +(pl_tool_thread|0x[0-9a-f]+)" "$TOOL_OUT")" = 3
check "one start routine" test "$(awk 'NR > 1 { print $4 }' "$TOOL_OUT" | sort -u | wc -l)" = 1
tool_done "threadsnoop"
