#!/usr/bin/env bash
# capture_xdp.sh — pktlua --filter EXPR -i IFACE --xdp against tcpdump -Q in
# on the same live traffic, at the same time, and the drop count of a flood
# into a small ring. The network and the helpers: capture_net.sh.
#
#   xdp: expressions over every kind of traffic traffic_gen.c sends (see
#        capture_live.sh), now from B to A so that the bulk TCP (64 KB
#        offloaded frames), fragments and options arrive at the capture's
#        ingress; VLAN 100 and QinQ 300.200 tags written into the frames'
#        bytes (vlan_tagger.lua inline: a device without VLAN offload), so
#        XDP sees them before the stack takes the outer tag off for the
#        packet socket. One expression at a time (an interface takes one XDP
#        program); the same packets as tcpdump -Q in, byte for byte.
#   drops: a UDP flood into a 4 KiB ring: the captured packets plus the
#        dropped ones must be exactly the datagrams sent (every drop
#        counted), some must be dropped, and the file holds the captured.
#
# usage: PKTLUA=... PKTLUA_BUILD=build tests/e2e/capture_xdp.sh   (root)
set -u
. "$(dirname "$0")/capture_net.sh"

# ---- xdp ---------------------------------------------------------------------------
# One of each kind (capture_live.sh runs every expression at tc; the
# translation is the same here, the XDP path around it is what differs).
xdp_exprs=(
  'ip' 'ip6 or arp' 'vlan 100 and tcp port 5001' 'vlan 300 and vlan 200'
  'tcp[tcpflags] & tcp-rst != 0' 'ip[6:2] & 0x3fff != 0' 'ip6 protochain 44'
  'tcp port 5001 and greater 60000'
)
mode=inline start_taggers
gate_shut
bad=0
for k in "${!xdp_exprs[@]}"; do
  e=${xdp_exprs[$k]}
  phase "xdp: $e"
  bg "x_p$k.log" "$PKTLUA" --filter "$e" -i va --xdp -B 4096 -w "$caps/x_p$k.pcap"
  bg "x_t$k.log" tcpdump -U -i va -Q in -B 4096 -w "$caps/x_t$k.pcap" "$e"
  ready "x_p$k.log" "x_t$k.log"
  gate_open
  exec_in "$A" "$work/serve.log" "$gen" serve 5001 &
  pids+=($!)
  ip netns exec "$B" "$gen" client 198.18.8.1 fe80::8:1 vb 5001 || fail "traffic over VLAN 100"
  ip netns exec "$B" "$gen" client 198.18.9.1 fe80::9:1 vb 5001 || fail "traffic over QinQ 300.200"
  gate_shut
  settle "$caps/x_t$k.pcap"
  stop
  { same "xdp | $e" "$caps/x_p$k.pcap" "$caps/x_t$k.pcap" &&
    summary_ok "x_p$k.log" "x_t$k.log"; } >>"$work/xdp.results" || bad=1
done
grep -v '^SAME' "$work/xdp.results"
n_same=$(grep -c '^SAME' "$work/xdp.results")
n_pkts=$(awk '$1 == "SAME" { s += $2 } END { print s + 0 }' "$work/xdp.results")
echo "xdp: $n_same of ${#xdp_exprs[@]} expressions captured the same packets as tcpdump -Q in ($n_pkts packets in all)"
[ "$bad" = 0 ] && [ "$n_same" = "${#xdp_exprs[@]}" ] || fail "xdp captures differ from tcpdump's"
for k in 2 3 7; do   # VLAN, QinQ, 64 KB frames: the traffic has them
  [ "$(tcpdump -r "$caps/x_t$k.pcap" 2>/dev/null | wc -l)" -gt 0 ] || fail "no packet for '${xdp_exprs[$k]}'"
done

# ---- drops ---------------------------------------------------------------------------
phase "drops: a flood into a 4 KiB ring"
mode="" start_taggers
# A permanent neighbour: every datagram goes out at once (none waits for ARP
# and none is dropped before tc).
mac=$(ip -n "$B" -o link show vb | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n "$A" neigh replace 198.18.7.2 lladdr "$mac" dev va nud permanent || fail "neighbour"
N=200000
bg drop_p.log "$PKTLUA" --filter 'udp dst port 7777' -i va -Q out -B 4 -w "$caps/drop.pcap"
ready drop_p.log
gate_open
sent=$(inA "$gen" flood 198.18.7.2 7777 "$N" 18) || fail "flood"
echo "flood: $sent"
sleep 0.5
stop
line=$(tail -1 "$work/drop_p.log")
echo "pktlua: $line"
captured=$(echo "$line" | sed -n 's/^\([0-9]*\) packets* captured, \([0-9]*\) dropped (ring full)$/\1/p')
dropped=$(echo "$line" | sed -n 's/^\([0-9]*\) packets* captured, \([0-9]*\) dropped (ring full)$/\2/p')
n_sent=$(echo "$sent" | sed -n 's/^sent \([0-9]*\) to 7777.*/\1/p')
in_file=$(tcpdump -r "$caps/drop.pcap" 2>/dev/null | wc -l)
[ -n "$captured" ] && [ -n "$dropped" ] || fail "no summary line"
[ "$((captured + dropped))" = "$n_sent" ] || fail "captured $captured + dropped $dropped != sent $n_sent"
[ "$dropped" -gt 0 ] || fail "a flood into a 4 KiB ring dropped nothing"
[ "$in_file" = "$captured" ] || fail "the file holds $in_file packets, $captured captured"
echo "drops: $captured captured + $dropped dropped = $n_sent sent; the file holds the $captured"
