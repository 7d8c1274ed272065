#!/usr/bin/env bash
# run.sh — the bundled tools' benchmarks:
#  1. observer cost: how much slower a workload runs while a tool traces it,
#     for pktlua's tool, libbpf-tools' C tool (Debian's libbpf-tools, the
#     floor) and bpftrace's .bt tool, in one run, interleaved:
#       opensnoop  on N_OPEN (200,000) open()+close() of /dev/null
#       execsnoop  on N_EXEC (2,000) fork+exec of /bin/true
#       syscount   on N_SYSCALLS (2,000,000) getppid()
#     Every tool writes its output to a file in /dev/shm; the events it
#     printed for the workload are counted (a tool that drops events would
#     look cheap).
#  2. start-up: launch → ready (the tool's first line, printed once its
#     programs are attached) for every bundled tool, cold (an empty compile
#     cache) and from the cache; libbpf-tools and bpftrace beside it where
#     they have the tool.
#   bench/tools/run.sh [ROUNDS]      (root; BUILD_DIR defaults to build/)
# ROUNDS (default 3): each cost figure is the median of ROUNDS runs,
# start-up the median of ROUNDS launches (STARTUP_ROUNDS=N for another
# count; SKIP_COST=1 or SKIP_STARTUP=1 for one half; COST_TOOLS="syscount"
# for some of the three). Prints Markdown tables.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
rounds=${1:-3}
N_OPEN=${N_OPEN:-200000} N_EXEC=${N_EXEC:-2000} N_SYSCALLS=${N_SYSCALLS:-2000000}
COST_TOOLS=${COST_TOOLS:-opensnoop execsnoop syscount}
pktlua=$build/host/pktlua
[ -x "$pktlua" ] || { echo "bench/tools: build pktlua first ($build)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/tools: run as root" >&2; exit 1; }
out=$(mktemp -d /dev/shm/pl_bench_tools.XXXXXX)
trap 'rm -rf "$out"' EXIT
cc -O2 -Wall -o "$out/ready" "$here/ready.c" || exit 1
cc -O2 -Wall -o "$out/workload" "$here/workload.c" || exit 1
export PKTLUA_CACHE_DIR=$out/cache
cd "$root" || exit 1

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print a[int((NR + 1) / 2)] }'; }

# --- observer cost -----------------------------------------------------------

# tracer_cmd TOOL VARIANT: the command line, or nothing if not installed.
tracer_cmd() {
	case $2 in
	none) echo ":" ;;
	pktlua) echo "$pktlua -t $1" ;;
	libbpf-tools) [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1" ;;
	bpftrace) command -v bpftrace >/dev/null && [ -f "/usr/sbin/$1.bt" ] && echo "bpftrace /usr/sbin/$1.bt" ;;
	esac
}
marker() { [ "$1" = bpftrace ] && echo 2 || echo 1; }   # lines printed once attached

# one_run TOOL VARIANT WORKLOAD N: "ELAPSED_MS EVENTS"
one_run() {
	local tool=$1 v=$2 w=$3 n=$4 cmd pid elapsed events=- lines
	cmd=$(tracer_cmd "$tool" "$v") || return 1
	if [ "$v" != none ]; then
		: >"$out/trace"
		# shellcheck disable=SC2086 # the command line is words
		$cmd >"$out/trace" 2>&1 &
		pid=$!
		lines=$(marker "$v")
		for _ in $(seq 600); do
			[ "$(wc -l <"$out/trace")" -ge "$lines" ] && break
			kill -0 $pid 2>/dev/null || break
			sleep 0.05
		done
		sleep 0.2
	fi
	elapsed=$("$out/workload" "$w" "$n")
	if [ "$v" != none ]; then
		kill -INT $pid 2>/dev/null
		wait $pid 2>/dev/null
		case $tool in
		opensnoop) events=$(grep -c 'workload.*/dev/null' "$out/trace") ;;
		execsnoop) events=$(grep -c 'true' "$out/trace") ;;
		# (bpftrace's syscount.bt keys by number: getppid is 110 on x86-64)
		syscount) events=$(grep -E '^(getppid|@\[getppid\]|  getppid|@syscall\[110\])' "$out/trace" | grep -oE '[0-9]+$' | head -1) ;;
		esac
	fi
	echo "$elapsed ${events:-0}"
}

cost() {
	local tool=$1 w=$2 n=$3 v r base
	declare -A times evs
	for r in $(seq "$rounds"); do
		for v in none pktlua libbpf-tools bpftrace; do
			tracer_cmd "$tool" "$v" >/dev/null || continue
			read -r t e < <(one_run "$tool" "$v" "$w" "$n")
			times[$v]+="$t "
			evs[$v]=$e
		done
	done
	base=$(echo "${times[none]}" | tr ' ' '\n' | grep . | median)
	for v in none pktlua libbpf-tools bpftrace; do
		if [ -z "${times[$v]:-}" ]; then
			echo "| $tool | $v | not installed | | |"
			continue
		fi
		local m
		m=$(echo "${times[$v]}" | tr ' ' '\n' | grep . | median)
		awk -v t="$tool" -v v="$v" -v m="$m" -v b="$base" -v e="${evs[$v]}" -v n="$n" 'BEGIN {
			if (v == "none") printf "| %s | no tracing | %.0f ms | — | — |\n", t, m
			else printf "| %s | %s | %.0f ms | +%.0f%% (%.2f µs/event) | %s |\n", t, v, m, (m - b) * 100 / b, (m - b) * 1000 / n, e }'
	done
}

[ "${SKIP_COST:-0}" = 1 ] || {
echo "### Observer cost (median of $rounds runs, interleaved)"
echo
echo "| tool | tracer | workload time | slowdown (cost per event) | events printed |"
echo "|---|---|---|---|---|"
# Warm the compile cache first: start-up is measured below, not here.
for t in $COST_TOOLS; do "$out/ready" "#1" "$pktlua" -t "$t" >/dev/null 2>&1; done
for t in $COST_TOOLS; do
	case $t in
	opensnoop) cost opensnoop openat "$N_OPEN" ;;
	execsnoop) cost execsnoop exec "$N_EXEC" ;;
	syscount) cost syscount syscalls "$N_SYSCALLS" ;;
	*) echo "run.sh: no observer-cost workload for '$t'" >&2; exit 2 ;;
	esac
done
echo
echo "Workloads: $N_OPEN open()+close() of /dev/null; $N_EXEC fork+exec of /bin/true;"
echo "$N_SYSCALLS getppid() (bench/tools/workload.c). Tool output goes to a file in /dev/shm."
}

# --- start-up ----------------------------------------------------------------

# NAME|ARGS (what the tool needs to start; packet tools watch lo)
startups() {
	for f in scripts/*.lua; do
		n=$(basename "$f" .lua)
		case $n in
		pktdump) echo "$n|lo -w $out/pd.pcap" ;;
		pktstat) echo "$n|lo 30" ;;
		pkttop|dnssnoop|tcpsynrtt) echo "$n|lo" ;;
		funccount) echo "$n|c:malloc" ;;
		funclatency) echo "$n|c:malloc" ;;
		profile|offcputime|exporter) ;;   # not ours: their own benchmarks
		*) echo "$n|" ;;
		esac
	done
}

echo
# A tool that never prints its first line (libbpf-tools print their header
# through stdio, fully buffered on a pipe: stdbuf -oL for them) is cut at
# 20 s and shows "-". stdbuf and timeout add their own exec (~1 ms).
[ "${SKIP_STARTUP:-0}" = 1 ] && exit 0
srounds=${STARTUP_ROUNDS:-$rounds}
echo "### Start-up: launch → ready (ms, median of $srounds)"
echo
echo "| tool | pktlua cold | pktlua cached | libbpf-tools | bpftrace |"
echo "|---|---|---|---|---|"
startups | while IFS='|' read -r name args; do
	cold= hot= lt= bt=
	for r in $(seq "$srounds"); do
		# shellcheck disable=SC2086 # ARGS are words
		cold+="$(PKTLUA_CACHE_DIR=$out/cold.$r.$name "$out/ready" "#1" timeout -s INT 20 "$pktlua" -t "$name" $args 2>/dev/null) "
	done
	for r in $(seq "$srounds"); do
		# shellcheck disable=SC2086
		hot+="$("$out/ready" "#1" timeout -s INT 20 "$pktlua" -t "$name" $args 2>/dev/null) "
		if [ -x "/usr/sbin/$name" ]; then
			lt+="$("$out/ready" "#1" timeout -s INT 20 stdbuf -oL "/usr/sbin/$name" 2>/dev/null) "
		fi
		if [ -f "/usr/sbin/$name.bt" ] && command -v bpftrace >/dev/null; then
			bt+="$("$out/ready" "#2" timeout -s INT 20 bpftrace "/usr/sbin/$name.bt" 2>/dev/null) "
		fi
	done
	m() { echo "$1" | tr ' ' '\n' | grep -E '^[0-9.]+$' | median; }
	printf '| %s | %s | %s | %s | %s |\n' "$name" "$(m "$cold")" "$(m "$hot")" \
		"$( [ -n "$lt" ] && m "$lt" || echo —)" "$( [ -n "$bt" ] && m "$bt" || echo —)"
done
