#!/usr/bin/env bash
# stackcount counts the stacks a test process reaches its function by: all
# 500 calls of pl_tool_fn come from main, as one user stack; and the kernel
# stacks of its 25 getppid() calls, at the syscall's tracepoint.
. tests/e2e/tools/lib.sh
target_start "$TARGET_BIN" calls 500 0
tool_start stackcount -U -p "$TARGET_PID" --json "$TARGET_BIN:pl_tool_fn"
tool_wait 'Tracing 1 functions' "$TOOL_ERR"
target_go; target_wait
tool_stop
check "one stack, 500 calls" test "$(jq -s -c 'map(.count)' "$TOOL_OUT")" = '[500]'
check "pl_tool_fn called from main" test "$(jq -r '.ustack[0:2] | map(sub("\\+.*"; "")) | join(" ")' "$TOOL_OUT")" = "pl_tool_fn main"

target_start "$TARGET_BIN" syscalls 25 0
tool_start stackcount -K -p "$TARGET_PID" --json t:syscalls:sys_enter_getppid
tool_wait 'Tracing 1 functions' "$TOOL_ERR"
target_go; target_wait
tool_stop
check "25 getppid calls" test "$(jq -s 'map(.count) | add' "$TOOL_OUT")" = 25
check "through the syscall entry" test "$(jq -r '.kstack[]' "$TOOL_OUT" | grep -c do_syscall_64)" -ge 1
tool_done "stackcount"
