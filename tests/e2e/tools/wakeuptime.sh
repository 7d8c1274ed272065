#!/usr/bin/env bash
# wakeuptime: a process the test starts (head) blocks opening a fifo; once
# it sleeps there, a waker (sh) sleeps 300 ms, then opens the fifo and
# writes to it. wakeuptime -p charges at least those 300 ms to the waker
# sh (not to whatever task ran on head's CPU), with sh's kernel stack.
. tests/e2e/tools/lib.sh
# On two CPUs (head on the last, the waker on the first) the wakeup is a
# remote one: when head's CPU is idle the kernel queues it there
# (ttwu_queue_wakelist), where sched_wakeup would name the idle task.
last=$(($(nproc) - 1))
mkfifo "$TOOL_DIR/pipe"
target_start taskset -c "$last" head -c1 "$TOOL_DIR/pipe"
tool_start wakeuptime -p "$TARGET_PID" --json
tool_wait 'Tracing blocked time' "$TOOL_ERR"
target_go
# head asleep in open(2) of the fifo, waiting for a writer: its command is
# head, its state S, its wait channel wait_for_partner (where /proc says).
asleep() {
	[ "$(cat /proc/$TARGET_PID/comm 2>/dev/null)" = head ] || return 1
	[ "$(awk '{print $3}' /proc/$TARGET_PID/stat 2>/dev/null)" = S ] || return 1
	local w
	w=$(cat /proc/$TARGET_PID/wchan 2>/dev/null)
	[ -z "$w" ] || [ "$w" = 0 ] || [ "$w" = wait_for_partner ]
}
for i in $(seq 400); do asleep && break; sleep 0.025; done
asleep || { echo "FAIL: head did not block on the fifo"; exit 1; }
taskset -c 0 sh -c "sleep 0.3; echo x >$TOOL_DIR/pipe" & waker=$!
target_wait
wait $waker
tool_stop
us=$(jq -s 'map(select(.target == "head" and .waker == "sh") | .us) | add // 0' "$TOOL_OUT")
check "head blocked >= 300 ms, woken by sh ($us us)" test "$us" -ge 300000 -a "$us" -lt 30000000
check "with the waker's kernel stack" \
	test "$(jq -r 'select(.target == "head" and .waker == "sh") | .stack | length' "$TOOL_OUT" | sort -n | tail -1)" -gt 0
check "no other waker charged for head" \
	test "$(jq -s 'map(select(.target == "head" and .waker != "sh" and .us >= 100000)) | length' "$TOOL_OUT")" = 0
tool_done "wakeuptime"
