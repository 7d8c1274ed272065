#!/usr/bin/env bash
# threadsnoop sees each of the 3 pthread_create() calls of a test process,
# with its start routine by name.
. tests/e2e/tools/lib.sh
target_start "$TARGET_BIN" threads 3
tool_start threadsnoop -p "$TARGET_PID"
tool_wait '^TIME +PID +COMM +FUNC$'
target_go; target_wait
tool_wait_count "^[0-9:.]{15} +$TARGET_PID " 3
tool_stop
check "3 threads by the target, starting in pl_tool_thread" \
	test "$(grep -cE "^[0-9:.]{15} +$TARGET_PID tools_target +pl_tool_thread$" "$TOOL_OUT")" = 3
tool_done "threadsnoop"
