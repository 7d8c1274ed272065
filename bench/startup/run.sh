#!/usr/bin/env bash
# run.sh — startup benchmark: the same tiny tracepoint counter (count
# sys_enter_openat into a 1-entry array, print "attached" right after the
# attach, exit) in pktlua (cold: an empty PKTLUA_CACHE_DIR per run; hit: a
# warmed one), bpftrace, BCC Python and a raw libbpf C program.
# Each run is timed by launch.c: launch→"attached" line, launch→exit, peak
# RSS (wait4's ru_maxrss, what /usr/bin/time -f %M prints; it includes the
# compiler child). Medians over RUNS runs, the variants interleaved so that
# machine noise hits all of them alike.
#   bench/startup/run.sh [RUNS]      (root; BUILD_DIR defaults to build/)
# Prints a Markdown table with ratios vs bpftrace; RESULTS=FILE also writes
# "startup VARIANT attached_ms exit_ms rss_kb" lines there.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
runs=${1:-10}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export PKTLUA_CC_SHIM=${PKTLUA_CC_SHIM:-$build/host/libpktlua-cc.so}

cc -O2 -Wall -o "$out/launch" "$here/launch.c"
pktlua=$build/host/pktlua
[ -x "$pktlua" ] || { echo "startup: $pktlua is not built" >&2; exit 1; }

# Which variants can run here, and why not. A variant that cannot run keeps
# its row, with the reason.
declare -A why cmd
variants="pktlua_cold pktlua_hit bpftrace bcc_python raw_libbpf"
cmd[pktlua_cold]="$pktlua $here/tp_count.lua"
cmd[pktlua_hit]="$pktlua $here/tp_count.lua"
if command -v bpftrace >/dev/null; then
	cmd[bpftrace]="bpftrace $here/tp_count.bt"
else
	why[bpftrace]="not installed (bench/setup-anchors.sh)"
fi
py=/usr/bin/python3         # Debian's: python3-bpfcc is not in other pythons
if ! $py -c 'import bcc' 2>/dev/null; then
	why[bcc_python]="not installed (bench/setup-anchors.sh)"
elif ! err=$($py "$here/tp_count.py" 2>&1 >/dev/null); then
	why[bcc_python]="cannot run here: $(printf '%s\n' "$err" | grep -m1 -iE 'error|unable|chdir' || printf '%s' "$err" | tail -1)"
else
	cmd[bcc_python]="$py $here/tp_count.py"
fi
if command -v clang-19 >/dev/null && pkg-config --exists libbpf; then
	clang-19 -O2 -g -target bpf -I"/usr/include/$(gcc -print-multiarch)" \
		-c "$here/raw_tp.bpf.c" -o "$out/raw_tp.bpf.o"
	cc -O2 -Wall -o "$out/raw_tp" "$here/raw_tp.c" $(pkg-config --libs libbpf)
	cmd[raw_libbpf]="$out/raw_tp $out/raw_tp.bpf.o"
else
	why[raw_libbpf]="not installed (clang-19, libbpf-dev)"
fi

# Warm the hit cache once; every cold run gets a fresh empty directory.
mkdir -p "$out/hit"
PKTLUA_CACHE_DIR=$out/hit $pktlua "$here/tp_count.lua" >/dev/null

for ((i = 0; i < runs; i++)); do
	for v in $variants; do
		[ -n "${cmd[$v]:-}" ] || continue
		case $v in
		pktlua_cold) dir=$(mktemp -d "$out/cold.XXXX") ;;
		*) dir=$out/hit ;;
		esac
		PKTLUA_CACHE_DIR=$dir "$out/launch" attached ${cmd[$v]} 2>>"$out/stderr.$v" \
			>>"$out/t.$v" || { echo "startup: $v failed:" >&2; tail -5 "$out/stderr.$v" >&2; exit 1; }
		case $v in pktlua_cold) rm -rf "$dir" ;; esac
	done
done

median() {  # column N of file: the median
	sort -g -k"$1,$1" "$2" | awk -v c="$1" '{ a[NR] = $c } END {
		if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

declare -A att ext rss
for v in $variants; do
	[ -s "$out/t.$v" ] || continue
	att[$v]=$(median 1 "$out/t.$v")
	ext[$v]=$(median 2 "$out/t.$v")
	rss[$v]=$(median 3 "$out/t.$v")
	[ -n "${RESULTS:-}" ] && echo "startup $v ${att[$v]} ${ext[$v]} ${rss[$v]}" >>"$RESULTS"
done

ratio() {  # value vs bpftrace's
	if [ -n "${2:-}" ] && [ -n "${bt:-}" ]; then
		awk -v a="$2" -v b="$bt" 'BEGIN { printf "%s (%.2f×)", a, a / b }'
	else
		printf '%s' "$2"
	fi
}
echo "startup: medians of $runs runs; ratios vs bpftrace; $(nproc) CPUs, $(uname -r)"
echo
echo "| variant | launch→attached ms | launch→exit ms | peak RSS MB |"
echo "|---|---|---|---|"
for v in $variants; do
	if [ -n "${why[$v]:-}" ]; then
		echo "| $v | ${why[$v]} | | |"
		continue
	fi
	rmb=$(awk -v k="${rss[$v]}" 'BEGIN { printf "%.1f", k / 1024 }')
	bt=${att[bpftrace]:-}; a=$(ratio x "${att[$v]}")
	bt=${ext[bpftrace]:-}; e=$(ratio x "${ext[$v]}")
	bt=$(awk -v k="${rss[bpftrace]:-}" 'BEGIN { if (k != "") printf "%.1f", k / 1024 }'); r=$(ratio x "$rmb")
	echo "| $v | $a | $e | $r |"
done
