#!/usr/bin/env bash
# scripts/pktdump.lua on one end of a veth pair inside a network namespace:
# UDP datagrams sent across must land in the pcap file, and tcpdump -r must
# read back as many packets as pktdump reported, with the filter honoured.
# Run at tc (default: ingress+egress) and at XDP with a tcpdump expression
# (at XDP given as separate words, which pktdump joins),
# at tc with the C filter (-e) instead, then at tc without a filter (every
# packet both ways: ARP, the ICMP errors for port 7777); then without a
# file, printing the packets as JSON objects and as lines.
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
# Both ends live in namespaces of their own (the sender's too), so nothing in
# the root namespace routes 198.18.0.0/30 and parallel runs cannot meet.
ns=pktdump-$$ peer=pktdump-peer-$$ outer=pdo$$ inner=pdi$$
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null        # takes the veth pair with it
  ip netns del "$peer" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$ns" || exit 1
ip netns add "$peer" || exit 1
ip -n "$peer" link add "$outer" type veth peer name "$inner" netns "$ns" || exit 1
ip -n "$peer" addr add 198.18.0.1/30 dev "$outer"
ip -n "$peer" link set "$outer" up
ip -n "$ns" addr add 198.18.0.2/30 dev "$inner"
ip -n "$ns" link set "$inner" up
ip -n "$ns" link set lo up

N=5 expr='udp dst port 9999' c_filter='pkt.l4proto == IPPROTO_UDP && pkt.dport == 9999'
fail=0
for mode in tc xdp c all json lines; do
  out=$tmp/$mode.pcap log=$tmp/$mode.log
  extra=("$expr" -w "$out")
  # shellcheck disable=SC2206 # at XDP the expression goes as words, joined as tcpdump joins them
  [ "$mode" = xdp ] && extra=($expr -w "$out" --xdp)
  [ "$mode" = c ] && extra=(-e "$c_filter" -w "$out")
  [ "$mode" = all ] && extra=(-w "$out")
  [ "$mode" = json ] && extra=(--json "$expr")     # no file: a JSON object per packet
  [ "$mode" = lines ] && extra=("$expr")           # no file: a line per packet
  ip netns exec "$ns" "$PKTLUA" -t pktdump "$inner" "${extra[@]}" \
    >"$tmp/$mode.out" 2>"$log" &
  pid=$!
  for _ in $(seq 100); do grep -q 'capturing on' "$log" && break; sleep 0.1; done
  grep -q 'capturing on' "$log" || { cat "$log"; echo "FAIL: $mode: pktdump did not start"; exit 1; }
  # Port 9999 matches the filter, port 7777 does not.
  ip netns exec "$peer" bash -c 'for i in $(seq '"$N"'); do
    echo "datagram $i" >/dev/udp/198.18.0.2/9999
    echo "other $i" >/dev/udp/198.18.0.2/7777
  done'
  sleep 0.5                                         # the host polls rings every 10 ms
  kill -INT "$pid"
  wait "$pid"; status=$?
  pid=
  cat "$log"
  [ "$status" = 0 ] || { echo "FAIL: $mode: pktdump exited with $status"; fail=1; continue; }
  reported=$(sed -n 's/^\([0-9]*\) packets* captured, \([0-9]*\) dropped (ring full)$/\1/p' "$log")
  if [ "$mode" = json ] || [ "$mode" = lines ]; then
    # The N datagrams sent to port 9999, as they are on the wire: UDP from
    # the peer, 53 bytes (Ethernet 14 + IP 20 + UDP 8 + "datagram I\n").
    cat "$tmp/$mode.out"
    if [ "$mode" = json ]; then
      got=$(jq -c -s 'map(select(.iface == "'"$inner"'" and .direction == "in" and .l3 == "ipv4"
        and .proto == "udp" and .src == "198.18.0.1" and .dst == "198.18.0.2" and .dport == 9999
        and .len == 53 and .caplen == 53)) | length' "$tmp/$mode.out")
    else
      got=$(grep -cE "^[0-9:.]+ $inner In +.* IP 198\.18\.0\.1\.[0-9]+ > 198\.18\.0\.2\.9999: udp ttl 64, length 39 \(53 bytes\)$" "$tmp/$mode.out")
    fi
    lines=$(wc -l <"$tmp/$mode.out")
    echo "$mode: pktdump $reported, $lines lines, $got of the datagrams sent"
    [ "$reported" = "$N" ] && [ "$lines" = "$N" ] && [ "$got" = "$N" ] ||
      { echo "FAIL: $mode: expected $N"; fail=1; }
    continue
  fi
  all=$(tcpdump -nr "$out" 2>/dev/null | wc -l)
  wanted=$(tcpdump -nr "$out" 'udp dst port 9999' 2>/dev/null | wc -l)
  other=$(tcpdump -nr "$out" 'udp port 7777' 2>/dev/null | wc -l)
  echo "$mode: pktdump $reported, tcpdump -r $all (port 9999: $wanted, port 7777: $other)"
  if [ "$mode" = all ]; then
    # Without a filter: both sets of datagrams, and whatever else crossed
    # (ICMP port unreachable for 7777, rate-limited by the kernel).
    if [ "$reported" != "$all" ] || [ "$wanted" != "$N" ] || [ "$other" != "$N" ] ||
       [ "$all" -le $((2 * N)) ]; then
      echo "FAIL: $mode: counts disagree"; tcpdump -nr "$out"; fail=1
    fi
  elif [ "$reported" != "$all" ] || [ "$all" != "$N" ] || [ "$wanted" != "$N" ] || [ "$other" != 0 ]; then
    echo "FAIL: $mode: counts disagree"; tcpdump -nr "$out"; fail=1
  fi
  # Bytes: the datagrams' payloads are in the file as sent, and tcpdump
  # reading and rewriting the file changes nothing.
  for i in $(seq "$N"); do
    tcpdump -nr "$out" -A 'udp dst port 9999' 2>/dev/null | grep -q "datagram $i\$" ||
      { echo "FAIL: $mode: payload 'datagram $i' not in the file"; fail=1; }
  done
  tcpdump -r "$out" -w "$tmp/copy.pcap" 2>/dev/null
  cmp -s <(tail -c +25 "$out") <(tail -c +25 "$tmp/copy.pcap") ||
    { echo "FAIL: $mode: tcpdump's copy of the packets differs"; fail=1; }
  # Timestamps are wall-clock: within a minute of now.
  first=$(tcpdump -nr "$out" -tt 2>/dev/null | head -n1 | cut -d' ' -f1 | cut -d. -f1)
  now=$(date +%s)
  if [ -z "$first" ] || [ $((now - first)) -gt 60 ] || [ $((first - now)) -gt 60 ]; then
    echo "FAIL: $mode: timestamp ${first:-none} is not near now ($now)"; fail=1
  fi
done
cleanup
trap - EXIT
if ip netns list | grep -qE "^($ns|$peer) "; then echo "FAIL: namespaces left behind"; fail=1; fi
[ "$fail" = 0 ] && echo "pktdump agrees with tcpdump"
exit $fail
