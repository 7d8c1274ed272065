#!/usr/bin/env bash
# statsnoop sees the paths a process of the test stats, with the result.
. tests/e2e/tools/lib.sh
f=$TOOL_DIR/pl_stat_$$
: >"$f"
target_start stat "$f" "$f.missing"
tool_start statsnoop -p "$TARGET_PID" -s
tool_wait '^PID +COMM +RET +ERR +SYSCALL +PATH$'
stat "$f" >/dev/null                   # another process
target_go; target_wait
tool_stop
check "the stat that worked" has "^$TARGET_PID +stat +0 +0 +(statx|newfstatat|newstat|newlstat) +$f\$"
check "the stat that failed: ENOENT" has "^$TARGET_PID +stat +-1 +2 +(statx|newfstatat|newstat|newlstat) +$f.missing\$"
check "-p: only the target" test "$(grep -cvE "^($TARGET_PID |PID )" "$TOOL_OUT")" = 0

tool_start statsnoop -x --json
tool_wait 'statsnoop: tracing' "$TOOL_ERR"
stat "$f" >/dev/null
stat "$f.nope" 2>/dev/null
tool_stop
check "JSON -x: the failed stat" test "$(jq -c "select(.path == \"$f.nope\") | [.comm, .ret, .err]" "$TOOL_OUT")" = '["stat",-1,2]'
check "JSON -x: not the one that worked" test "$(jq -c "select(.path == \"$f\")" "$TOOL_OUT" | wc -l)" = 0
tool_done "statsnoop"
