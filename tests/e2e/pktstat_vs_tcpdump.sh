#!/usr/bin/env bash
# scripts/pktstat.lua (the README's main command) on samples/mixed.pcap:
# its per-protocol packet counts must equal tcpdump's for the same file,
# in its table and in its --json rows (which hold the table's talkers too).
set -u
out=$("$PKTLUA" scripts/pktstat.lua samples/mixed.pcap) || { echo "pktstat failed"; exit 1; }
echo "$out"
json=$("$PKTLUA" -t pktstat --json samples/mixed.pcap 2>/dev/null) || { echo "pktstat --json failed"; exit 1; }
count() { tcpdump -nr samples/mixed.pcap "$1" 2>/dev/null | wc -l; }
row() { echo "$out" | awk -v p="$1" '$1 == p { print $2 }'; }
jrow() { echo "$json" | jq -r --arg p "$1" 'select(.type == "protocol" and .protocol == $p) | .packets'; }
fail=0
check() {
  local want got jgot
  want=$(count "$2"); got=$(row "$1"); jgot=$(jrow "$1")
  if [ "${got:-0}" != "$want" ]; then echo "MISMATCH $1: pktstat ${got:-none}, tcpdump '$2' $want"; fail=1; fi
  if [ "${jgot:-0}" != "$want" ]; then echo "MISMATCH $1: pktstat --json ${jgot:-none}, tcpdump '$2' $want"; fail=1; fi
}
# "vlan or not vlan": tcpdump only looks inside 802.1Q tags after 'vlan'.
check ipv4/tcp "(ip and tcp) or (vlan and ip and tcp)"
check ipv4/udp "ip and udp"
check ipv4/icmp "ip and icmp"
check ipv6/icmp6 "ip6 and icmp6"
check ipv6/tcp "ip6 and tcp"
check arp "arp"
total=$(echo "$out" | sed -n 's/.*: \([0-9]*\) packets replayed.*/\1/p')
[ "$total" = "$(count "")" ] || { echo "MISMATCH total: $total vs $(count "")"; fail=1; }
# Every JSON line is a row of the table: the protocols (6 kinds) and the
# talkers (8 sources in the capture), with the same packets and bytes.
text_rows=$(echo "$out" | awk 'NF == 3 && $2 ~ /^[0-9]+$/ { print $1, $2, $3 }' | sort)
json_rows=$(echo "$json" | jq -r '"\(.protocol // .source) \(.packets) \(.bytes)"' | sort)
[ "$(echo "$json" | jq -s 'map(select(.type == "protocol")) | length')" = 6 ] &&
  [ "$(echo "$json" | jq -s 'map(select(.type == "talker")) | length')" = 8 ] &&
  [ "$text_rows" = "$json_rows" ] || { echo "MISMATCH --json rows:"; echo "$json"; fail=1; }
# Each talker's packets: tcpdump's count of packets from that source.
for src in $(echo "$json" | jq -r 'select(.type == "talker") | .source'); do
  want=$(count "src host $src or (vlan and src host $src)")
  got=$(echo "$json" | jq -r --arg s "$src" 'select(.type == "talker" and .source == $s) | .packets')
  [ "$got" = "$want" ] || { echo "MISMATCH talker $src: pktstat --json $got, tcpdump $want"; fail=1; }
done
[ "$fail" = 0 ] && echo "pktstat agrees with tcpdump"
exit $fail
