#!/usr/bin/env bash
# memleak finds the allocations a test process leaks on purpose: it makes
# 100 allocations of 4096 bytes through pl_tool_alloc and frees all but 5;
# while it waits, memleak -p reports exactly 20480 bytes in 5 allocations
# from pl_tool_alloc's stack.
. tests/e2e/tools/lib.sh
mkfifo "$TOOL_DIR/stdin"
exec 9<>"$TOOL_DIR/stdin"          # a writer first, so the target's open does not block
TARGET_STDIN=$TOOL_DIR/stdin target_start "$TARGET_BIN" leak 100 4096 5
tool_start memleak -p "$TARGET_PID" -o 0 --json 0.5
tool_wait 'Attaching to pid' "$TOOL_ERR"
target_go
tool_wait '"bytes":20480' "$TOOL_OUT" 30
tool_stop
echo done >&9
target_wait
check "20480 bytes in 5 allocations" \
	test "$(jq -c 'select(.bytes == 20480) | .allocations' "$TOOL_OUT" | sort -u)" = 5
check "from pl_tool_alloc, called by main" \
	test "$(jq -r 'select(.bytes == 20480) | [.stack[] | sub("\\+.*"; "")] | map(select(. == "pl_tool_alloc" or . == "main")) | join(" ")' "$TOOL_OUT" | sort -u)" = "pl_tool_alloc main"
check "the 95 freed allocations are not reported" \
	test "$(jq -c 'select(.allocations >= 95)' "$TOOL_OUT" | wc -l)" = 0
tool_done "memleak"
