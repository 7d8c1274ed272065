#!/usr/bin/env bash
# run.sh — map read benchmark: an N-entry hash map (__u32 -> __u64, keys
# 0..N-1) read whole by pktlua (pairs() in Lua), BCC Python
# (items_lookup_batch(), items()), bpftool (map dump, to /dev/null) and raw
# C (bpf_map_lookup_batch, 4096 entries per call: the floor), for each N.
# Every reader counts the entries and sums the values; times are medians of
# ROUNDS reads inside one process (bcc items(): ITEMS_ROUNDS, default 1, as
# it is slow), bpftool's is its whole run (start-up included, a few ms).
#   bench/maps/run.sh [ROUNDS [N...]]    (root; BUILD_DIR defaults to build/)
# Prints a Markdown table with ratios vs the raw C floor; RESULTS=FILE also
# writes "maps READER N ms" lines there.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
rounds=${1:-5}
shift $(($# > 0 ? 1 : 0))
sizes=${*:-"100000 1000000"}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export PKTLUA_CC_SHIM=${PKTLUA_CC_SHIM:-$build/host/libpktlua-cc.so}
py=/usr/bin/python3

cc -O2 -Wall -o "$out/raw_batch" "$here/raw_batch.c" $(pkg-config --libs libbpf)
cc -O2 -Wall -o "$out/launch" "$root/bench/startup/launch.c"
have_bcc=1
$py -c 'import bcc' 2>/dev/null || have_bcc=
have_bpftool=1
command -v bpftool >/dev/null || have_bpftool=

declare -A ms
ms_of() { sed -n 's/.*: \([0-9.]*\) ms.*/\1/p'; }
for n in $sizes; do
	ms[pktlua.$n]=$("$build/host/pktlua" "$here/read_map.lua" "$n" "$rounds" | ms_of)
	# The raw reader keeps its map (HOLD) while bpftool dumps it.
	coproc RAW { HOLD=1 "$out/raw_batch" "$n" "$rounds"; }
	read -r line <&"${RAW[0]}"
	ms[raw.$n]=$(printf '%s\n' "$line" | ms_of)
	read -r _ id <&"${RAW[0]}"
	if [ -n "$have_bpftool" ]; then
		: >"$out/bt"
		for ((r = 0; r < rounds; r++)); do
			"$out/launch" - bpftool map dump id "$id" >>"$out/bt"
		done
		ms[bpftool.$n]=$(sort -g -k2,2 "$out/bt" | awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)] }')
	fi
	exec {RAW[1]}>&-
	wait
	if [ -n "$have_bcc" ]; then
		$py "$here/read_map.py" "$n" "$rounds" "${ITEMS_ROUNDS:-1}" >"$out/bcc" 2>"$out/bcc.err" ||
			{ echo "maps: bcc failed:" >&2; tail -3 "$out/bcc.err" >&2; have_bcc=; bcc_why="cannot run here (see stderr)"; }
		ms[bcc_batch.$n]=$(grep items_lookup_batch "$out/bcc" | ms_of)
		ms[bcc_items.$n]=$(grep 'bcc items ' "$out/bcc" | ms_of)
	fi
done

label() {
	case $1 in
	pktlua) echo 'pktlua `for k, v in pairs(m)`' ;;
	bcc_batch) echo 'BCC Python `items_lookup_batch()`' ;;
	bcc_items) echo 'BCC Python `items()`' ;;
	bpftool) echo '`bpftool map dump id N` (whole run)' ;;
	raw) echo 'raw C `bpf_map_lookup_batch` (floor)' ;;
	esac
}
echo "maps: medians of $rounds reads (bcc items(): ${ITEMS_ROUNDS:-1}); ratio vs the raw C floor"
echo
printf '| reader |'; for n in $sizes; do printf ' %s entries ms |' "$n"; done; echo
printf '|---|'; for n in $sizes; do printf -- '---|'; done; echo
for r in pktlua bcc_batch bcc_items bpftool raw; do
	printf '| %s |' "$(label $r)"
	for n in $sizes; do
		v=${ms[$r.$n]:-}
		if [ -z "$v" ]; then
			case $r in bcc*) printf ' %s |' "${bcc_why:-not installed}" ;; bpftool) printf ' not installed |' ;; *) printf ' failed |' ;; esac
			continue
		fi
		[ -n "${RESULTS:-}" ] && echo "maps $r $n $v" >>"$RESULTS"
		awk -v a="$v" -v b="${ms[raw.$n]}" 'BEGIN { printf " %.1f (%.2f×) |", a, a / b }'
	done
	echo
done
