#!/usr/bin/env bash
# events_load.sh — the loop under a producer far faster than its callback
# (`yes >/dev/null`: each write(2) emits a record; the callback takes 1 ms),
# on a ring buffer and on a perf buffer:
#   - bpf.run(3) returns within 4 s (the work of a turn is bounded);
#   - emitted = received + lost, within 1 % (perf losses from the kernel's
#     per-CPU count), and the loss is printed at exit;
#   - SIGINT during bpf.run() ends the script within 1 s while callbacks
#     keep the loop busy.
set -u
: "${PKTLUA:?}"
script=tests/e2e/scripts/events_load.lua
yes >/dev/null & producer=$!
trap 'kill $producer 2>/dev/null; rm -f "$out"' EXIT
out=$(mktemp)
fail=0
for kind in ring perf; do
  "$PKTLUA" "$script" $kind $producer 3 2>&1 | tee "$out"
  grep -q "^$kind: returned within 4 s: true" "$out" || { echo "FAIL $kind: run(3) late"; fail=1; }
  grep -q "^$kind: emitted = received + lost within 1%: true" "$out" || { echo "FAIL $kind: unbalanced"; fail=1; }
  grep -q "^$kind: overloaded (lost > received): true" "$out" || { echo "FAIL $kind: the producer did not outrun the callback"; fail=1; }
  grep -qE "^pktlua: map 'events': [0-9]+ events lost$" "$out" || { echo "FAIL $kind: loss not printed at exit"; fail=1; }

  "$PKTLUA" "$script" $kind $producer >"$out" 2>&1 & pid=$!
  for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.1; done
  sleep 1
  t0=$(date +%s%N)
  kill -INT $pid
  wait $pid; rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  cat "$out"
  # bpf.run's return (the promise), and the whole exit (teardown, and an
  # ASan build's leak check, take their time).
  back=$(sed -n "s/^$kind: returned at //p" "$out")
  run_ms=$(( (${back:-0} - t0) / 1000000 ))
  echo "$kind: SIGINT to bpf.run's return: $run_ms ms, to exit: $ms ms, status $rc"
  if [ "$rc" != 0 ] || [ -z "$back" ] || [ "$run_ms" -ge 1000 ] || [ "$ms" -ge 10000 ]; then
    echo "FAIL $kind: SIGINT did not end the run within 1 s"; fail=1
  fi
done
[ "$fail" = 0 ] && echo "the loop kept its promises under load"
exit $fail
