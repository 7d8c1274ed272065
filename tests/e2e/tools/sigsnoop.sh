#!/usr/bin/env bash
# sigsnoop sees a signal the test sends and one the kernel sends (SIGCHLD
# at a child's exit); -k the kill syscalls with their result.
. tests/e2e/tools/lib.sh
sleep 30 & victim=$!
for _ in $(seq 100); do [ "$(cat /proc/$victim/comm 2>/dev/null)" = sleep ] && break; sleep 0.02; done
target_start true
tool_start sigsnoop -n -s USR2,CHLD
tool_wait '^TIME +PID +COMM +SIG +TPID +TCOMM +RESULT$'
kill -TERM "$victim" 2>/dev/null && sleep 0.01   # not a signal asked for
sleep 30 & victim2=$!
for _ in $(seq 100); do [ "$(cat /proc/$victim2/comm 2>/dev/null)" = sleep ] && break; sleep 0.02; done
kill -USR2 "$victim2"; wait "$victim2" 2>/dev/null
target_go; target_wait
tool_stop
check "SIGUSR2 from this shell to sleep" has "^[0-9:]{8} +$$ +bash +SIGUSR2 +$victim2 +sleep +0 *$"
check "SIGCHLD from the exiting child to this shell" has "^[0-9:]{8} +$TARGET_PID +true +SIGCHLD +$$ +bash +0 *$"
check "-s: no SIGTERM" hasnt "SIGTERM"

tool_start sigsnoop -k -x --json
tool_wait 'sigsnoop: tracing' "$TOOL_ERR"
kill -HUP 999999 2>/dev/null
tool_stop
check "-k -x: the failed kill with -ESRCH" \
	test "$(jq -c "select(.pid == $$) | [.sig, .tpid, .result]" "$TOOL_OUT")" = '[1,999999,-3]'
tool_done "sigsnoop"
