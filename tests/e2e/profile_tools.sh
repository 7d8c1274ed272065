#!/usr/bin/env bash
# profile_tools.sh — scripts/profile.lua and scripts/offcputime.lua against a
# process whose stacks are known (stack_target): profile -f prints folded
# lines naming the functions it spins in, offcputime -f charges the time it
# sleeps to the functions it sleeps in (about all of the second it runs),
# and both --svg files are well-formed XML that name them; their --json
# lines say the same.
set -u
: "${PKTLUA:?}" "${PKTLUA_BUILD:?}"
target=$PKTLUA_BUILD/tests/stack_target
tmp=$(mktemp -d /tmp/pl_profile_$$.XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0

"$target" 0 30000 >/dev/null & pids+=($!); spin=$!
"$target" 0 30000 sleep >/dev/null & pids+=($!); nap=$!

"$PKTLUA" scripts/profile.lua -p "$spin" -F 199 -f --svg "$tmp/cpu.svg" 1 >"$tmp/cpu.txt" 2>"$tmp/cpu.err"
echo "profile: $?"; cat "$tmp/cpu.err"; sort -k2 -n -t' ' "$tmp/cpu.txt" | tail -3
want='^stack_target;.*;main;pl_spin_outer;pl::spin_middle\(long\);pl_spin_inner(;[^ ]*)? [0-9]+$'
grep -Eq "$want" "$tmp/cpu.txt" || { echo "FAIL: no folded line names the spinning functions"; fail=1; }
"$PKTLUA" scripts/offcputime.lua -p "$nap" -f --svg "$tmp/off.svg" 1 >"$tmp/off.txt" 2>"$tmp/off.err"
echo "offcputime: $?"; cat "$tmp/off.err"; sort -k2 -n -t' ' "$tmp/off.txt" | tail -3
# The microseconds charged to the sleeping functions (with nanosleep's
# kernel frames above them): about the second offcputime ran.
us=$(grep -E '^stack_target;.*;main;pl_sleep_outer;pl_sleep_inner;.*do_nanosleep' "$tmp/off.txt" |
	awk '{ s += $NF } END { print s + 0 }')
echo "off-CPU in pl_sleep_inner: $us us"
[ "$us" -ge 500000 ] && [ "$us" -le 1500000 ] || { echo "FAIL: expected about 1000000 us"; fail=1; }
# --json: one object per stack, the frames as names. profile's stacks of
# the spinner are its own (pid, comm), pl_spin_inner innermost in user
# space above main; offcputime's sleeper stacks add up to about the second.
"$PKTLUA" -t profile --json -p "$spin" -F 199 1 >"$tmp/cpu.json" 2>"$tmp/cpu.err"
echo "profile --json: $?"; tail -1 "$tmp/cpu.json"
jq -e -s --argjson pid "$spin" 'length > 0 and all(.pid == $pid and .comm == "stack_target" and .count > 0)
	and any(.ustack[0] == "pl_spin_inner" and (.ustack | index("main")) != null)' "$tmp/cpu.json" >/dev/null ||
	{ echo "FAIL: profile --json does not show the spinner in pl_spin_inner"; fail=1; }
"$PKTLUA" -t offcputime --json -p "$nap" 1 >"$tmp/off.json" 2>"$tmp/off.err"
echo "offcputime --json: $?"; tail -1 "$tmp/off.json"
us=$(jq -s --argjson pid "$nap" 'map(select(.pid == $pid and (.ustack | index("pl_sleep_inner")) != null
	and (.kstack | index("do_nanosleep")) != null) | .usecs) | add // 0' "$tmp/off.json")
echo "offcputime --json: off-CPU in pl_sleep_inner: $us us"
[ "$us" -ge 500000 ] && [ "$us" -le 1500000 ] || { echo "FAIL: --json: expected about 1000000 us"; fail=1; }
for f in cpu off; do
	xmllint --noout "$tmp/$f.svg" || { echo "FAIL: $f.svg is not XML"; fail=1; }
done
grep -q 'pl_spin_inner' "$tmp/cpu.svg" && grep -q 'pl::spin_middle(long)' "$tmp/cpu.svg" ||
	{ echo "FAIL: cpu.svg does not name the functions"; fail=1; }
grep -q 'pl_sleep_inner' "$tmp/off.svg" || { echo "FAIL: off.svg does not name pl_sleep_inner"; fail=1; }
[ "$fail" = 0 ] && echo "PASS"
exit "$fail"
