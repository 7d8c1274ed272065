#!/usr/bin/env bash
# filter_vs_tcpdump.sh — `pktlua --filter EXPR --pcap F` must accept exactly
# the packets `tcpdump -r F EXPR` accepts, for every expression of
# filter_agree.sh on
# every generated capture (tools/make-filter-captures.lua), and refuse the
# same (expression, link type) pairs tcpdump refuses. A few pairs also
# compare the -w output with tcpdump's -w output byte for byte.
# usage: PKTLUA=build/host/pktlua tests/e2e/filter_vs_tcpdump.sh [CAPTURE_DIR]
# (root: the filter runs in BPF). Prints every disagreement and a summary;
# exits 1 on any disagreement.
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
here=$(cd "$(dirname "$0")/../.." && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
caps=${1:-$work/caps}
mkdir -p "$caps"
"$PKTLUA" "$here/tools/make-filter-captures.lua" "$caps" >/dev/null || {
  echo "FAIL: cannot generate the captures"; exit 1; }

captures=(eth_le_micro.pcap eth_be_nano.pcap eth_cuts.pcap eth_snap64.pcap eth_2if.pcapng
          sll.pcap sll2.pcap raw.pcap null_le.pcap null_be.pcap loop.pcap ppp.pcap radiotap.pcap
          juniper_vs.pcap)

. "$here/tests/e2e/filter_agree.sh"
agree_all "$caps" "${captures[@]}"
agreement=$?

# -w: the same packets, bytes, timestamps, wire lengths, link type and snap
# length as tcpdump -w. tcpdump writes microseconds; pktlua keeps a
# nanosecond file's precision, so its output is passed through tcpdump -r -w
# (which only rounds the times the same way) before cmp; a microsecond
# input must come out byte-identical as it is.
wfail=0 wchecked=0
while IFS='|' read -r f e; do
  a=$work/w.pktlua.pcap b=$work/w.tcpdump.pcap
  rm -f "$a" "$b"
  if ! "$PKTLUA" --filter "$e" --pcap "$caps/$f" -w "$a" >/dev/null; then
    echo "DISAGREE -w $f | $e: pktlua failed"; wfail=1; continue
  fi
  tcpdump -r "$caps/$f" -w "$b" "$e" 2>/dev/null
  case $f in
    eth_le_micro.pcap|eth_cuts.pcap|sll2.pcap|radiotap.pcap) cmp -s "$a" "$b" ;;
    *) tcpdump -r "$a" -w "$a.micro" 2>/dev/null && cmp -s "$a.micro" "$b" ;;
  esac || { echo "DISAGREE -w $f | $e: the written files differ"; wfail=1; continue; }
  wchecked=$((wchecked + 1))
done <<'EOF'
eth_le_micro.pcap|tcp
eth_le_micro.pcap|ip6 protochain 6
eth_le_micro.pcap|greater 3000
eth_be_nano.pcap|vlan and ip
eth_cuts.pcap|tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn
eth_cuts.pcap|less 64
eth_2if.pcapng|udp
sll2.pcap|ip6
radiotap.pcap|ip
EOF

echo "-w output: $wchecked of 9 pairs identical to tcpdump -w"
if [ "$agreement" -eq 0 ] && [ "$wfail" -eq 0 ]; then
  echo "pktlua --filter agrees with tcpdump"
  exit 0
fi
exit 1
