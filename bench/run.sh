#!/usr/bin/env bash
# run.sh — every pktlua benchmark in one run, each printing its table:
# startup (vs bpftrace, BCC Python, raw libbpf), maps (vs BCC, bpftool, raw
# C), events (vs a raw libbpf consumer), replay (vs raw BPF_PROG_TEST_RUN),
# and --filter when bench/filter/run.sh exists. Anchors that are not
# installed show as "not installed" (bench/setup-anchors.sh installs them).
#   bench/run.sh [--quick]     (root; BUILD_DIR defaults to build/, built)
# --quick: fewer runs and events, for a check that everything runs.
# Environment: STARTUP_RUNS (10), MAP_ROUNDS (5), MAP_SIZES ("100000
# 1000000"), EVENTS_N (2000000), EVENTS_RATES ("1000000 2000000"),
# REPLAY_PACKETS (100000), METRICS_SIZES ("10 1000 10000"), TOOLS_ROUNDS (3:
# the bundled tools' observer cost and start-up, bench/tools/run.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$root/build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$root/$BUILD_DIR ;; esac
if [ "${1:-}" = --quick ]; then
	: "${STARTUP_RUNS:=3}" "${MAP_ROUNDS:=2}" "${MAP_SIZES:=100000}"
	: "${EVENTS_N:=300000}" "${EVENTS_RATES:=1000000}" "${REPLAY_PACKETS:=20000}"
	: "${METRICS_SIZES:=10 1000}"
fi
[ "$(id -u)" = 0 ] || { echo "bench: run as root (BPF)" >&2; exit 1; }
[ -x "$BUILD_DIR/host/pktlua" ] || { echo "bench: build pktlua first ($BUILD_DIR)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "# pktlua bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "$(. /etc/os-release; echo "$PRETTY_NAME"), Linux $(uname -r), $(nproc) CPUs" \
	"($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ { print $2 }') GiB;" \
	"pktlua $("$BUILD_DIR/host/pktlua" --version 2>&1 | head -1 | awk '{ print $NF }')" \
	"($(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet 2>/dev/null || echo '+dirty'));" \
	"bpftrace $(bpftrace --version 2>/dev/null | awk '{ print $2 }' || true)," \
	"BCC $(dpkg-query -W -f='${Version}' python3-bpfcc 2>/dev/null || echo 'not installed')"

echo
echo "## startup"
echo
"$here/startup/run.sh" "${STARTUP_RUNS:-10}"

echo
echo "## maps"
echo
"$here/maps/run.sh" "${MAP_ROUNDS:-5}" ${MAP_SIZES:-100000 1000000}

echo
echo "## events"
echo
# shellcheck disable=SC2086 # rates are words
"$here/events/run.sh" "${EVENTS_N:-2000000}" $((1 << 20)) ${EVENTS_RATES:-1000000 2000000} >"$out/events" 2>&1 ||
	{ cat "$out/events"; echo "bench: events failed" >&2; exit 1; }
head -1 "$out/events"
echo
echo "| producer | raw C: received / lost / capacity | pktlua: received / lost / capacity |"
echo "|---|---|---|"
awk '
	function num(key,   r) {   # the word after KEY
		if (!match($0, key " [^ ;]+")) return "?"
		r = substr($0, RSTART + length(key) + 1, RLENGTH - length(key) - 1)
		return r
	}
	function cell() { return sprintf("%s / %s / %s M/s", num("received"), num("lost"), num("capacity")) }
	/^--- rate/ { rate = $3 == "unpaced" ? "unpaced" : sprintf("%.1f M/s paced", $3 / 1e6) }
	/^producer:/ { prod = $0; sub(/.*\(/, "", prod); sub(/\/s\).*/, "", prod) }
	/^raw C:/ { raw = cell() }
	/^pktlua: received/ {
		if (rate == "unpaced") rate = sprintf("unpaced (%.1f M/s)", prod / 1e6)
		printf "| %s | %s | %s |\n", rate, raw, cell()
	}' "$out/events"

echo
echo "## replay"
echo
"$here/replay/run.sh" "${REPLAY_PACKETS:-100000}" 5 >"$out/replay" 2>&1 ||
	{ cat "$out/replay"; echo "bench: replay failed" >&2; exit 1; }
head -1 "$out/replay"
echo
echo "| | s | packets/s | ns/packet |"
echo "|---|---|---|---|"
awk '/packets\/s/ { sub(/^ +/, ""); split($0, a, ":"); n = split(a[2], f, " +")
	printf "| %s | %s | %s | %s |\n", a[1], f[2], f[4], f[6] }
	/floor:/ { ratio = $NF }
	END { print ""; print "replay / raw floor: " ratio }' "$out/replay"

echo
echo "## metrics"
echo
# shellcheck disable=SC2086 # sizes are words
"$here/metrics/run.sh" ${METRICS_SIZES:-10 1000 10000}

if [ -x "$here/filter/run.sh" ]; then
	echo
	echo "## --filter"
	echo
	"$here/filter/run.sh"
fi

echo
echo "## live capture"
echo
# shellcheck disable=SC2086 # rates are words
"$here/capture/run.sh" "${CAPTURE_PACKETS:-200000}" "${CAPTURE_REPEATS:-3}" ${CAPTURE_RATES:-}

echo
echo "## symbols"
echo
"$here/symbols/run.sh" "${LIST_RUNS:-5}"

echo
echo "## tools"
echo
"$here/tools/run.sh" "${TOOLS_ROUNDS:-3}"
