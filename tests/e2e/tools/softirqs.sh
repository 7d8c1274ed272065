#!/usr/bin/env bash
# softirqs -C counts what the kernel's own counters (/proc/softirqs) count:
# for every softirq, its count lies between their increase around the test's
# workload (loopback TCP traffic: net_rx; direct I/O: block) and around the
# whole run (within the number of CPUs, for softirqs running at the edges).
. tests/e2e/tools/lib.sh
snap() { awk 'NR > 1 { s = 0; for (i = 2; i <= NF; i++) s += $i; sub(":", "", $1); print tolower($1), s }' /proc/softirqs; }
snap >"$TOOL_DIR/s0"
tool_start softirqs -C --json
tool_wait 'Tracing soft irq' "$TOOL_ERR"
snap >"$TOOL_DIR/s1"
"$TARGET_BIN" serve 127.0.0.1 0 200000 >"$TOOL_DIR/port" 2>/dev/null & srv=$!
for _ in $(seq 100); do [ -s "$TOOL_DIR/port" ] && break; sleep 0.02; done
"$TARGET_BIN" send 127.0.0.1 "$(cat "$TOOL_DIR/port")" 2000000 >/dev/null 2>&1
wait $srv
dd if=/dev/zero of="$TOOL_DIR/f" bs=4k count=64 oflag=direct status=none 2>/dev/null
snap >"$TOOL_DIR/s2"
tool_stop
snap >"$TOOL_DIR/s3"
n=0
while read -r name _; do
	counted_within softirq "$name"
	[ "$name" = net_rx ] && [ "$INNER" -gt 0 ] && n=1
done <"$TOOL_DIR/s0"
check "the loopback traffic made net_rx softirqs" test "$n" = 1
tool_done "softirqs"
