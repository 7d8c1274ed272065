#!/usr/bin/env bash
# capable sees the capability checks of chown(2): root's (CAP_CHOWN
# allowed) and nobody's (denied), by the processes the test runs.
. tests/e2e/tools/lib.sh
f=$TOOL_DIR/pl_cap_$$
: >"$f"
chmod 755 "$TOOL_DIR"
target_start setpriv --reuid=65534 --regid=65534 --clear-groups chown 65534 "$f"
tool_start capable -p "$TARGET_PID"
tool_wait '^TIME +UID +PID +COMM +CAP +NAME +VERDICT$'
target_go; target_wait
tool_stop
check "nobody's chown: CAP_CHOWN denied" has "^[0-9:]{8} 65534 +$TARGET_PID +chown +0 +CAP_CHOWN +deny$"
target_start chown 65534 "$f"
tool_start capable -p "$TARGET_PID" --json
tool_wait 'capable: tracing' "$TOOL_ERR"
target_go; target_wait
tool_stop
check "root's chown: CAP_CHOWN allowed" \
	test "$(jq -c 'select(.cap == 0) | [.uid, .comm, .name, .verdict]' "$TOOL_OUT" | head -1)" = '[0,"chown","CAP_CHOWN","allow"]'
tool_done "capable"
