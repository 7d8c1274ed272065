#!/usr/bin/env bash
# hardirqs counts what /proc/interrupts counts: for every interrupt with one
# handler, its count lies between the increase of the kernel's counter
# around the test's workload (direct I/O: the disk's interrupts) and around
# the whole run (within the number of CPUs, for interrupts at the edges).
. tests/e2e/tools/lib.sh
# name -> total over CPUs, for numbered IRQs whose handler list is one name.
snap() { awk -v n="$(nproc)" '$1 ~ /^[0-9]+:$/ && NF == n + 4 { s = 0; for (i = 2; i <= n + 1; i++) s += $i; print $NF, s }' /proc/interrupts; }
snap >"$TOOL_DIR/s0"
tool_start hardirqs --json
tool_wait 'Tracing hard irq' "$TOOL_ERR"
snap >"$TOOL_DIR/s1"
dd if=/dev/zero of="$TOOL_DIR/f" bs=4k count=50 oflag=direct status=none 2>/dev/null
snap >"$TOOL_DIR/s2"
tool_stop
snap >"$TOOL_DIR/s3"
moved=0
while read -r name _; do
	[ "$(awk -v n="$name" '$1 == n' "$TOOL_DIR/s0" | wc -l)" = 1 ] || continue   # names shared by two IRQs
	counted_within hardirq "$name"
	[ "$INNER" -gt 0 ] && moved=$((moved + 1))
done <"$TOOL_DIR/s0"
check "the direct I/O made interrupts ($moved IRQs moved)" test "$moved" -gt 0
tool_done "hardirqs"
