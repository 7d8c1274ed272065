#!/usr/bin/env bash
# run.sh — live capture of a flood: `pktlua --filter EXPR -i IFACE` at tc and
# at XDP beside `tcpdump -i IFACE -w FILE EXPR`, same expression, same run.
# usage: bench/capture/run.sh [PACKETS [REPEATS [RATE...]]]
#        (root; BUILD_DIR defaults to build/, tests built: tests/traffic_gen)
#
# Two network namespaces joined by a veth pair; the sender floods 64-byte
# Ethernet frames (UDP, 18 bytes of payload; 60 bytes + FCS), every 100th to
# port 7777, the rest to 7000: the expression 'udp dst port 7777' matches
# 1 %. The capture runs on the receiving end (vb). For each RATE (packets/s;
# 0: as fast as the sender goes; default "100000 200000 400000 0") and each
# capture — none (the baseline), tcpdump -w, pktlua tc, pktlua --xdp
# (generic mode) — REPEATS (default 3) floods of PACKETS (default 1,000,000)
# are sent, the captures interleaved, and the medians printed:
#   rate     what the sender reached (the receive path of a veth runs in the
#            sender's context, so a costlier capture slows it);
#   lost     matching packets sent and not captured (kernel drops included),
#            and what the capture itself reported as dropped;
#   cpu/pkt  the whole machine's busy CPU time (/proc/stat: user, system,
#            irq, softirq) during the flood, per packet sent — other
#            programs' work included, hence the baseline and the medians;
#   +cpu     that minus the baseline's: what capturing added per packet;
#   tool cpu the capture process's own CPU over its whole life (its start,
#            compile-cache hit and load included).
# The machine is shared: the loadavg before each configuration is printed.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$here/build}
pktlua=$build/host/pktlua gen=$build/tests/traffic_gen
[ -x "$gen" ] || { echo "no $gen: build the tests" >&2; exit 1; }
n=${1:-1000000}
repeats=${2:-3}
shift 2 2>/dev/null || shift $#
rates=${*:-100000 200000 400000 0}
expr='udp dst port 7777'
A=pl_bcap_a_$$ B=pl_bcap_b_$$
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  ip netns del "$A" 2>/dev/null
  ip netns del "$B" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$A"; ip netns add "$B"
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add 198.18.20.1/24 dev va; ip -n "$B" addr add 198.18.20.2/24 dev vb
ip -n "$A" link set va up; ip -n "$B" link set vb up
ip -n "$A" link set lo up; ip -n "$B" link set lo up
mac=$(ip -n "$B" -o link show vb | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n "$A" neigh replace 198.18.20.2 lladdr "$mac" dev va nud permanent
# Compile once (the cache), so no run pays for it.
ip netns exec "$B" "$pktlua" --filter "$expr" -i vb -c 1 -w /dev/null >/dev/null 2>&1 &
sleep 3; kill -TERM $! 2>/dev/null; wait $! 2>/dev/null || true
ip netns exec "$B" "$pktlua" --filter "$expr" -i vb --xdp -c 1 -w /dev/null >/dev/null 2>&1 &
sleep 3; kill -TERM $! 2>/dev/null; wait $! 2>/dev/null || true

busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }   # jiffies
hz=$(getconf CLK_TCK)

# run CAPTURE RATE: one flood; prints "rate lost dropped busy_jiffies tool_jiffies".
run() {
  local what=$1 rate=$2 log=$work/cap.log cmd=() b0 b1 out sent_m rate_r captured dropped tool=0
  : >"$log"
  case $what in
    none) ;;
    tcpdump) cmd=(tcpdump -i vb -w "$work/out.pcap" "$expr") ;;
    tc) cmd=("$pktlua" --filter "$expr" -i vb -w "$work/out.pcap") ;;
    xdp) cmd=("$pktlua" --filter "$expr" -i vb --xdp -w "$work/out.pcap") ;;
  esac
  if [ "${#cmd[@]}" -gt 0 ]; then
    (exec ip netns exec "$B" "${cmd[@]}" >"$log" 2>&1) &
    pid=$!
    for _ in $(seq 600); do grep -q 'listening on' "$log" && break; sleep 0.05; done
  fi
  b0=$(busy)
  out=$(ip netns exec "$A" "$gen" flood 198.18.20.2 7000 "$n" 18 "$rate" 100 7777)
  b1=$(busy)
  sent_m=$(echo "$out" | sed -n 's/.*, \([0-9]*\) to 7777 in.*/\1/p')
  rate_r=$(echo "$out" | sed -n 's/.*(\([0-9]*\)\/s).*/\1/p')
  captured=$sent_m dropped=0
  if [ -n "$pid" ]; then
    # tcpdump gets its packets a block at a time, a block handed over when
    # full or after its 1 s timeout, and what it has not got at SIGTERM is
    # lost: wait past that, for every capture alike.
    sleep 1.5
    tool=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    pid=
    if [ "$what" = tcpdump ]; then
      captured=$(sed -n 's/^\([0-9]*\) packets* captured$/\1/p' "$log")
      dropped=$(sed -n 's/^\([0-9]*\) packets* dropped by kernel$/\1/p' "$log")
    else
      captured=$(sed -n 's/^\([0-9]*\) packets* captured, .*/\1/p' "$log")
      dropped=$(sed -n 's/.* captured, \([0-9]*\) dropped.*/\1/p' "$log")
    fi
  fi
  echo "$rate_r $((sent_m - ${captured:-0})) ${dropped:-0} $((b1 - b0)) $tool"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "flood: $n frames of 64 bytes per run, 1 % matching '$expr'; $repeats runs each, medians; $(nproc) CPUs"
printf '%-9s %-8s %11s %9s %9s %10s %10s %10s %7s\n' rate capture reached lost dropped cpu/pkt +cpu/pkt "tool cpu" load
for rate in $rates; do
  : >"$work/res"
  for r in $(seq "$repeats"); do
    for what in none tcpdump tc xdp; do
      echo "$what $(run "$what" "$rate")" >>"$work/res"
    done
  done
  base=$(awk '$1 == "none" { print $5 }' "$work/res" | median)
  for what in none tcpdump tc xdp; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    awk -v w="$what" '$1 == w' "$work/res" >"$work/w"
    reached=$(awk '{ print $2 }' "$work/w" | median)
    lost=$(awk '{ print $3 }' "$work/w" | sort -n | tail -1)
    dropped=$(awk '{ print $4 }' "$work/w" | sort -n | tail -1)
    b=$(awk '{ print $5 }' "$work/w" | median)
    tool=$(awk '{ print $6 }' "$work/w" | median)
    awk -v rate="$rate" -v w="$what" -v reached="$reached" -v lost="$lost" -v d="$dropped" \
        -v b="$b" -v base="$base" -v t="$tool" -v n="$n" -v hz="$hz" -v load="$load" 'BEGIN {
      printf "%-9s %-8s %9.0f/s %9d %9d %8.0f ns %8.0f ns %8.0f ms %7s\n",
        rate == 0 ? "max" : rate, w, reached, lost, d, b / hz / n * 1e9,
        (b - base) / hz / n * 1e9, t / hz * 1000, load }' | tee -a "$work/table"
  done
done
# The highest rate each capture held without losing a matching frame (in
# every run), and what it cost there.
echo
echo "no loss up to (of the rates tried; 'max' is what the sender reached):"
for what in tcpdump tc xdp; do
  awk -v w="$what" '$2 == w && $4 == 0 { r = $3 " (" $1 ")"; c = $8; t = $10 } END {
    if (r == "") print "  " w ": lost matching frames at every rate tried";
    else printf "  %-8s %s (+%s ns/frame of machine CPU, %s ms of its own)\n", w, r, c, t }' "$work/table"
done
echo "(lost: the most over the runs of matching frames sent but not captured; dropped: what the"
echo " capture reported (tcpdump: by kernel; pktlua: ring full); cpu/pkt: busy CPU time of the"
echo " whole machine per frame sent; +cpu/pkt: minus the baseline (none) of the same rate)"
