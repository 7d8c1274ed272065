#!/usr/bin/env bash
# wakeuptime: a process the test starts blocks on a fifo until another
# process (sh) writes to it 300 ms later; wakeuptime -p charges at least
# those 300 ms to the waker sh, with the waker's kernel stack.
. tests/e2e/tools/lib.sh
mkfifo "$TOOL_DIR/pipe"
target_start head -c1 "$TOOL_DIR/pipe" >/dev/null
tool_start wakeuptime -p "$TARGET_PID" --json
tool_wait 'Tracing blocked time' "$TOOL_ERR"
target_go
sh -c "sleep 0.3; echo x >$TOOL_DIR/pipe" & waker=$!
target_wait
wait $waker
tool_stop
us=$(jq -s 'map(select(.target == "head" and .waker == "sh") | .us) | add // 0' "$TOOL_OUT")
check "head blocked >= 300 ms, woken by sh ($us us)" test "$us" -ge 290000 -a "$us" -lt 10000000
check "with the waker's kernel stack" \
	test "$(jq -r 'select(.target == "head" and .waker == "sh") | .stack | length' "$TOOL_OUT" | sort -n | tail -1)" -gt 0
tool_done "wakeuptime"
