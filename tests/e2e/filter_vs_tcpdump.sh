#!/usr/bin/env bash
# filter_vs_tcpdump.sh — `pktlua --filter EXPR --pcap F` must accept exactly
# the packets `tcpdump -r F EXPR` accepts, for every expression below on
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
          sll.pcap sll2.pcap raw.pcap null_le.pcap null_be.pcap loop.pcap ppp.pcap radiotap.pcap)

expressions=(
  # protocol names
  'ip' 'ip6' 'arp' 'tcp' 'udp' 'icmp' 'icmp6' 'vlan'
  # host / net / port / portrange, with directions
  'host 198.18.0.1' 'src host 198.18.1.10' 'dst host 10.0.0.1' 'net 198.18.0.0/16'
  'src net 198.19.0.0/16' 'dst net 10.0.0.0/8' 'host 2001:2::1' 'net 2001:2:0:1::/64'
  'port 53' 'src port 80' 'dst port 443' 'tcp port 22 or tcp port 8080' 'udp dst port 53'
  'portrange 1000-1100' 'tcp src portrange 1000-1050' 'ip proto 47' 'ip6 proto 17'
  # TCP flags
  'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' 'tcp[tcpflags] & tcp-rst != 0'
  'tcp[tcpflags] == 0' 'tcp[13] & 0x3f = 0x3f'
  # lengths: the wire length, also of cut frames
  'greater 1000' 'less 64' 'len >= 100 and len <= 600' 'udp and greater 1400'
  # byte offsets, indirect loads (the TCP header length)
  'ip[8] < 64' 'ip[8] = 64' 'udp[8:2] = 0x1234' 'ip[2:2] > 1500' 'ip6[7] < 64'
  'tcp[((tcp[12] & 0xf0) >> 2):1] = 0x47' 'ether[12:2] = 0x88cc'
  # IPv6 extension headers: the protochain loop
  'ip6 protochain 6' 'ip6 protochain 17' 'ip6 protochain 58'
  # VLAN and QinQ
  'vlan and ip' 'vlan 100' 'vlan 200 and ip6' 'vlan and vlan and ip' 'vlan and arp'
  # fragments and options
  'ip[6:2] & 0x3fff != 0' 'ip[6:2] & 0x1fff = 0 and ip[6] & 0x20 != 0' 'ip and ip[0] & 0xf > 5'
  # link-layer addresses, broadcast, multicast
  'ether broadcast' 'ether host 02:00:00:00:00:01' 'ip broadcast' 'ip multicast'
  # combinations
  'not ip and not ip6' 'not (tcp or udp)' 'tcp and (port 80 or port 443) and not src net 10.0.0.0/8'
  'icmp[icmptype] = icmp-echo or icmp6' '(udp or icmp) and ip[8] > 1 and len < 200'
)

# One pair: prints "AGREE ..." or "DISAGREE ...", one line.
check_pair() {
  local e=$1 f=$2 t p trc prc tc pc
  t=$(tcpdump -nn -r "$caps/$f" --count "$e" 2>"$work/t.$$.err"); trc=$?
  p=$("$PKTLUA" --filter "$e" --pcap "$caps/$f" 2>"$work/p.$$.err"); prc=$?
  if [ "$trc" -ne 0 ]; then
    if [ "$prc" -ne 0 ] && [ -z "$p" ]; then
      echo "AGREE refused $f | $e"
    else
      echo "DISAGREE $f | $e | tcpdump refuses ($(grep tcpdump: "$work/t.$$.err" | head -1)), pktlua exit $prc: $p"
    fi
  elif [ "$prc" -ne 0 ]; then
    echo "DISAGREE $f | $e | tcpdump ${t%% *}, pktlua exit $prc: $(head -c 300 "$work/p.$$.err" | tr '\n' ' ')"
  else
    tc=${t%% *}
    pc=$(printf '%s\n' "$p" | tail -n 1); pc=${pc%% *}
    if [ "$tc" = "$pc" ]; then
      echo "AGREE $tc $f | $e"
    else
      echo "DISAGREE $f | $e | tcpdump $tc, pktlua $pc"
    fi
  fi
  rm -f "$work/t.$$.err" "$work/p.$$.err"
}
export -f check_pair
export caps work

jobs=$work/jobs
for f in "${captures[@]}"; do
  for e in "${expressions[@]}"; do printf '%s\0%s\0' "$e" "$f"; done
done >"$jobs"
start=$(date +%s)
xargs -0 -n 2 -P "$(nproc)" bash -c 'check_pair "$1" "$2"' _ <"$jobs" >"$work/results"
secs=$(( $(date +%s) - start ))

pairs=$(wc -l <"$work/results")
agreed=$(grep -c '^AGREE' "$work/results")
refused=$(grep -c '^AGREE refused' "$work/results")
matched=$(awk '$1 == "AGREE" && $2 != "refused" { s += $2 } END { print s + 0 }' "$work/results")
grep '^DISAGREE' "$work/results"
want=$(( ${#captures[@]} * ${#expressions[@]} ))

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

echo "filter agreement: $pairs pairs checked ($want expected: ${#expressions[@]} expressions x ${#captures[@]} captures), $agreed agreed ($refused refused by both; $matched matches in all), in ${secs}s"
echo "-w output: $wchecked of 9 pairs identical to tcpdump -w"
if [ "$pairs" -eq "$want" ] && [ "$agreed" -eq "$pairs" ] && [ "$wfail" -eq 0 ]; then
  echo "pktlua --filter agrees with tcpdump"
  exit 0
fi
exit 1
