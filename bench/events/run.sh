#!/usr/bin/env bash
# run.sh — events benchmark: one record per getppid() from a tracepoint,
# through a ring buffer, read (1) by a raw libbpf C consumer (the floor) and
# (2) by pktlua into a Lua table counted in a Lua callback. Same BPF program,
# same ring size, same run.
# Unpaced first (the producer as fast as it goes), then paced at RATES
# records/s, to find the highest rate each consumer takes with 0 lost.
# usage: bench/events/run.sh [N] [RING_BYTES] [RATES...]   (root; build/ built)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
n=${1:-2000000}
ring=${2:-$((1 << 20))}
shift $(( $# > 2 ? 2 : $# ))
rates=${*:-"1000000 1500000 2000000 3000000"}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cc -O2 -o "$out/plgetppid" "$here/plgetppid.c"
cc -O2 -D_GNU_SOURCE -I"$root/host" -o "$out/raw_consumer" "$here/raw_consumer.c" \
  "$build/host/libpktlua_core.a" $(pkg-config --libs libbpf libelf zlib libpcap) -ldl -lm
cp "$here/events.bpf.c" "$here/events.lua" "$out/"
export PKTLUA_CC_SHIM=$build/host/libpktlua-cc.so

echo "N=$n ring=$ring bytes, $(nproc) CPUs, $(uname -r)"
for rate in "" $rates; do
  echo "--- rate ${rate:-unpaced}"
  "$out/raw_consumer" "$out" "$n" "$ring" $rate
  "$build/host/pktlua" "$out/events.lua" "$n" "$ring" $rate
done
