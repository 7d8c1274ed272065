#!/usr/bin/env bash
# biosnoop on a loop device the test makes: one line per direct 4 KB write
# dd makes, at exactly the sectors it wrote (seek), by dd's PID.
. tests/e2e/tools/lib.sh
loop_setup 8
target_start dd if=/dev/zero of="/dev/$LOOP" bs=4k count=16 seek=3 oflag=direct status=none
tool_start biosnoop -d "$LOOP"
tool_wait '^TIME\(s\) +COMM +PID +DISK +T +SECTOR +BYTES +LAT\(ms\)$'
target_go; target_wait
tool_stop
sectors=$(awk -v p="$TARGET_PID" -v d="$LOOP" '$3 == p && $4 == d && $5 ~ /^W/ && $7 == 4096 { print $6 }' "$TOOL_OUT" | tr '\n' ' ')
check "16 writes at sectors 24, 32, ... 144" test "$sectors" = "$(seq 24 8 144 | tr '\n' ' ')"
check "by dd" test "$(awk -v p="$TARGET_PID" '$3 == p { print $2 }' "$TOOL_OUT" | sort -u)" = dd
tool_done "biosnoop"
