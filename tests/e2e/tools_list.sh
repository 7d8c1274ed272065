#!/usr/bin/env bash
# tools_list.sh — `pktlua -t` lists every file of scripts/ once, as
# "NAME  purpose" with the purpose of its "-- NAME.lua — purpose" header,
# sorted; each tool's -h prints its usage ("usage: pktlua -t NAME ...") and
# examples, and exits 0; `pktlua -t NAME`
# runs the embedded copy from any directory.
set -u
: "${PKTLUA:?}"
src=$(pwd)
list=$("$PKTLUA" -t) || { echo "FAIL: pktlua -t exited $?"; exit 1; }
fail=0
n=0
for f in scripts/*.lua; do
	name=$(basename "$f" .lua)
	purpose=$(sed -n "s/^-- $name\.lua — //p" "$f" | head -1)
	[ -n "$purpose" ] || { echo "FAIL: $f has no '-- $name.lua — purpose' header"; fail=1; continue; }
	line=$(printf '%s\n' "$list" | awk -v n="$name" '$1 == n')
	want=$(printf '%s\n' "$line" | sed -E 's/^[^ ]+ +//')
	if [ "$want" != "$purpose" ]; then
		echo "FAIL: pktlua -t says '$line' for $name, header says '$purpose'"; fail=1
	fi
	head -1 "$f" | grep -qx '#!/usr/bin/env pktlua' || { echo "FAIL: $f lacks #!/usr/bin/env pktlua"; fail=1; }
	# -h: the help, status 0 (parsed before anything loads), on stdout,
	# starting with how to run the tool by name, with examples.
	out=$("$PKTLUA" -t "$name" -h 2>/dev/null); rc=$?
	[ $rc -eq 0 ] && case $out in "usage: pktlua -t $name "*) true ;; *) false ;; esac ||
		{ echo "FAIL: pktlua -t $name -h: status $rc, does not start with 'usage: pktlua -t $name'"; fail=1; }
	printf '%s\n' "$out" | grep -q '^examples:' || { echo "FAIL: pktlua -t $name -h: no examples"; fail=1; }
	n=$((n + 1))
done
lines=$(printf '%s\n' "$list" | wc -l)
[ "$lines" -eq "$n" ] || { echo "FAIL: pktlua -t lists $lines tools, scripts/ has $n"; fail=1; }
printf '%s\n' "$list" | awk '{ print $1 }' | sort -c || { echo "FAIL: not sorted"; fail=1; }
# Run one from elsewhere: the embedded copy, arguments passed through.
cd /tmp || exit 1
out=$("$PKTLUA" -t pktstat "$src/samples/mixed.pcap" 2>&1)
printf '%s\n' "$out" | grep -qE '^ipv4/tcp +326 +106714$' ||
	{ echo "FAIL: pktlua -t pktstat from /tmp:"; printf '%s\n' "$out"; fail=1; }
out=$("$PKTLUA" -t no_such_tool 2>&1); rc=$?
[ $rc -ne 0 ] && printf '%s\n' "$out" | grep -qF "no tool 'no_such_tool' (pktlua -t lists them)" ||
	{ echo "FAIL: unknown tool: rc=$rc: $out"; fail=1; }
[ $fail -eq 0 ] && echo "tools list: $n tools, headers agree"
exit $fail
