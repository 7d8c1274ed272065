#!/usr/bin/env bash
# bitesize: the 20 direct 16 KB writes dd makes to a loop device land in
# dd's 16 -> 31 Kbytes bucket, and nothing else in dd's histogram.
. tests/e2e/tools/lib.sh
loop_setup 8
tool_start bitesize -c dd -d "$LOOP" --json
tool_wait 'Tracing block device I/O' "$TOOL_ERR"
dd if=/dev/zero of="/dev/$LOOP" bs=16k count=20 oflag=direct status=none
tool_stop
check "dd: 20 I/Os of 16 -> 31 Kbytes" \
	test "$(jq -c 'select(.comm == "dd") | [.data[] | select(.count > 0) | [.low, .high, .count]]' "$TOOL_OUT")" = '[[16,31,20]]'
tool_done "bitesize"
