#!/usr/bin/env bash
# drsnoop -M: a process reading a 64 MB file inside a memory cgroup limited
# to 32 MB must reclaim its own page cache: the pages drsnoop reports it
# reclaimed add up to at least the 32 MB that did not fit (more is fine:
# readahead brings pages in that are reclaimed before they are read, and
# read again), and every event is that process's memory cgroup reclaim.
# (With 16 MB, reclaim once fell behind and the OOM killer ended cat.)
. tests/e2e/tools/lib.sh
cg=
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	cg=/sys/fs/cgroup/pl_tools_dr_$$; mkdir "$cg" && echo 32M >"$cg/memory.max"
elif [ -d /sys/fs/cgroup/memory ]; then
	cg=/sys/fs/cgroup/memory/pl_tools_dr_$$; mkdir "$cg" && echo 32M >"$cg/memory.limit_in_bytes"
fi
[ -n "$cg" ] && [ -d "$cg" ] || { echo "SKIPPED: no memory cgroup to make"; exit 77; }
CLEANUPS+=("rmdir $cg")
dd if=/dev/zero of="$TOOL_DIR/big" bs=1M count=64 oflag=direct status=none
target_start cat "$TOOL_DIR/big" >/dev/null
echo "$TARGET_PID" >"$cg/cgroup.procs"
tool_start drsnoop -M -p "$TARGET_PID" --json
tool_wait 'Tracing' "$TOOL_ERR"
target_go; target_wait
tool_stop
pages=$(jq -s 'map(select(.comm == "cat") | .pages) | add // 0' "$TOOL_OUT")
check "cat reclaimed $pages pages: >= 8192 (32 MB)" test "$pages" -ge 8192
check "-p: only cat's reclaims, all memory cgroup ones" \
	test "$(jq -r '"\(.pid) \(.comm) \(.memcg)"' "$TOOL_OUT" | sort -u)" = "$TARGET_PID cat true"
tool_done "drsnoop"
