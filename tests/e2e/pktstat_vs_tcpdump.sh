#!/usr/bin/env bash
# scripts/pktstat.lua (the README's main command) on samples/mixed.pcap:
# its per-protocol packet counts must equal tcpdump's for the same file.
set -u
out=$("$PKTLUA" scripts/pktstat.lua samples/mixed.pcap) || { echo "pktstat failed"; exit 1; }
echo "$out"
count() { tcpdump -nr samples/mixed.pcap "$1" 2>/dev/null | wc -l; }
row() { echo "$out" | awk -v p="$1" '$1 == p { print $2 }'; }
fail=0
check() {
  local want got
  want=$(count "$2"); got=$(row "$1")
  if [ "${got:-0}" != "$want" ]; then echo "MISMATCH $1: pktstat ${got:-none}, tcpdump '$2' $want"; fail=1; fi
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
[ "$fail" = 0 ] && echo "pktstat agrees with tcpdump"
exit $fail
