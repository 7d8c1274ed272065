#!/usr/bin/env bash
# runqlat under a load the test makes: 3 spinners pinned to one CPU wait in
# its run queue while the others run. For each, the histogram (per process,
# -P) must account for the wait the scheduler itself counted in
# /proc/PID/schedstat: the sum of bucket lows <= that wait <= the sum of
# bucket highs (microseconds), one sample per slice it ran (give or take the
# first and the last).
. tests/e2e/tools/lib.sh
tool_start runqlat -P --json
tool_wait 'Tracing run queue latency' "$TOOL_ERR"
spinners 3 600
tool_stop
while read -r pid _ wait_us slices lo hi n; do
	# 2% + 200 us: the kernel's rq clock and bpf_ktime_get_ns() differ a little.
	check "spinner $pid: $lo <= waited $wait_us us <= $hi ($n samples, $slices slices)" \
		awk -v lo="${lo:-0}" -v hi="${hi:-0}" -v w="$wait_us" -v n="${n:-0}" \
		-v s="$slices" 'BEGIN { exit !(n > 0 && n >= s - 1 && n <= s + 1 && lo <= w * 1.02 + 200 && w <= hi * 1.02 + 200) }'
done < <(spinner_hists)
tool_start runqlat -m 1 1
tool_finish
check "text: BCC's histogram header" has '^ +msecs +: count +distribution$'
tool_done "runqlat"
