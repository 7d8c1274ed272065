#!/usr/bin/env bash
# biolatency on a loop device the test makes: exactly the 100 direct 4 KB
# writes dd issues there, per disk (-D) and flags (-F).
. tests/e2e/tools/lib.sh
loop_setup 8
tool_start biolatency -D -F -d "$LOOP" --json
tool_wait 'Tracing block device I/O' "$TOOL_ERR"
dd if=/dev/zero of="/dev/$LOOP" bs=4k count=100 oflag=direct status=none
tool_stop
n=$(jq -s "map(select(.disk == \"$LOOP\" and (.flags | endswith(\"Write\"))) | .data[].count) | add" "$TOOL_OUT")
check "100 writes on $LOOP ($n)" test "$n" = 100
check "no other disk" test "$(jq -r .disk "$TOOL_OUT" | sort -u)" = "$LOOP"
check "direct writes are Sync" test "$(jq -r 'select(.flags | endswith("Write")) | .flags' "$TOOL_OUT" | grep -c Sync-)" -ge 1
tool_start biolatency 1 1
tool_finish
check "text: BCC's header (usecs) or nothing" hasnt 'error'
tool_done "biolatency"
