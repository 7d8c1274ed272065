#!/usr/bin/env bash
# globals_cache.sh — globals stay out of the compile cache key: a second run
# of globals_probe.lua with another PID and STEP is a cache hit (-v says so,
# and with PKTLUA_CC_SHIM naming no file only a run that never starts the
# compiler can succeed), and counts with the new values.
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
here=$(cd "$(dirname "$0")" && pwd)
cache=$(mktemp -d /tmp/pktlua-globals-cache.XXXXXX)
trap 'rm -rf "$cache"' EXIT
export PKTLUA_CACHE_DIR=$cache
unset PKTLUA_CC_SHIM

fail() { echo "FAIL: $*"; exit 1; }
out1=$("$PKTLUA" -v "$here/globals_probe.lua" 2 2>&1) || fail "first run: $out1"
echo "--- run 1 (step 2)"; echo "$out1"
grep -q "cache miss" <<<"$out1" || fail "first run: no cache miss"
grep -q "cache store" <<<"$out1" || fail "first run: not stored"
grep -qx "opens=10" <<<"$out1" || fail "first run: expected opens=10"

out2=$(PKTLUA_CC_SHIM=/nonexistent/libpktlua-cc.so "$PKTLUA" -v "$here/globals_probe.lua" 3 2>&1) ||
  fail "second run (another pid, step 3) needed the compiler: $out2"
echo "--- run 2 (step 3, no compiler)"; echo "$out2"
grep -q "cache hit" <<<"$out2" || fail "second run: no cache hit"
grep -q "cache miss" <<<"$out2" && fail "second run: a miss"
grep -qx "opens=15" <<<"$out2" || fail "second run: expected opens=15"
echo "globals_cache: ok"
