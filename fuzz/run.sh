#!/usr/bin/env bash
# run.sh [SECONDS] — run every libFuzzer target (fuzz/fuzz_*.c) for SECONDS
# each (default 45), from its committed seed corpus (fuzz/corpus/TARGET),
# after running every input in fuzz/regressions/TARGET once (each crash ever
# found stays there). Fails on any crash, leak or sanitizer report; a crash
# input is copied to fuzz/regressions/TARGET/ for a developer to commit.
#
#   CC=clang-19 cmake -S . -B build-fuzz -DPKTLUA_FUZZ=ON && cmake --build build-fuzz
#   fuzz/run.sh 45
#
# fuzz_filter compiles C with the compiler shim of a release build
# (build/host/libpktlua-cc.so, or $PKTLUA_CC_SHIM).
set -u
cd "$(dirname "$0")/.."
secs=${1:-45}
build=${FUZZ_BUILD:-build-fuzz}
export PKTLUA_CC_SHIM=${PKTLUA_CC_SHIM:-$PWD/build/host/libpktlua-cc.so}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
work=$(mktemp -d /tmp/pktlua-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
for t in fuzz_pcap fuzz_filter fuzz_btf fuzz_cache fuzz_elf fuzz_metrics; do
  bin=$build/fuzz/$t
  [ -x "$bin" ] || { echo "fuzz: $bin is not built"; fail=1; continue; }
  if compgen -G "fuzz/regressions/$t/*" >/dev/null; then
    if ! "$bin" fuzz/regressions/$t/* >"$work/$t.reg" 2>&1; then
      echo "fuzz: $t: a regression input crashes again:"; tail -30 "$work/$t.reg"; fail=1
    fi
  fi
  mkdir -p "$work/$t"
  cp fuzz/corpus/$t/* "$work/$t/"
  maxlen=4096
  [ $t = fuzz_elf ] && maxlen=65536           # its seeds are whole executables
  "$bin" -max_total_time="$secs" -max_len=$maxlen -timeout=60 -print_final_stats=1 \
    -artifact_prefix="$work/crash-$t-" "$work/$t" >"$work/$t.log" 2>&1
  rc=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work/$t.log" | grep -oE '[0-9]+$')
  cov=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$t.log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
  echo "fuzz: $t: ${runs:-?} inputs in ${secs} s, ${cov:-no summary}, $(ls "$work/$t" | wc -l) in the corpus"
  if [ $rc -ne 0 ]; then
    fail=1
    echo "fuzz: $t FAILED (status $rc):"; grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$work/$t.log" | head -20
    mkdir -p fuzz/regressions/$t
    for c in "$work"/crash-$t-*; do
      [ -e "$c" ] || continue
      cp "$c" fuzz/regressions/$t/ && echo "fuzz: kept $c as fuzz/regressions/$t/$(basename "$c")"
    done
  fi
done
[ $fail = 0 ] && echo "fuzz: every target ran clean"
exit $fail
