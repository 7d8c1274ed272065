#!/usr/bin/env bash
# capture_netmask.sh — `ip broadcast` on a live interface, and the looped-back
# copy of a broadcast, against tcpdump at the same time.
#
#   netmask: tcpdump 4.99 compiles with netmask 0 (`ip broadcast` is
#     255.255.255.255 or 0.0.0.0), and with -f with the interface's, as
#     pcap_lookupnet() gives it (network byte order: on a little-endian
#     host libpcap then tests the first octet). Frames to destinations on
#     both sides of that line (written onto the wire through a packet
#     socket: traffic_gen frames) must be captured by pktlua exactly as by
#     tcpdump, without -f and with it; and -f must change what matches
#     (else the netmask would not be in use).
#   loopback: a directed broadcast the namespace sends is also delivered
#     to itself (a copy through the interface's tc ingress, marked
#     PACKET_LOOPBACK); tcpdump -Q in does not see it, nor must pktlua.
#
# One namespace, a veth pair nm0/nm1, 198.18.11.1/24 on nm0; captures on nm0.
# usage: PKTLUA=... PKTLUA_BUILD=build tests/e2e/capture_netmask.sh   (root)
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
: "${PKTLUA_BUILD:?PKTLUA_BUILD must name the build tree}"
gen=$PKTLUA_BUILD/tests/traffic_gen digest=$PKTLUA_BUILD/tests/pcap_digest
[ -x "$gen" ] && [ -x "$digest" ] || { echo "FAIL: no $gen or $digest (build the tests)"; exit 1; }
N=pl_capnm_$$
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]+"${pids[@]}"}"; do kill -KILL "$p" 2>/dev/null; done
  ip netns del "$N" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/one_netns.sh"
one_netns nm0 nm1 198.18.11.1/24

bg() {  # LOG CMD...: a capture in the background (exec: $! is the capture)
  local log=$work/$1
  shift
  (exec ip netns exec "$N" "$@" >"$log" 2>&1) &
  pids+=($!)
}
bg p0.log "$PKTLUA" --filter 'ip broadcast' -i nm0 -Q out -w "$work/p0.pcap"
bg t0.log tcpdump -U -i nm0 -Q out -w "$work/t0.pcap" 'ip broadcast'
bg pf.log "$PKTLUA" -f --filter 'ip broadcast' -i nm0 -Q out -w "$work/pf.pcap"
bg tf.log tcpdump -f -U -i nm0 -Q out -w "$work/tf.pcap" 'ip broadcast'
bg pl.log "$PKTLUA" --filter 'not ip6' -i nm0 -Q in -w "$work/pl.pcap"
bg tl.log tcpdump -U -i nm0 -Q in -w "$work/tl.pcap" 'not ip6'
for log in p0 t0 pf tf pl tl; do
  for _ in $(seq 600); do grep -q 'listening on' "$work/$log.log" && break; sleep 0.05; done
  grep -q 'listening on' "$work/$log.log" || { cat "$work/$log.log"; fail "$log: the capture did not start"; }
done

inN "$gen" frames nm0 198.18.11.1 198.18.11.255 198.18.11.0 255.18.11.9 0.18.11.9 \
  255.255.255.255 198.18.12.255 || fail "frames"
inN "$gen" broadcast 198.18.11.1 || fail "broadcast"
sleep 1.2   # tcpdump -U: what it has read is written; the rest arrives in its next block
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do wait "$p"; done
pids=()

# packets FILE: each packet without its time (tcpdump -e line, digest of its bytes), sorted.
packets() { paste -d' ' <(tcpdump -r "$1" -nn -t -e 2>/dev/null) <("$digest" "$1") | sort; }
count() { tcpdump -r "$1" 2>/dev/null | wc -l; }
same() {  # LABEL P T
  packets "$2" >"$work/a.txt"
  packets "$3" >"$work/b.txt"
  cmp -s "$work/a.txt" "$work/b.txt" || { diff "$work/a.txt" "$work/b.txt" | head -8; fail "$1: pktlua and tcpdump differ"; }
  echo "SAME $(wc -l <"$work/a.txt") $1"
}
for log in p0 pf pl; do
  grep -qE '^[0-9]+ packets? captured, 0 dropped \(ring full\)$' "$work/$log.log" ||
    { cat "$work/$log.log"; fail "$log: no clean summary"; }
done
same "ip broadcast" "$work/p0.pcap" "$work/t0.pcap"
same "-f ip broadcast" "$work/pf.pcap" "$work/tf.pcap"
n0=$(count "$work/p0.pcap") nf=$(count "$work/pf.pcap")
[ "$n0" = 1 ] || fail "without -f, 'ip broadcast' should match 255.255.255.255 alone, not $n0 frames"
[ "$nf" != "$n0" ] || fail "-f changed nothing: the netmask is not in use"
echo "netmask: 'ip broadcast' $n0 frame without -f, $nf with -f (the interface's netmask), as tcpdump"
same "not ip6 -Q in" "$work/pl.pcap" "$work/tl.pcap"
echo "loopback: the looped-back copy of a broadcast is not captured, as tcpdump -Q in"
