#!/usr/bin/env bash
# cpudist under a load the test makes: 3 spinners pinned to one CPU run in
# slices. For each, the per-process histogram must hold one sample per slice
# the scheduler counted in /proc/PID/schedstat (one more: a slice that
# starts after the spinner read it; one fewer: the last slice ends at the
# dying task's final switch, which can come after its parent reaped it and
# the test stopped the tool), and account for its CPU time:
# that time <= the sum of bucket highs. (Not >= the sum of lows: on-CPU spans
# are wall-clock time, which includes the interrupts and, in a VM, the
# steal time that the scheduler's sum_exec_runtime leaves out.)
. tests/e2e/tools/lib.sh
tool_start cpudist -P --json
tool_wait 'Tracing on-CPU time' "$TOOL_ERR"
spinners 3 600
tool_stop
while read -r pid run_us _ slices lo hi n; do
	check "spinner $pid: $n samples for $slices slices, ran $run_us us <= $hi" \
		awk -v hi="${hi:-0}" -v r="$run_us" -v n="${n:-0}" -v s="$slices" \
		'BEGIN { exit !(n > 0 && (n >= s - 1 && n <= s + 1) && r <= hi * 1.02 + 200) }'
done < <(spinner_hists)
tool_done "cpudist"
