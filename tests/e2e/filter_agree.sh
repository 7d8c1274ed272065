# filter_agree.sh — sourced by the cases that hold pktlua --filter against
# tcpdump -r (filter_vs_tcpdump.sh: generated captures; filter_live.sh:
# captures of real traffic), and by capture_live.sh for its expression list.
# Gives the expression lists and agree_all.
#
#   agree_all DIR FILE... — every expression of $expressions (plus any the
#   caller appended) on every FILE in DIR: the count pktlua --filter prints
#   must be tcpdump's, and an expression tcpdump refuses for a file's link
#   type pktlua must refuse too (non-zero exit, no count). Prints each
#   DISAGREE line, then "filter agreement: ..." with the totals. Returns 0
#   when every pair agreed. Needs $PKTLUA and $work (a scratch directory).

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

# About the traffic of tests/e2e/traffic_gen.c (filter_live.sh and
# capture_live.sh add them to the list).
live_expressions=(
  'host 198.18.7.2' 'net 198.18.8.0/24 and tcp' 'vlan 100 and tcp port 5001' 'vlan 300 and vlan 200'
  'ip6 and ip6[6] = 0' 'ip6 protochain 0' 'ip6 protochain 44' 'ip6 protochain 60 and udp'
  'icmp[icmptype] = icmp-unreach' 'icmp6 and ip6[40] = 1' 'ip[0] & 0xf = 15'
  'tcp port 5001 and greater 60000' 'ip6 and greater 100000' 'tcp[tcpflags] & tcp-rst != 0 and ip6'
  'ip6 multicast' 'arp and arp[6:2] = 2'
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

agree_all() {
  local dir=$1 f e start secs pairs agreed refused matched want
  shift
  caps=$dir
  export -f check_pair
  export caps work PKTLUA
  for f in "$@"; do
    for e in "${expressions[@]}"; do printf '%s\0%s\0' "$e" "$f"; done
  done >"$work/jobs"
  start=$(date +%s)
  xargs -0 -n 2 -P "$(nproc)" bash -c 'check_pair "$1" "$2"' _ <"$work/jobs" >"$work/results"
  secs=$(( $(date +%s) - start ))
  pairs=$(wc -l <"$work/results")
  agreed=$(grep -c '^AGREE' "$work/results")
  refused=$(grep -c '^AGREE refused' "$work/results")
  matched=$(awk '$1 == "AGREE" && $2 != "refused" { s += $2 } END { print s + 0 }' "$work/results")
  grep '^DISAGREE' "$work/results"
  want=$(( $# * ${#expressions[@]} ))
  echo "filter agreement: $pairs pairs checked ($want expected: ${#expressions[@]} expressions x $# captures), $agreed agreed ($refused refused by both; $matched matches in all), in ${secs}s"
  [ "$pairs" -eq "$want" ] && [ "$agreed" -eq "$pairs" ]
}
