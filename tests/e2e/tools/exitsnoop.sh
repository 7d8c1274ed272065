#!/usr/bin/env bash
# exitsnoop sees the exit code, killing signal and age of processes the test
# ends; -x drops exit(0) and -p keeps one process (load-time globals).
. tests/e2e/tools/lib.sh
tool_start exitsnoop
tool_wait '^PCOMM +PID +PPID +TID +AGE\(s\) +EXIT_CODE$'
sh -c 'sleep 0.3; exit 3' & code_pid=$!
wait $code_pid
sleep 30 & sig_pid=$!
for _ in $(seq 100); do [ "$(cat /proc/$sig_pid/comm 2>/dev/null)" = sleep ] && break; sleep 0.02; done
kill -TERM $sig_pid; wait $sig_pid 2>/dev/null
tool_stop
check "exit 3: comm, pid, ppid, tid, code" has "^sh +$code_pid +$$ +$code_pid +[0-9.]+ +code 3$"
age=$(awk -v p=$code_pid '$2 == p { print $5 }' "$TOOL_OUT")
check "exit 3: age ($age s) covers its 0.3 s sleep" awk -v a="$age" 'BEGIN { exit !(a >= 0.29 && a < 10) }'
check "SIGTERM: signal 15 (Terminated)" has "^sleep +$sig_pid +$$ +$sig_pid +[0-9.]+ +signal 15 \(Terminated\)$"

# -x --json: failures only; -p: one process.
target_start sh -c 'exit 7'
tool_start exitsnoop -x --json
tool_wait 'exitsnoop: tracing' "$TOOL_ERR"
/bin/true & ok_pid=$!; wait $ok_pid
target_go; target_wait
tool_stop
check "JSON: exit 7 of the target" \
	test "$(jq -c "select(.pid == $TARGET_PID) | [.comm, .ppid, .code, .exit]" "$TOOL_OUT")" = "[\"sh\",$$,7,\"code 7\"]"
check "-x: no exit(0)" test "$(jq -c 'select(.code == 0 and .signal == null)' "$TOOL_OUT" | wc -l)" = 0

target_start sh -c 'exit 5'
tool_start exitsnoop -p "$TARGET_PID"
tool_wait '^PCOMM'
sh -c 'exit 6'
target_go; target_wait
tool_stop
check "-p: the target's exit" has "^sh +$TARGET_PID .* code 5$"
check "-p: nothing else" test "$(grep -c . "$TOOL_OUT")" = 2
tool_done "exitsnoop"
