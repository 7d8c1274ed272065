#!/usr/bin/env bash
# run.sh — scrape latency and CPU of GET /metrics for 10, 1,000 and 10,000
# series: pktlua (bench/metrics/serve.lua: a hash map of flows, three labels,
# the "ip" decoder; and with a Lua function decoding one label) against
# Python's prometheus_client serving the same series (the anchor, when
# python3-prometheus-client is installed: bench/setup-anchors.sh).
#   bench/metrics/run.sh [SIZES...]     (root; BUILD_DIR defaults to build/)
# One curl process scrapes each server SCRAPES times over one keep-alive
# connection; latency is curl's time_total (median, p99), CPU the server
# process's user+system time (/proc/PID/stat, all threads) over the scrapes
# divided by their number, and "render" the median of pktlua's own
# pktlua_scrape_duration_seconds over 21 more scrapes (writing the
# exposition: reading the map, labels, text; no HTTP). Wall-clock figures
# include waiting for a CPU on a loaded machine; CPU time does not.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$root/build}
pktlua=$BUILD_DIR/host/pktlua
sizes=${*:-10 1000 10000}
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
hz=$(getconf CLK_TCK)

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# NAME SIZE SCRAPES CMD...: start CMD, scrape it, print one table row.
measure() {
	local name=$1 size=$2 n=$3
	shift 3
	"$@" >"$tmp/log" 2>&1 &
	pid=$!
	for _ in $(seq 300); do grep -q '^serving ' "$tmp/log" && break; sleep 0.1; done
	local addr
	addr=$(sed -n 's/^serving //p' "$tmp/log")
	[ -n "$addr" ] || { cat "$tmp/log"; echo "bench: $name did not start" >&2; exit 1; }
	local url=http://$addr/metrics
	curl -sf -o "$tmp/body" "$url"                      # warm up, and the size
	local series
	series=$(grep -c '^bench_packets_total{' "$tmp/body" || true)
	local before after
	before=$(cpu_ticks "$pid")
	local args=()
	for _ in $(seq "$n"); do args+=(-o /dev/null "$url"); done
	curl -sf -w '%{time_total}\n' "${args[@]}" >"$tmp/times"
	after=$(cpu_ticks "$pid")
	local render="-"
	if [ "$name" != "prometheus_client" ]; then
		# The median of what 21 more scrapes say of themselves.
		for _ in $(seq 21); do curl -sf "$url"; done |
			awk '/^pktlua_scrape_duration_seconds / { print $2 * 1000 }' | sort -g >"$tmp/render"
		render=$(awk '{ v[NR] = $1 } END { printf "%.2f ms", v[int((NR + 1) / 2)] }' "$tmp/render")
	fi
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
	sort -g "$tmp/times" | awk -v name="$name" -v size="$size" -v series="$series" \
		-v bytes="$(wc -c <"$tmp/body")" -v cpu="$(( after - before ))" -v hz="$hz" \
		-v n="$n" -v render="$render" '
		{ t[NR] = $1 }
		END {
			p99 = int(NR * 0.99)
			if (p99 < 1) p99 = NR
			printf "| %s | %d | %s | %.0f KB | %.2f ms | %.2f ms | %.2f ms | %s |\n",
				name, size, series, bytes / 1024, t[int((NR + 1) / 2)] * 1000,
				t[p99] * 1000, cpu / hz / n * 1000, render
		}'
}

scrapes() { case $1 in 10) echo 2000 ;; 1000) echo 500 ;; *) echo 200 ;; esac; }

echo "metrics: $(curl --version | head -1 | cut -d' ' -f1-2), scrapes over one keep-alive connection"
echo
echo "| server | map entries | series | exposition | latency p50 | latency p99 | CPU per scrape | render |"
echo "|---|---|---|---|---|---|---|---|"
for size in $sizes; do
	n=$(scrapes "$size")
	measure pktlua "$size" "$n" "$pktlua" "$here/serve.lua" "$size"
	measure "pktlua, Lua decoder" "$size" "$n" "$pktlua" "$here/serve.lua" "$size" fn
	if /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null; then
		measure prometheus_client "$size" "$n" /usr/bin/python3 "$here/anchor.py" "$size"
	else
		echo "| prometheus_client | $size | not installed | | | | | |"
	fi
done
