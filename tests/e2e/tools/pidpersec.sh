#!/usr/bin/env bash
# pidpersec counts forks: its total over the run lies between the kernel's
# own fork counter (/proc/stat "processes") around the test's 100 forks and
# around the whole run.
. tests/e2e/tools/lib.sh
forks() { awk '/^processes/ { print $2 }' /proc/stat; }
f0=$(forks)
tool_start pidpersec -i 0.5 --json
tool_wait 'Tracing' "$TOOL_ERR"
f1=$(forks)
for _ in $(seq 100); do /bin/true; done
f2=$(forks)
tool_stop
f3=$(forks)
total=$(jq -s 'map(.pids) | add' "$TOOL_OUT")
check "the forks counted ($total) >= the kernel's count around the test's 100 ($((f2 - f1)))" \
	test "$total" -ge $((f2 - f1)) -a $((f2 - f1)) -ge 100
check "the forks counted ($total) <= the kernel's count around the run ($((f3 - f0)))" \
	test "$total" -le $((f3 - f0))
tool_start pidpersec -d 1.2
tool_finish
check "text: HH:MM:SS: PIDs/sec: N lines" has '^[0-9:]{8}: PIDs/sec: [0-9]+$'
tool_done "pidpersec"
