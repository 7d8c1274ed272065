#!/usr/bin/env bash
# funccount counts exactly the calls a test process makes to its own
# functions, matched by a glob: 1234 of pl_tool_fn, 1 of pl_tool_other,
# none of the others; and tracepoint hits: the test's 25 getppid calls.
. tests/e2e/tools/lib.sh
target_start "$TARGET_BIN" calls 1234 0
tool_start funccount -p "$TARGET_PID" "$TARGET_BIN:pl_tool_*"
tool_wait '^Tracing [0-9]+ functions for'
target_go; target_wait
tool_stop
check "pl_tool_fn: 1234" has '^pl_tool_fn +1234$'
check "pl_tool_other: 1" has '^pl_tool_other +1$'
check "the functions not called are not listed" hasnt 'pl_tool_(alloc|thread)'
check "the glob matched the 4 functions" has '^Tracing 4 functions for'

target_start "$TARGET_BIN" syscalls 25 0
tool_start funccount -p "$TARGET_PID" --json 't:syscalls:sys_enter_getp*id'
tool_wait 'Tracing' "$TOOL_ERR"
target_go; target_wait
tool_stop
check "t:syscalls:sys_enter_getppid: 25" \
	test "$(jq -r 'select(.func == "syscalls:sys_enter_getppid") | .count' "$TOOL_OUT")" = 25
tool_done "funccount"
