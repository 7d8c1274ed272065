#!/usr/bin/env bash
# cache_case.sh MODE — one compile-cache scenario, against a private cache.
#
# Copies cache_probe.lua and a header it includes into a fresh directory,
# points PKTLUA_CACHE_DIR at another, runs pktlua -v on the copy as MODE
# says, and checks what the cache did from -v's "cache hit/miss/store" lines,
# the entry files and the program's output. Both directories are removed at
# exit. Prints "cache_case MODE: ok" when every check held; exits 1 (with
# the reason) otherwise.
#
# A hit is proven twice: with PKTLUA_CC_SHIM naming a file that does not
# exist, only a run that never starts the compiler can succeed.
#
# MODES: hit define source header corrupt truncate fifo nocache maps concurrent
set -u
mode=${1:?usage: cache_case.sh MODE}
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d /tmp/pktlua-cache-case.XXXXXX)
cache=$(mktemp -d /tmp/pktlua-cache-dir.XXXXXX)
trap 'rm -rf "$work" "$cache"' EXIT
export PKTLUA_CACHE_DIR=$cache
unset PKTLUA_CC_SHIM PKTLUA_VMLINUX
cp "$here/cache_probe.lua" "$work/probe.lua"
printf '#define HDR 3\n' > "$work/cache_probe.h"
# An mtime well before the first compile: a header modified while (or just
# before, within the clock's granularity) it was compiled is not stored.
touch -d '-10 seconds' "$work/cache_probe.h"
no_shim=/nonexistent/libpktlua-cc.so

fail() { echo "FAIL ($mode): $*"; exit 1; }
step=0
# run [ENV=VAL...] -- ARGS...: run pktlua -v in the work directory; its
# output (stdout+stderr) goes to $out and is shown.
run() {
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  step=$((step + 1))
  out=$work/out.$step
  (cd "$work" && env "${envs[@]+"${envs[@]}"}" "$PKTLUA" -v "$@") >"$out" 2>&1
  status=$?
  echo "--- run $step: pktlua -v $* ${envs[*]+"(${envs[*]})"} -> exit $status"
  cat "$out"
}
has() { grep -qF -- "$1" "$out"; }
result() { grep -E '^result ' "$out"; }
entries() { find "$cache" -type f -name '*.obj' | wc -l; }
expect_ok() { [ "$status" -eq 0 ] || fail "run $step exited $status"; }
expect_hit() {
  expect_ok
  has "cache hit probe.lua: $cache/" || fail "run $step: no 'cache hit'"
  has "cache miss" && fail "run $step: a miss as well as a hit"
  has "cache store" && fail "run $step: stored after a hit"
  has "warning: cache probe warning" || fail "run $step: the hit lost the compiler's warning"
  return 0
}
expect_miss() {   # REASON: what the miss line must say
  expect_ok
  has "cache hit" && fail "run $step: a hit where a miss was due"
  grep -qE "cache miss probe.lua: $cache/.*\(.*$1" "$out" ||
    fail "run $step: no 'cache miss ... ($1'"
  has "cache store probe.lua: $cache/" || fail "run $step: the miss was not stored"
  has "warning: cache probe warning" || fail "run $step: no compiler warning"
}

# The first run compiles and stores; every mode starts from it.
run -- probe.lua 5
expect_miss "no entry"
first=$(result)
[ "$first" = "result 10503" ] || fail "first result '$first', expected 'result 10503'"
[ "$(entries)" -eq 1 ] || fail "$(entries) entries after the first run, expected 1"
entry=$(find "$cache" -type f -name '*.obj')
[ "$(stat -c %a "$cache/$(basename "$(dirname "$entry")")")" = 700 ] ||
  fail "entry directory is not 0700"

case "$mode" in
hit)
  run PKTLUA_CC_SHIM=$no_shim -- probe.lua 5
  expect_hit
  [ "$(result)" = "$first" ] || fail "hit gave '$(result)', the compile gave '$first'"
  # Identical behaviour: the same output, line for line, but the cache lines.
  diff <(grep -vE 'pktlua: cache[ :]|vmlinux\.h' "$work/out.1") \
       <(grep -vE 'pktlua: cache[ :]' "$out") || fail "a hit's output differs from the compile's"
  # From another working directory (same relative script name): still a hit.
  mkdir "$work/elsewhere" && cp "$work/probe.lua" "$work/cache_probe.h" "$work/elsewhere/"
  touch -r "$work/cache_probe.h" "$work/elsewhere/cache_probe.h"
  step=$((step + 1)); out=$work/out.$step
  (cd "$work/elsewhere" && PKTLUA_CC_SHIM=$no_shim "$PKTLUA" -v probe.lua 5) >"$out" 2>&1
  status=$?
  echo "--- run $step: the same from another directory -> exit $status"; cat "$out"
  expect_hit
  ;;
define)
  run -- probe.lua 6
  expect_miss "no entry"
  [ "$(result)" = "result 10603" ] || fail "VAL=6 gave '$(result)'"
  [ "$(entries)" -eq 2 ] || fail "$(entries) entries, expected 2"
  run PKTLUA_CC_SHIM=$no_shim -- probe.lua 5
  expect_hit
  [ "$(result)" = "$first" ] || fail "back to VAL=5 gave '$(result)'"
  ;;
source)
  sed -i 's/#define SRC_TAG 1/#define SRC_TAG 2/' "$work/probe.lua"
  run PKTLUA_CC_SHIM=$no_shim -- probe.lua 5
  [ "$status" -ne 0 ] || fail "a changed source ran without a compiler (a hit)"
  has "cannot load the compiler" || fail "no compiler error for the changed source"
  run -- probe.lua 5
  expect_miss "no entry"
  [ "$(result)" = "result 20503" ] || fail "SRC_TAG=2 gave '$(result)'"
  ;;
header)
  printf '#define HDR 4\n' > "$work/cache_probe.h"
  touch -d '-5 seconds' "$work/cache_probe.h"
  run -- probe.lua 5
  expect_miss "cache_probe.h changed"
  [ "$(result)" = "result 10504" ] || fail "HDR=4 gave '$(result)'"
  run PKTLUA_CC_SHIM=$no_shim -- probe.lua 5
  expect_hit
  [ "$(result)" = "result 10504" ] || fail "the hit after the header change gave '$(result)'"
  rm "$work/cache_probe.h"
  run -- probe.lua 5
  [ "$status" -ne 0 ] || fail "ran with its header gone"
  has "cache hit" && fail "a hit with the header gone"
  has "cache_probe.h" || fail "the miss or the error does not name the header"
  ;;
corrupt | truncate)
  size=$(stat -c %s "$entry")
  if [ "$mode" = corrupt ]; then
    # Flip bytes in the middle (the object) and in the header.
    printf '\xde\xad\xbe\xef' | dd of="$entry" bs=1 seek=$((size / 2)) conv=notrunc status=none
    printf '\x00' | dd of="$entry" bs=1 seek=40 conv=notrunc status=none
    why="corrupt entry"
  else
    truncate -s $((size - 100)) "$entry"
    why="corrupt entry"
  fi
  run -- probe.lua 5
  expect_miss "$why"
  [ "$(result)" = "$first" ] || fail "rebuilt run gave '$(result)'"
  [ "$(stat -c %s "$entry")" -eq "$size" ] || fail "the entry was not rebuilt ($(stat -c %s "$entry") bytes, was $size)"
  run PKTLUA_CC_SHIM=$no_shim -- probe.lua 5
  expect_hit
  [ "$(result)" = "$first" ] || fail "the rebuilt entry gave '$(result)'"
  ;;
fifo)
  # A FIFO where the entry should be: opening it must not wait for a
  # writer (the run blocked forever); it is a miss, and replaced.
  rm "$entry" && mkfifo "$entry"
  run -- probe.lua 5
  expect_miss "the entry is not a regular file"
  [ -f "$entry" ] || fail "the FIFO was not replaced by an entry"
  run PKTLUA_CC_SHIM=$no_shim -- probe.lua 5
  expect_hit
  ;;
nocache)
  before=$(stat -c '%i %Y %s' "$entry")
  run PKTLUA_CC_SHIM=$no_shim -- --no-cache probe.lua 5
  [ "$status" -ne 0 ] || fail "--no-cache ran without a compiler: it read the cache"
  has "cannot load the compiler" || fail "--no-cache: no compiler error"
  run -- --no-cache probe.lua 5
  expect_ok
  grep -qE 'pktlua: cache[ :]' "$out" && fail "--no-cache printed cache lines"
  [ "$(result)" = "$first" ] || fail "--no-cache gave '$(result)'"
  [ "$(stat -c '%i %Y %s' "$entry")" = "$before" ] || fail "--no-cache rewrote the entry"
  [ "$(find "$cache" -type f | wc -l)" -eq 1 ] || fail "--no-cache wrote files"
  # In an empty cache it creates nothing at all.
  rm -rf "${cache:?}"/*
  run -- --no-cache probe.lua 6
  expect_ok
  [ -z "$(ls -A "$cache")" ] || fail "--no-cache wrote into an empty cache"
  ;;
concurrent)
  # Four cold runs at once into an empty cache: all succeed, one entry
  # stays, and it is whole (the next run hits it).
  rm -rf "${cache:?}"/*
  for i in 1 2 3 4; do
    (cd "$work" && "$PKTLUA" -v probe.lua 5 >"$work/par.$i" 2>&1; echo "exit $?" >>"$work/par.$i") &
  done
  wait
  for i in 1 2 3 4; do
    echo "--- concurrent run $i"; cat "$work/par.$i"
    grep -q '^exit 0$' "$work/par.$i" || fail "concurrent run $i failed"
    grep -q '^result 10503$' "$work/par.$i" || fail "concurrent run $i: wrong result"
  done
  [ "$(entries)" -eq 1 ] || fail "$(entries) entries after the concurrent runs, expected 1"
  [ -z "$(find "$cache" -type f ! -name '*.obj')" ] || fail "temporary files left: $(find "$cache" -type f ! -name '*.obj')"
  run PKTLUA_CC_SHIM=$no_shim -- probe.lua 5
  expect_hit
  ;;
maps)
  run PKTLUA_CC_SHIM=$no_shim -- probe.lua 5
  expect_hit
  has "compiler libraries mapped: none" || fail "LLVM/libclang/the shim is mapped on a hit"
  # The same hit, looked at from outside: no compiler child, no vmlinux.h.
  run -- -vv probe.lua 5
  expect_hit
  has "compiled probe.lua" && fail "-vv shows a compile on a hit"
  has "vmlinux.h" && fail "a hit touched vmlinux.h"
  ;;
*)
  fail "unknown mode"
  ;;
esac
echo "cache_case $mode: ok"
