#!/usr/bin/env bash
# cpudist under a load the test makes: 3 spinners pinned to one CPU run in
# slices. For each, the per-process histogram must account for the CPU time
# the scheduler counted in /proc/PID/schedstat (sum of lows <= it <= sum of
# highs, microseconds).
. tests/e2e/tools/lib.sh
tool_start cpudist -P --json
tool_wait 'Tracing on-CPU time' "$TOOL_ERR"
spinners 3 600
tool_stop
for i in 1 2 3; do
	read -r _ pid run_ns wait_ns slices <"$TOOL_DIR/spin.$i"
	read -r lo hi n < <(hist_bounds "$TOOL_OUT" pid "$pid")
	run_us=$((run_ns / 1000))
	check "spinner $pid: $lo <= ran $run_us us <= $hi ($n samples, $slices slices)" \
		awk -v lo="${lo:-0}" -v hi="${hi:-0}" -v r="$run_us" -v n="${n:-0}" \
		'BEGIN { exit !(n > 0 && lo <= r * 1.02 + 200 && r <= hi * 1.02 + 200) }'
done
tool_done "cpudist"
