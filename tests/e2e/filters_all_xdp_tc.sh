#!/usr/bin/env bash
# filters_all_xdp_tc.sh — every expression of filter_agree.sh as bpf.load's
# filters= (the PL_FILTER_PKT flavour, packet pointers) in an XDP and in a
# tc program: each must pass the verifier, and replayed over the bundled
# capture (pcap.replay), count what tcpdump -r counts.
# (--filter runs the PL_FILTER_BUF flavour; this is where the other one
# meets the kernel for the whole list.)
# usage: PKTLUA=... tests/e2e/filters_all_xdp_tc.sh   (root)
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Whole frames of 14 bytes and more (what XDP and tc replay take; a cut
# frame's wire length is not data_end - data): the bundled capture.
cap=$here/samples/mixed.pcap
. "$here/tests/e2e/filter_agree.sh"

fail=0 checked=0
for kind in xdp tc; do
  # Ten filters a program: a handful of protochain loops in one program is
  # what the verifier takes (filter.h).
  for ((i = 0; i < ${#expressions[@]}; i += 10)); do
    chunk=("${expressions[@]:i:10}")
    if "$PKTLUA" "$here/tests/e2e/scripts/filters_replay.lua" "$kind" "$cap" "${chunk[@]}" \
        >"$work/out" 2>&1; then
      checked=$((checked + ${#chunk[@]}))
    else
      fail=1
      grep -v ' ok$' "$work/out"
    fi
  done
done
echo "filters= in XDP and tc: $checked of $((2 * ${#expressions[@]})) expression runs agree with tcpdump"
[ "$fail" = 0 ] && echo "all agree"
exit "$fail"
