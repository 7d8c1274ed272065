#!/usr/bin/env bash
# syscount counts exactly the syscalls a test process makes: 1234 getppid()
# and 7 failing getpgid(); -x, -e, -L and -P on the same process.
. tests/e2e/tools/lib.sh
target_start "$TARGET_BIN" syscalls 1234 7
tool_start syscount -p "$TARGET_PID" -L -T 100
tool_wait '^Tracing syscalls'
target_go; target_wait
tool_stop
check "getppid: exactly 1234, with a latency" has '^getppid +1234 +[0-9]+\.[0-9]{3}$'
check "getpgid: exactly 7" has '^getpgid +7 +[0-9]+\.[0-9]{3}$'
check "the header with latency" has '^SYSCALL +COUNT +TIME \(us\)$'

target_start "$TARGET_BIN" syscalls 50 7
tool_start syscount -p "$TARGET_PID" -e ESRCH
tool_wait '^Tracing syscalls'
target_go; target_wait
tool_stop
check "-e ESRCH: only the 7 getpgid" test "$(grep -vE '^(Tracing|\[|SYSCALL|$)' "$TOOL_OUT")" = "getpgid                       7"

target_start "$TARGET_BIN" syscalls 300 0
tool_start syscount -P --json
tool_wait 'Tracing syscalls' "$TOOL_ERR"
target_go; target_wait
sleep 0.1
tool_stop
n=$(jq ".rows[] | select(.pid == $TARGET_PID) | .count" "$TOOL_OUT")
# exec, the dynamic loader and exit add their own few dozen calls.
check "-P: the target's row, named tools_target, with >= 300 calls ($n)" \
	test "$(jq -r ".rows[] | select(.pid == $TARGET_PID) | .comm" "$TOOL_OUT")" = tools_target -a "${n:-0}" -ge 300 -a "${n:-0}" -lt 400
tool_done "syscount"
