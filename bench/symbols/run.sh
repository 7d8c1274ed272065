#!/usr/bin/env bash
# run.sh — symbols and probe listing:
#  1. `pktlua -l` against `bpftrace -l` on the same patterns (every
#     tracepoint; everything each lists by default); every BTF tracepoint
#     (tp_btf/raw_tp), which bpftrace 0.17 cannot list, against bpftool's
#     BTF dump filtered by grep. Median wall time of RUNS, lines listed.
#  2. usym.lua: 10,000 distinct user stacks of 20 frames (addresses drawn
#     from the executable mappings of a live process: pktlua itself, its
#     libraries) resolved through bpf.usym, the resolver behind stack.user;
#     time and RSS. Anchor: binutils addr2line -f on the same addresses,
#     one call per file.
#   bench/symbols/run.sh [RUNS]     (root; BUILD_DIR defaults to build/)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$root/build}
pktlua=$BUILD_DIR/host/pktlua
runs=${1:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# median wall ms of RUNS runs of "$@" (output to $tmp/out)
time_ms() {
	local i t0 t1 all=()
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		"$@" >"$tmp/out" 2>"$tmp/err" || true
		t1=$(date +%s%N)
		all+=($(((t1 - t0) / 1000)))
	done
	printf '%s\n' "${all[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}

row() {   # label cmd...
	local label=$1; shift
	local ms; ms=$(time_ms "$@")
	local n; n=$(wc -l <"$tmp/out")
	echo "$ms $n" >"$tmp/last"
	printf '| %s | %s ms | %s |\n' "$label" "$ms" "$n"
}

echo "Listing (median of $runs runs, wall time; lines of output):"
echo
echo "| what | time | probes |"
echo "|---|---|---|"
row "pktlua -l 'tracepoint/*'" "$pktlua" -l 'tracepoint/*'; read -r p_tp _ <"$tmp/last"
if command -v bpftrace >/dev/null; then
	row "bpftrace -l 'tracepoint:*'" bpftrace -l 'tracepoint:*'; read -r b_tp _ <"$tmp/last"
fi
row "pktlua -l 'tp_btf/*'" "$pktlua" -l 'tp_btf/*'
row "pktlua -l 'raw_tp/*'" "$pktlua" -l 'raw_tp/*'
if command -v bpftrace >/dev/null; then
	bpftrace -l 'rawtracepoint:*' >"$tmp/bt_raw" 2>&1 || true
	printf '| bpftrace -l '"'"'rawtracepoint:*'"'"' | cannot: %s | — |\n' "$(head -1 "$tmp/bt_raw")"
fi
if command -v bpftool >/dev/null; then
	row "bpftool btf dump file vmlinux \\| grep btf_trace_" \
		sh -c "bpftool btf dump file /sys/kernel/btf/vmlinux | grep \"TYPEDEF 'btf_trace_\""
fi
row "pktlua -l (everything)" "$pktlua" -l; read -r p_all _ <"$tmp/last"
if command -v bpftrace >/dev/null; then
	row "bpftrace -l (everything)" bpftrace -l; read -r b_all _ <"$tmp/last"
	echo
	awk -v p="$p_tp" -v b="$b_tp" -v pa="$p_all" -v ba="$b_all" 'BEGIN {
		printf "Ratio bpftrace/pktlua: tracepoints %.1fx, everything %.1fx (pktlua lists raw_tp/tp_btf and perf events too).\n", b / p, ba / pa }'
fi

echo
echo "Symbolizing 10,000 distinct user stacks of 20 frames (one run):"
echo
"$pktlua" "$here/usym.lua" 10000 20 "$tmp/addrs" >"$tmp/usym" 2>&1 || { cat "$tmp/usym"; exit 1; }
cat "$tmp/usym"
# The anchor: addr2line over the same (file, address) pairs, one call per file.
t0=$(date +%s%N)
n=0
while read -r file; do
	grep -F "$file " "$tmp/addrs" | awk '{ print $2 }' >"$tmp/one"
	addr2line -f -e "$file" <"$tmp/one" >/dev/null 2>&1 || true
	n=$((n + $(wc -l <"$tmp/one")))
done < <(awk '{ print $1 }' "$tmp/addrs" | sort -u)
t1=$(date +%s%N)
printf '| binutils addr2line -f, one call per file | %d frames | %.1f ms |\n' "$n" "$(((t1 - t0) / 1000))e-3"
