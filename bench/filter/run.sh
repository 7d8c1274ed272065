#!/usr/bin/env bash
# run.sh — packets/s of `pktlua --filter EXPR --pcap FILE` beside
# `tcpdump -r FILE EXPR -w /dev/null`, same capture, same run.
# usage: bench/filter/run.sh [PACKETS [REPEATS]]   (root; BUILD_DIR defaults to build/)
#
# Writes a capture of PACKETS (default 100,000) Ethernet frames of the
# generator's usual mix (tools/make-filter-captures.lua --bench: IPv4/IPv6,
# TCP/UDP/ICMP, VLAN, extension headers, fragments, ARP, tiny frames; no big
# ones), then for each expression times REPEATS (default 5) whole runs of
# each command, alternating, and prints the medians. pktlua's wall time
# includes its start, the compile (a compile-cache hit after the warm-up run;
# the cold compile is shown apart) and the load; "loop" is its own measure
# of the read-and-run loop alone (-v).
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$here/build}
pktlua=$build/host/pktlua
n=${1:-100000}
repeats=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$pktlua" "$here/tools/make-filter-captures.lua" "$work" --bench "$n" >/dev/null
cap=$work/bench.pcap
echo "capture: $n packets, $(( $(stat -c %s "$cap") / 1024 )) KiB; $repeats runs each, medians"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ns() { date +%s%N; }

printf '%-46s %9s %12s %12s %12s %8s %10s\n' expression matched tcpdump pktlua "pktlua loop" ratio "cold"
for e in 'tcp' 'udp port 53' 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' \
         'ip6 protochain 6' 'vlan and ip' 'not (tcp or udp) and len > 100'; do
  # Warm-up: a cold compile (timed), which also fills the cache.
  t0=$(ns); "$pktlua" --no-cache --filter "$e" --pcap "$cap" >/dev/null; cold=$(( ($(ns) - t0) / 1000000 ))
  "$pktlua" --filter "$e" --pcap "$cap" >/dev/null
  : >"$work/t"; : >"$work/p"; : >"$work/l"
  for _ in $(seq "$repeats"); do
    t0=$(ns); tcpdump -r "$cap" -w /dev/null "$e" 2>/dev/null; echo $(( $(ns) - t0 )) >>"$work/t"
    t0=$(ns); out=$("$pktlua" -v --filter "$e" --pcap "$cap" 2>"$work/err"); echo $(( $(ns) - t0 )) >>"$work/p"
    sed -n 's/.*run \([0-9.]*\) ms.*/\1/p' "$work/err" >>"$work/l"
  done
  matched=${out%% *}
  want=$(tcpdump -r "$cap" --count "$e" 2>/dev/null); want=${want%% *}
  [ "$matched" = "$want" ] || { echo "pktlua matched $matched, tcpdump $want: disagreement" >&2; exit 1; }
  t=$(median <"$work/t"); p=$(median <"$work/p"); l=$(median <"$work/l")
  awk -v e="$e" -v m="$matched" -v n="$n" -v t="$t" -v p="$p" -v l="$l" -v c="$cold" 'BEGIN {
    printf "%-46s %9d %10.2fM/s %10.2fM/s %10.2fM/s %7.2fx %8dms\n", e, m,
      n / (t / 1e9) / 1e6, n / (p / 1e9) / 1e6, n / (l / 1e3) / 1e6, t / p, c }'
done
echo "(packets/s = $n / median wall time; ratio = tcpdump time / pktlua time, >1: pktlua faster;"
echo " pktlua loop = packets / the read-and-run loop's time; cold = one run with --no-cache)"
