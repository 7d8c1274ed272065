#!/usr/bin/env bash
# oomkill sees an OOM the test causes: a process that allocates 256 MB in a
# memory cgroup limited to 32 MB is killed; the tool names it, as victim
# and as trigger.
. tests/e2e/tools/lib.sh
cg=
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	cg=/sys/fs/cgroup/pl_tools_oom_$$
	mkdir "$cg" && echo 32M >"$cg/memory.max" && echo 0 >"$cg/memory.swap.max" 2>/dev/null
elif [ -d /sys/fs/cgroup/memory ]; then
	cg=/sys/fs/cgroup/memory/pl_tools_oom_$$
	mkdir "$cg" && echo 32M >"$cg/memory.limit_in_bytes"
	[ -f "$cg/memory.memsw.limit_in_bytes" ] && echo 32M >"$cg/memory.memsw.limit_in_bytes"
fi
[ -n "$cg" ] && [ -d "$cg" ] || { echo "SKIPPED: no memory cgroup to make"; exit 77; }
CLEANUPS+=("rmdir $cg")
target_start "$TARGET_BIN" hog 256
echo "$TARGET_PID" >"$cg/cgroup.procs"
tool_start oomkill --json
tool_wait 'Tracing OOM kills' "$TOOL_ERR"
target_go; target_wait
tool_stop
check "the hog was killed (SIGKILL: status $TARGET_RC)" test "$TARGET_RC" = 137
check "oomkill: victim and trigger are the hog" \
	test "$(jq -c "select(.victim_pid == $TARGET_PID) | [.victim_comm, .trigger_pid]" "$TOOL_OUT")" = "[\"tools_target\",$TARGET_PID]"
check "its resident memory is the cgroup's limit (32 MB), give or take 8 MB" \
	test "$(jq -r "select(.victim_pid == $TARGET_PID) | (.rss_kb > 24576 and .rss_kb < 40960)" "$TOOL_OUT")" = true
tool_done "oomkill"
