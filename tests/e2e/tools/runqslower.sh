#!/usr/bin/env bash
# runqslower under a load the test makes: 3 spinners pinned to one CPU wait
# for each other. -p one of them, -P: its waits above 1 ms, each and all
# together no longer than the wait /proc/PID/schedstat counted, each after
# another task (never itself).
. tests/e2e/tools/lib.sh
target_start taskset -c 0 "$TARGET_BIN" spin 600 >"$TOOL_DIR/spin.t"
tool_start runqslower -p "$TARGET_PID" -P 1000
tool_wait '^TIME +COMM +TID +LAT\(us\) +PREV COMM +PREV TID$'
taskset -c 0 "$TARGET_BIN" spin 600 >/dev/null & o1=$!
taskset -c 0 "$TARGET_BIN" spin 600 >/dev/null & o2=$!
target_go
wait "$TARGET_PID" "$o1" "$o2"
tool_stop
read -r _ pid _ wait_ns _ <"$TOOL_DIR/spin.t"
wait_us=$((wait_ns / 1000))
lines=$(grep -cE "^[0-9:]{8} tools_target +$pid " "$TOOL_OUT")
check "the spinner's slow waits are reported ($lines)" test "$lines" -gt 0
check "only the -p process" test "$(grep -cvE "^([0-9:]{8} [^ ]+ +$pid |Tracing|TIME)" "$TOOL_OUT")" = 0
check "each wait in (1000, $wait_us] us, and their sum <= $wait_us us" \
	awk -v w="$wait_us" 'NR > 2 { if ($4 <= 1000 || $4 > w * 1.02 + 200) bad = 1; s += $4 }
		END { exit !(!bad && s <= w * 1.02 + 200) }' "$TOOL_OUT"
check "another task ran before it, each time" awk -v p="$pid" 'NR > 2 && ($6 == p || $5 == "") { bad = 1 } END { exit bad }' "$TOOL_OUT"
tool_done "runqslower"
