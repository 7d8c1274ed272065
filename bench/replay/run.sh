#!/usr/bin/env bash
# run.sh — build and run the replay benchmark against a pktlua build tree.
#   bench/replay/run.sh [PACKETS [ROUNDS]]     (BUILD_DIR defaults to build/)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
out=$build/bench_replay
# shellcheck disable=SC2046 # pkg-config prints words
cc -O2 -std=gnu11 -Wall -Wextra -Ihost bench/replay/bench_replay.c "$build/host/libpktlua_core.a" \
  $(pkg-config --libs libbpf libpcap libelf zlib) -ldl -lm -o "$out"
"$out" "${1:-100000}" "${2:-5}"
