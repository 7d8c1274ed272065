#!/usr/bin/env bash
# setuids sees the setresuid() calls setpriv makes for the test: one that
# works (root becomes nobody) and one that fails (nobody asking for root).
. tests/e2e/tools/lib.sh
target_start setpriv --reuid=65534 -- setpriv --reuid=0 true
tool_start setuids -p "$TARGET_PID"
tool_wait '^TIME +PID +COMM +UID +SYSCALL +ARGS \(RET\)$'
target_go; target_wait
tool_stop
check "root -> nobody: setresuid(65534, 65534, 65534) = 0" \
	has "^[0-9:]{8} $TARGET_PID +setpriv +0 +setresuid ruid=65534 euid=65534 suid=65534 \(0\)$"
check "nobody -> root refused: EPERM (-1)" \
	has "^[0-9:]{8} $TARGET_PID +setpriv +65534 +setresuid ruid=0 euid=0 suid=0 \(-1\)$"
tool_done "setuids"
