# one_netns.sh — sourced by the capture tests that need one network
# namespace with a veth pair in it (capture_errors.sh, capture_netmask.sh).
#   N=pl_<topic>_$$; . tests/e2e/one_netns.sh; one_netns IF0 IF1 ADDR/LEN
# makes namespace $N with lo, IF0 (ADDR) and its peer IF1, all up. The
# caller's EXIT trap removes $N (ip netns del "$N").
fail() { echo "FAIL: $*"; exit 1; }
inN() { ip netns exec "$N" "$@"; }

one_netns() {
  ip netns add "$N" || fail "netns"
  inN ip link set lo up
  inN ip link add "$1" type veth peer name "$2" || fail "veth"
  inN ip addr add "$3" dev "$1"
  inN ip link set "$1" up
  inN ip link set "$2" up
}
