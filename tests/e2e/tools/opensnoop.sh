#!/usr/bin/env bash
# opensnoop sees the paths a process of the test opens, with the fd or the
# errno it got; -p (a load-time global) keeps only that process.
. tests/e2e/tools/lib.sh
f=$TOOL_DIR/pl_open_$$
echo data >"$f"
target_start cat "$f" "$f.missing"
tool_start opensnoop -p "$TARGET_PID" -e
tool_wait '^PID +COMM +FD ERR +FLAGS +MODE +PATH$'
cat "$f" >/dev/null                    # another process: filtered out
target_go
target_wait
tool_stop
check "the open that worked: pid, comm, an fd, err 0, path" \
	has "^$TARGET_PID +cat +[0-9]+ +0 +[0-7]{8} n/a +$f\$"
check "the open that failed: fd -1, ENOENT" has "^$TARGET_PID +cat +-1 +2 +[0-7]{8} n/a +$f.missing\$"
check "only the -p process" test "$(grep -cvE "^($TARGET_PID |PID )" "$TOOL_OUT")" = 0

# -x --json -u 65534: nobody's failed opens only, as JSON.
tool_start opensnoop -x --json -u 65534
tool_wait 'opensnoop: tracing' "$TOOL_ERR"
setpriv --reuid=65534 --regid=65534 --clear-groups cat "/tmp/pl_tools_open_$$.nobody" 2>/dev/null
cat "$f.root" 2>/dev/null
chmod 600 "$f"
setpriv --reuid=65534 --regid=65534 --clear-groups cat "$f" 2>/dev/null
tool_stop
check "JSON: ENOENT for nobody" \
	test "$(jq -c "select(.path == \"/tmp/pl_tools_open_$$.nobody\") | [.uid, .comm, .fd, .err]" "$TOOL_OUT")" = '[65534,"cat",-1,2]'
check "JSON: EACCES for nobody" \
	test "$(jq -c "select(.path == \"$f\") | [.uid, .fd, .err]" "$TOOL_OUT")" = '[65534,-1,13]'
check "root's open filtered by -u" hasnt "$f.root"
check "-x: no successful opens" test "$(jq -c 'select(.fd >= 0)' "$TOOL_OUT" | wc -l)" = 0
tool_done "opensnoop"
