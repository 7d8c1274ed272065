#!/usr/bin/env bash
# capture_live.sh — pktlua --filter EXPR -i IFACE against tcpdump on the same
# live traffic, at the same time: for every expression, both capture on the
# same interface while tests/e2e/traffic_gen.c sends real traffic between
# two network namespaces over a veth pair (offloaded TCP, RSTs, UDP of many
# sizes and the ICMP errors for it, IPv4 and IPv6 fragments, IPv4 options,
# IPv6 option headers, ICMP echoes, ARP, ND, MLD; VLAN 100 and QinQ 300.200
# tags on two of the three subnets, pushed by tests/e2e/scripts/vlan_tagger.lua
# as the VLAN driver does: the outer tag beside the frame, in skb->vlan_tci).
# Then the two files must hold the same packets: the same count and the same
# bytes (tcpdump -r of both, one line per packet with the link header and
# the wire length, and a digest of every captured byte (pcap_digest.c),
# compared without timestamps, in sorted order: the two tap the stack at
# different points, so packets of the two directions may interleave
# differently).
#
#   Every expression of filter_live.sh (tc, ingress and egress: the
#   default -Q inout against tcpdump's default), in two rounds (tcx takes
#   64 programs per interface and direction); an expression tcpdump refuses
#   on the interface, pktlua must refuse too. Plus -Q in and -Q out against
#   tcpdump -Q in / -Q out; -i twice (the veth and loopback with its 64 KB
#   offloaded frames) into pcapng, read back by tcpdump and by tshark (per
#   interface and per direction); -c; the lines printed without -w against
#   `tcpdump -n -S -t -r` of the same packets.
#
# XDP and the drop count: capture_xdp.sh. The network and the helpers:
# capture_net.sh.
#
# Addresses: 198.18.7-9.0/24 and link-local IPv6, inside the namespaces.
# usage: PKTLUA=... PKTLUA_BUILD=build tests/e2e/capture_live.sh   (root)
set -u
. "$(dirname "$0")/capture_net.sh"

. "$here/tests/e2e/filter_agree.sh"
exprs=("${expressions[@]}" "${live_expressions[@]}")

# ---- tc: every expression, both directions -----------------------------------------
# In two rounds: tcx takes at most 64 programs per interface and direction.
mode="" start_taggers
half=$(( (${#exprs[@]} + 1) / 2 ))
gate_shut
for round in 1 2; do
  phase "tc, round $round: pktlua and tcpdump at once"
  batch=()
  for k in "${!exprs[@]}"; do
    [ "$round" = 1 ] && [ "$k" -ge "$half" ] && continue
    [ "$round" = 2 ] && [ "$k" -lt "$half" ] && continue
    e=${exprs[$k]}
    # One tcpdump refuses on a live Ethernet interface, pktlua must refuse
    # too, with libpcap's words, before attaching anything.
    if ! inA tcpdump -i va -d "$e" >/dev/null 2>"$work/refused.txt"; then
      inA "$PKTLUA" --filter "$e" -i va -w "$caps/tc_p$k.pcap" >"$work/tc_p$k.log" 2>&1 &&
        fail "tcpdump refuses '$e' ($(head -1 "$work/refused.txt")), pktlua took it"
      [ -e "$caps/tc_p$k.pcap" ] && fail "'$e' refused, but pktlua left a file"
      echo "REFUSED by both: '$e': $(head -1 "$work/tc_p$k.log")" >>"$work/refusals"
      continue
    fi
    bg "tc_p$k.log" "$PKTLUA" --filter "$e" -i va -B 4096 -w "$caps/tc_p$k.pcap"
    bg "tc_t$k.log" tcpdump -U -i va -B 4096 -w "$caps/tc_t$k.pcap" "$e"
    batch+=("tc_p$k.log" "tc_t$k.log")
    # Start a few at a time: each compiles, and the machine is shared.
    if [ "${#batch[@]}" -ge 8 ]; then ready "${batch[@]}"; batch=(); fi
  done
  if [ "$round" = 1 ]; then
    # One direction each, against tcpdump -Q.
    for q in in out; do
      bg "q_p$q.log" "$PKTLUA" --filter 'ip or ip6' -i va -Q "$q" -w "$caps/q_p$q.pcap"
      bg "q_t$q.log" tcpdump -U -i va -Q "$q" -w "$caps/q_t$q.pcap" 'ip or ip6'
      batch+=("q_p$q.log" "q_t$q.log")
    done
    # Two interfaces into pcapng (the veth and loopback, whose offloaded
    # TCP frames are up to 64 KB: non-linear skbs), tcpdump on each.
    bg multi_p.log "$PKTLUA" --filter 'tcp or icmp or udp' -i va -i lo -B 16384 -w "$caps/multi.pcapng"
    bg multi_tva.log tcpdump -U -i va -B 16384 -w "$caps/multi_va.pcap" 'tcp or icmp or udp'
    bg multi_tlo.log tcpdump -U -i lo -B 16384 -w "$caps/multi_lo.pcap" 'tcp or icmp or udp'
    # -c: ends by itself after 25 packets.
    bg c_p.log "$PKTLUA" --filter 'tcp' -i va -c 25 -w "$caps/c25.pcap"
    cpid=$!
    # Lines (no -w) against tcpdump's for the same packets.
    line_expr='udp or icmp or arp or icmp6 or tcp'
    bg lines_p.log "$PKTLUA" --filter "$line_expr" -i va
    bg lines_t.log tcpdump -U -i va -w "$caps/lines_t.pcap" "$line_expr"
    batch+=(multi_p.log multi_tva.log multi_tlo.log c_p.log lines_p.log lines_t.log)
  fi
  ready "${batch[@]}"
  phase "tc, round $round: traffic"
  gate_open
  exec_in "$B" "$work/serve.log" "$gen" serve 5001 &
  pids+=($!)
  inA "$gen" client 198.18.7.2 fe80::7:2 va 5001 || fail "traffic over va"
  inA "$gen" client 198.18.8.2 fe80::8:2 va 5001 || fail "traffic over VLAN 100"
  inA "$gen" client 198.18.9.2 fe80::9:2 va 5001 || fail "traffic over QinQ 300.200"
  [ "$round" = 1 ] && { inA "$gen" local 5002 >/dev/null || fail "traffic over loopback"; }
  gate_shut
  settle "$caps"/*_t*.pcap "$caps"/multi_*.pcap
  # -c ended by itself?
  [ "$round" = 1 ] && kill -0 "$cpid" 2>/dev/null && fail "-c 25 did not end after 25 packets"
  stop
done
phase "tc: compare"
touch "$work/refusals"
cat "$work/refusals"
# One expression: its result lines into $work/r.K (a file each: they run in parallel).
compare_one() {
  local k=$1
  { same "tc | $2" "$caps/tc_p$k.pcap" "$caps/tc_t$k.pcap" "$k" && summary_ok "tc_p$k.log" "tc_t$k.log"; } \
    >"$work/r.$k" 2>&1
}
export -f compare_one same packets summary_ok
export work caps digest
for k in "${!exprs[@]}"; do
  grep -qF "'${exprs[$k]}'" "$work/refusals" || printf '%s\0%s\0' "$k" "${exprs[$k]}"
done | xargs -0 -n 2 -P "$(nproc)" bash -c 'compare_one "$1" "$2"' _
cat "$work"/r.* >"$work/tc.results" 2>/dev/null
phase "tc: compared"
bad=0
grep -qE '^(DIFFER|DROPS)' "$work/tc.results" && bad=1
grep -v '^SAME' "$work/tc.results"
n_same=$(grep -c '^SAME' "$work/tc.results")
n_ref=$(wc -l <"$work/refusals")
n_pkts=$(awk '$1 == "SAME" { s += $2 } END { print s + 0 }' "$work/tc.results")
echo "tc: $n_same of ${#exprs[@]} expressions captured the same packets as tcpdump ($n_pkts packets in all), $n_ref refused by both"
[ "$bad" = 0 ] && [ $((n_same + n_ref)) = "${#exprs[@]}" ] || fail "tc captures differ from tcpdump's"
# The traffic holds what the expressions are about: tcpdump caught some.
index_of() { local k; for k in "${!exprs[@]}"; do [ "${exprs[$k]}" = "$1" ] && echo "$k" && return; done; }
for e in 'vlan 100' 'vlan 300 and vlan 200' 'ip[6:2] & 0x3fff != 0' 'ip6 protochain 44' \
         'ip6 protochain 0' 'ip and ip[0] & 0xf > 5' 'tcp[tcpflags] & tcp-rst != 0' 'icmp6' 'arp' \
         'tcp port 5001 and greater 60000'; do
  k=$(index_of "$e")
  [ -n "$k" ] || fail "'$e' is not in the expression list"
  n=$(tcpdump -r "$caps/tc_t$k.pcap" 2>/dev/null | wc -l)
  [ "$n" -gt 0 ] || fail "the tc traffic has no packet for '$e'"
done
echo "the traffic holds VLAN and QinQ frames, fragments, IPv4 options, IPv6 option headers, RSTs, 64 KB frames"
for q in in out; do
  same "tc -Q $q" "$caps/q_p$q.pcap" "$caps/q_t$q.pcap" || fail "-Q $q differs from tcpdump -Q $q"
done
# pcapng of two interfaces: tcpdump reads it whole; per interface (tshark)
# the packets are those tcpdump took on each.
n=$(tcpdump -r "$caps/multi.pcapng" 2>/dev/null | wc -l)
nva=$(tcpdump -r "$caps/multi_va.pcap" 2>/dev/null | wc -l)
nlo=$(tcpdump -r "$caps/multi_lo.pcap" 2>/dev/null | wc -l)
big=$(tcpdump -r "$caps/multi_lo.pcap" --count 'greater 16000' 2>/dev/null); big=${big%% *}
echo "multi: pcapng $n packets; tcpdump: va $nva, lo $nlo ($big above 16 KB)"
summary_ok multi_p.log multi_tva.log && summary_ok multi_p.log multi_tlo.log || fail "-i va -i lo: drops"
[ "$nlo" -gt 0 ] && [ "${big:-0}" -gt 0 ] || fail "-i va -i lo: no loopback traffic, or no big frames"
if command -v tshark >/dev/null; then
  for i in va lo; do
    tshark -r "$caps/multi.pcapng" -Y "frame.interface_name == \"$i\"" -w "$caps/multi_from_$i.pcap" -F pcap 2>/dev/null ||
      fail "tshark cannot read the pcapng"
    [ "$i" = va ] && t=$caps/multi_va.pcap || t=$caps/multi_lo.pcap
    same "pcapng via tshark, interface $i" "$caps/multi_from_$i.pcap" "$t" || fail "pcapng interface $i"
  done
  # Directions: epb_flags inbound/outbound against tcpdump -Q in/out's counts
  # of the same kind of packets on va.
  din=$(tshark -r "$caps/multi.pcapng" -Y 'frame.interface_name == "va" && frame.packet_flags_direction == 1' 2>/dev/null | wc -l)
  dout=$(tshark -r "$caps/multi.pcapng" -Y 'frame.interface_name == "va" && frame.packet_flags_direction == 2' 2>/dev/null | wc -l)
  echo "multi: va inbound $din, outbound $dout (tshark)"
  [ "$din" -gt 0 ] && [ "$dout" -gt 0 ] && [ $((din + dout)) = "$nva" ] || fail "pcapng directions"
else
  echo "SKIPPED (part): no tshark: the pcapng is read back by tcpdump only"
fi
[ "$n" = $((nva + nlo)) ] || fail "-i va -i lo: $n packets in the pcapng, tcpdump $nva + $nlo"
# -c 25
n=$(tcpdump -r "$caps/c25.pcap" 2>/dev/null | wc -l)
grep -q '^25 packets captured, 0 dropped (ring full)$' "$work/c_p.log" && [ "$n" = 25 ] ||
  fail "-c 25: $n packets in the file, $(tail -1 "$work/c_p.log")"
echo "-c 25: 25 packets, then it ended"
# Lines: what pktlua printed is tcpdump -n -S's line for the same packets.
grep -vE '^(listening on|[0-9]+ packets? captured)' "$work/lines_p.log" | cut -d' ' -f2- | sort >"$work/lines_p.txt"
tcpdump -r "$caps/lines_t.pcap" -n -S -t 2>/dev/null | sort >"$work/lines_t.txt"
nl=$(wc -l <"$work/lines_t.txt")
if ! cmp -s "$work/lines_p.txt" "$work/lines_t.txt"; then
  diff "$work/lines_p.txt" "$work/lines_t.txt" | head -6 | cut -c1-300
  fail "the printed lines are not tcpdump -n -S's"
fi
echo "lines: $nl lines, each as tcpdump -n -S prints it"
