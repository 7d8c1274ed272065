#!/usr/bin/env bash
# capture_errors.sh — every way `pktlua --filter EXPR -i IFACE` can go wrong
# ends with a clear message and a non-zero status, leaves no program on the
# interface (net_hooks.c asks the kernel) and nothing at -w FILE; an
# interface removed mid-capture ends it with its name, the packets captured
# until then kept whole; command-line mistakes exit 2. Also: SIGTERM ends a
# capture with status 0 and its summary; -w - writes to stdout.
# In a network namespace of its own: a veth pair ex0/ex1 (198.18.10.1/24 on
# ex0, no one at .9: ARP requests go out ex0 on demand).
# usage: PKTLUA=... PKTLUA_BUILD=build tests/e2e/capture_errors.sh   (root)
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
: "${PKTLUA_BUILD:?PKTLUA_BUILD must name the build tree}"
hooks=$PKTLUA_BUILD/tests/net_hooks
[ -x "$hooks" ] || { echo "FAIL: no $hooks (build the tests)"; exit 1; }
N=pl_caperr_$$
work=$(mktemp -d)
w=$work/w           # where -w writes: must hold nothing after a failure
mkdir "$w"
pid=
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  ip netns del "$N" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/one_netns.sh"
one_netns ex0 ex1 198.18.10.1/24

# clean IFACE: no program on its tc hooks or XDP.
clean() {
  local h
  h=$(inN "$hooks" "$1") || fail "net_hooks $1"
  [ "$h" = "tcx_ingress 0 tcx_egress 0 xdp 0" ] || fail "left attached on $1: $h"
}
# case NAME WANT_STATUS WANT_TEXT CMD...: run, check status and message, and
# that nothing is left at $work/out.pcap (or next to it) or on ex0.
case_() {
  local name=$1 want=$2 text=$3 rc
  shift 3
  inN "$@" >"$work/out.txt" 2>&1
  rc=$?
  [ "$rc" = "$want" ] || { cat "$work/out.txt"; fail "$name: status $rc, not $want"; }
  grep -qF -- "$text" "$work/out.txt" || { cat "$work/out.txt"; fail "$name: no '$text'"; }
  [ -z "$(ls "$w")" ] || fail "$name: left $(ls "$w" | tr '\n' ' ')"
  clean ex0
  echo "ok: $name: $(head -1 "$work/out.txt")"
}
out=$w/out.pcap

case_ "bad expression" 1 "pktlua: filter 'udp prot 53': syntax error" \
  "$PKTLUA" --filter 'udp prot 53' -i ex0 -w "$out"
case_ "an expression libpcap refuses here" 1 "expression rejects all packets" \
  "$PKTLUA" --filter 'tcp[tcpflags] & tcp-rst != 0 and ip6' -i ex0 -w "$out"
case_ "unknown interface" 1 "pktlua: no such interface 'nosuch0'" \
  "$PKTLUA" --filter udp -i nosuch0 -w "$out"
case_ "unknown second interface" 1 "pktlua: no such interface 'nosuch1'" \
  "$PKTLUA" --filter udp -i ex0 -i nosuch1 -w "$out"
case_ "unwritable -w" 1 "pktlua: $w/no/such/dir/x.pcap: cannot create: No such file or directory" \
  "$PKTLUA" --filter udp -i ex0 -w "$w/no/such/dir/x.pcap"
inN ip link add dn0 type veth peer name dn1 || fail "veth"
case_ "interface down" 1 "pktlua: interface 'dn0': it is down" \
  "$PKTLUA" --filter udp -i dn0 -w "$out"
clean dn0
if inN ip tuntap add dev tn0 mode tun 2>/dev/null; then
  inN ip link set tn0 up
  case_ "not an Ethernet interface" 1 "interface 'tn0' does not carry Ethernet frames" \
    "$PKTLUA" --filter udp -i tn0 -w "$out"
else
  echo "SKIPPED (part): no tun device here: the non-Ethernet interface case is not run"
fi
# Command-line mistakes: status 2.
case_ "--xdp with -Q out" 2 "--xdp sees incoming packets only" "$PKTLUA" --filter udp -i ex0 --xdp -Q out
case_ "--pcapng without -w" 2 "--pcapng goes with -w FILE" "$PKTLUA" --filter udp -i ex0 --pcapng
case_ "-c 0" 2 "-c 0: want a count of packets, 1 or more" "$PKTLUA" --filter udp -i ex0 -c 0
case_ "-s too big" 2 "-s 300000: want a snap length" "$PKTLUA" --filter udp -i ex0 -s 300000
case_ "-Q sideways" 2 "-Q sideways: want in, out or inout" "$PKTLUA" --filter udp -i ex0 -Q sideways
case_ "-i and --pcap" 2 "--filter takes -i IFACE (live) or --pcap FILE, not both" \
  "$PKTLUA" --filter udp -i ex0 --pcap "$work/x.pcap"
case_ "-c without -i" 2 "-c goes with --filter EXPR -i IFACE (live capture)" \
  "$PKTLUA" --filter udp --pcap "$work/x.pcap" -c 3

# XDP taken: the second capture at XDP is refused, the first keeps it.
start() {  # LOG ARGS...: a capture in the background, until it listens
  local log=$1
  shift
  # exec: $! is pktlua itself (ip netns exec execs it too), so that
  # signals reach it.
  (exec ip netns exec "$N" "$PKTLUA" "$@" >"$log" 2>&1) &
  pid=$!
  for _ in $(seq 600); do grep -q 'listening on' "$log" && return; sleep 0.05; done
  cat "$log"; fail "the capture did not start"
}
start "$work/xdp1.log" --filter arp -i ex0 --xdp
first=$(inN "$hooks" ex0)
inN "$PKTLUA" --filter udp -i ex0 --xdp -w "$out" >"$work/out.txt" 2>&1 && fail "a second XDP capture started"
grep -q "xdp attach to 'ex0': the interface already has an XDP program" "$work/out.txt" ||
  { cat "$work/out.txt"; fail "XDP taken: no clear message"; }
[ ! -e "$out" ] || fail "XDP taken: a file was left"
[ "$(inN "$hooks" ex0)" = "$first" ] || fail "XDP taken: the first capture's program changed"
echo "ok: XDP taken: $(head -1 "$work/out.txt")"
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ "$rc" = 0 ] || fail "SIGTERM: status $rc"
tail -1 "$work/xdp1.log" | grep -qE '^[0-9]+ packets? captured, 0 dropped \(ring full\)$' ||
  fail "SIGTERM: no summary line"
clean ex0
echo "ok: SIGTERM ends a capture with status 0 and its summary, nothing left attached"

# -w - : pcap on stdout.
(exec ip netns exec "$N" "$PKTLUA" --filter arp -i ex0 -c 2 -w - 2>"$work/err.txt" >"$work/stdout.pcap") &
pid=$!
for _ in $(seq 600); do grep -q 'listening on' "$work/err.txt" 2>/dev/null && break; sleep 0.05; done
inN bash -c 'for i in 1 2 3; do echo x >/dev/udp/198.18.10.9/9; sleep 0.3; done' 2>/dev/null
wait "$pid"; rc=$?; pid=
n=$(tcpdump -r "$work/stdout.pcap" 2>/dev/null | wc -l)
[ "$rc" = 0 ] && [ "$n" = 2 ] || fail "-w -: status $rc, $n packets"
rm -f "$work/stdout.pcap" "$work/err.txt"
echo "ok: -w - writes pcap to stdout (2 packets, -c 2)"

# The interface goes away mid-capture: its name, status 1, the packets
# captured so far kept in a whole file, nothing left behind.
start "$work/vanish.log" --filter arp -i ex0 -w "$out"
inN bash -c 'for i in 1 2 3; do echo x >/dev/udp/198.18.10.9/9; sleep 0.3; done' 2>/dev/null
sleep 0.5
inN ip link del ex0
wait "$pid"; rc=$?; pid=
cat "$work/vanish.log"
[ "$rc" = 1 ] || fail "vanish: status $rc"
grep -q "pktlua: interface 'ex0' went away" "$work/vanish.log" || fail "vanish: no clear message"
captured=$(sed -n 's/^\([0-9]*\) packets* captured.*/\1/p' "$work/vanish.log")
n=$(tcpdump -r "$out" 2>/dev/null | wc -l)
[ "${captured:-0}" -gt 0 ] && [ "$n" = "$captured" ] || fail "vanish: $n packets in the file, ${captured:-?} captured"
tcpdump -r "$out" -w "$work/copy.pcap" 2>/dev/null &&
  cmp -s <(tail -c +25 "$out") <(tail -c +25 "$work/copy.pcap") ||
  fail "vanish: the file is not whole (tcpdump's copy of the packets differs)"
[ "$(ls "$w")" = out.pcap ] || fail "vanish: left $(ls "$w" | tr '\n' ' ')"
echo "ok: interface gone: status 1, '$(grep 'went away' "$work/vanish.log")', the $n packets before it kept"
echo "every error case: a clear message, nothing left attached or half-written"
