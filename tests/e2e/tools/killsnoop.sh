#!/usr/bin/env bash
# killsnoop sees the kill() calls the test makes: sender, signal, target,
# result; -T (target), -s (signal) and -x (failed) are load-time globals.
. tests/e2e/tools/lib.sh
sleep 30 & victim=$!
tool_start killsnoop -T "$victim"
tool_wait '^TIME +PID +COMM +SIG +TPID +RESULT$'
kill -0 999999 2>/dev/null             # another target: filtered out
kill -USR1 "$victim"; wait "$victim" 2>/dev/null
tool_stop
check "kill -USR1 by this shell: pid, comm, sig 10, tpid, result 0" \
	has "^[0-9:]{8} +$$ +bash +10 +$victim +0$"
check "-T: only that target" test "$(grep -c . "$TOOL_OUT")" = 2

sleep 30 & victim=$!
tool_start killsnoop -x -s TERM --json
tool_wait 'killsnoop: tracing' "$TOOL_ERR"
kill -TERM 999999 2>/dev/null          # fails: ESRCH
kill -USR2 999999 2>/dev/null          # another signal
kill -TERM "$victim"; wait "$victim" 2>/dev/null   # works: not with -x
tool_stop
check "JSON: failed SIGTERM to 999999, ESRCH" \
	test "$(jq -c "select(.pid == $$) | [.comm, .sig, .signal, .tpid, .result]" "$TOOL_OUT")" = \
	'["bash",15,"SIGTERM",999999,-3]'
tool_done "killsnoop"
