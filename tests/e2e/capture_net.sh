# capture_net.sh — sourced by the live-capture cases (capture_live.sh,
# capture_xdp.sh): two network namespaces joined by a veth pair (va in A,
# vb in B) with three subnets, 198.18.7.0/24 plain, 198.18.8.0/24 tagged
# VLAN 100 and 198.18.9.0/24 tagged 802.1ad 300 outside 802.1Q 200
# (tests/e2e/scripts/vlan_tagger.lua on both ends; fe80::7-9:1/2 likewise),
# and the helpers the cases share: bg/ready/stop for captures in A, and
# same() to compare two capture files packet for packet.
# Needs PKTLUA and PKTLUA_BUILD; removes everything it made at exit.
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
# 1 MB per bulk TCP connection (traffic_gen's default is 4): enough for
# runs of 64 KB offloaded frames, little enough for 80 captures at once.
export TRAFFIC_GEN_BULK=$((1 << 20))
: "${PKTLUA_BUILD:?PKTLUA_BUILD must name the build tree}"
here=$(cd "$(dirname "$0")/../.." && pwd)
gen=$PKTLUA_BUILD/tests/traffic_gen digest=$PKTLUA_BUILD/tests/pcap_digest
[ -x "$gen" ] && [ -x "$digest" ] || { echo "FAIL: no $gen or $digest (build the tests)"; exit 1; }

A=pl_cap_a_$$ B=pl_cap_b_$$
work=$(mktemp -d)
caps=$work/caps
mkdir -p "$caps"
pids=() taggers=()
t0=$(date +%s)
cleanup() {
  for p in "${pids[@]+"${pids[@]}"}" "${taggers[@]+"${taggers[@]}"}" "${gates[@]+"${gates[@]}"}"; do
    kill -KILL "$p" 2>/dev/null
  done
  ip netns del "$A" 2>/dev/null          # takes the veth pair with it
  ip netns del "$B" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
phase() { echo "== $* ($(( $(date +%s) - t0 ))s)"; }
inA() { ip netns exec "$A" "$@"; }

# ---- the network ----------------------------------------------------------
for ns in "$A" "$B"; do
  ip netns add "$ns" || fail "ip netns add $ns"
  ip netns exec "$ns" sh -c 'echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad &&
                             echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad' || fail "accept_dad in $ns"
  ip -n "$ns" link set lo up
done
ip -n "$A" link add va type veth peer name vb netns "$B" || fail "veth pair"
for side in "$A va 1" "$B vb 2"; do
  set -- $side
  for i in 7 8 9; do
    ip -n "$1" addr add "198.18.$i.$3/24" dev "$2" || fail "address on $2"
    ip -n "$1" addr add "fe80::$i:$3/64" dev "$2" nodad || fail "address on $2"
  done
  ip -n "$1" link set "$2" up
done

# The taggers on both ends; MODE "" (as the VLAN driver) or "inline".
start_taggers() {
  local p
  for p in "${taggers[@]+"${taggers[@]}"}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  taggers=()
  rm -f "$work/tag-va.log" "$work/tag-vb.log"
  for side in "$A va" "$B vb"; do
    set -- $side
    exec_in "$1" "$work/tag-$2.log" "$PKTLUA" "$here/tests/e2e/scripts/vlan_tagger.lua" "$2" $mode &
    taggers+=($!)
  done
  for d in va vb; do
    for _ in $(seq 300); do grep -q 'tagging on' "$work/tag-$d.log" && break; sleep 0.1; done
    grep -q 'tagging on' "$work/tag-$d.log" || { cat "$work/tag-$d.log"; fail "vlan_tagger on $d did not start"; }
  done
}

# gate_shut / gate_open: the gate (scripts/gate.lua on va and vb): while shut, no
# packet crosses the veth either way, so captures start and stop on a quiet
# link.
gates=()
gate_shut() {
  local side
  rm -f "$work/gate-va.log" "$work/gate-vb.log"
  for side in "$A va" "$B vb"; do
    set -- $side
    exec_in "$1" "$work/gate-$2.log" "$PKTLUA" "$here/tests/e2e/scripts/gate.lua" "$2" &
    gates+=($!)
  done
  for d in va vb; do
    for _ in $(seq 300); do grep -q 'gate shut' "$work/gate-$d.log" && break; sleep 0.05; done
    grep -q 'gate shut' "$work/gate-$d.log" || { cat "$work/gate-$d.log"; fail "gate on $d did not shut"; }
  done
}
gate_open() {
  local p
  for p in "${gates[@]+"${gates[@]}"}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  gates=()
}

# ---- helpers ----------------------------------------------------------------
# bg LOG CMD...: run CMD in A in the background, output to LOG. (exec: $!
# is the capture itself, so that stop's signal reaches it.)
bg() {
  local log=$work/$1
  shift
  exec_in "$A" "$log" "$@" &
  pids+=($!)
}
exec_in() {
  local ns=$1 log=$2
  shift 2
  exec ip netns exec "$ns" "$@" >"$log" 2>&1
}
# ready LOG...: wait until each LOG says "listening on" (pktlua and tcpdump both do).
ready() {
  local log
  for log in "$@"; do
    for _ in $(seq 600); do grep -q 'listening on' "$work/$log" && break; sleep 0.05; done
    grep -q 'listening on' "$work/$log" || { cat "$work/$log"; fail "$log: the capture did not start"; }
  done
}
# settle FILE...: wait until the files stop growing. tcpdump (in its
# default, buffered mode) gets a block of its ring when the block is full or
# its timer (1 s) retires it, and a SIGTERM drops what it has not read yet:
# so before stopping, wait until its -U files have been still for 1 s
# (at least 1.2 s after the traffic; at most 20 s).
settle() {
  local last= now i
  sleep 1.2
  for i in $(seq 40); do
    now=$(cat "$@" 2>/dev/null | wc -c)
    [ "$now" = "$last" ] && [ "$i" -gt 2 ] && return 0
    last=$now
    sleep 0.5
  done
}
# stop: SIGTERM to every capture (background jobs of a script ignore
# SIGINT), wait for all.
stop() {
  local p
  for p in "${pids[@]+"${pids[@]}"}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]+"${pids[@]}"}"; do wait "$p" 2>/dev/null; done
  pids=()
}
# packets FILE: one line per packet without its time — tcpdump -r's line
# with the link header (the wire length is in it), then the wire length,
# captured length and a digest of every captured byte (pcap_digest) — sorted.
packets() {
  paste -d' ' <(tcpdump -r "$1" -nn -t -e 2>/dev/null) <("$digest" "$1") | sort
}
# same LABEL P T: P (pktlua's) and T (tcpdump's) hold the same packets.
# Prints "SAME N LABEL" or "DIFFER LABEL ..." (and returns 1).
# (TAG: names the scratch files, for comparisons run in parallel.)
same() {
  local label=$1 p=$2 t=$3 tag=${4:-0}
  [ -s "$p" ] || { echo "DIFFER $label: pktlua wrote no file"; return 1; }
  [ -s "$t" ] || { echo "DIFFER $label: tcpdump wrote no file"; return 1; }
  packets "$p" >"$work/p.$tag.txt"
  packets "$t" >"$work/t.$tag.txt"
  local np nt
  np=$(wc -l <"$work/p.$tag.txt") nt=$(wc -l <"$work/t.$tag.txt")
  if cmp -s "$work/p.$tag.txt" "$work/t.$tag.txt"; then
    echo "SAME $np $label"
    return 0
  fi
  echo "DIFFER $label: pktlua $np packets, tcpdump $nt; first difference:"
  diff "$work/p.$tag.txt" "$work/t.$tag.txt" | head -4 | cut -c1-300
  return 1
}
# summary_ok P_LOG T_LOG: pktlua's last line is the capture summary, with
# no drop. (tcpdump's count of kernel drops is only noted: it counts a
# packet or two of a busy moment even when its file is the same as pktlua's,
# which is what the comparison checks.)
summary_ok() {
  grep -qE '^[0-9]+ packets? captured, 0 dropped \(ring full\)$' "$work/$1" ||
    { echo "DROPS $1: $(tail -1 "$work/$1")"; return 1; }
  grep -q '^0 packets dropped by kernel$' "$work/$2" ||
    echo "NOTE $2: tcpdump says $(grep 'dropped by kernel' "$work/$2")"
  return 0
}

