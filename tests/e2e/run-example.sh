#!/usr/bin/env bash
# run-example.sh — run one shipped example or script the way CI exercises it.
#
# Each file says how in its header:
#   -- ci: ARGS            arguments to run it with (may be empty)
#   -- ci-expect: TEXT     text its output must contain (optional, may repeat)
# It runs for at most 4 seconds, then gets SIGINT, as a user's Ctrl-C: the
# run must end with status 0 (a graceful stop prints its results).
set -u
file=$1
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
if [ "$(id -u)" != 0 ]; then echo "SKIPPED: examples load BPF programs: needs root"; exit 77; fi
args=$(sed -n 's/^-- ci: *//p' "$file" | head -n1)
if ! grep -q '^-- ci:' "$file"; then echo "FAIL: $file has no '-- ci:' line"; exit 1; fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2086 # ARGS are words
# --foreground: signal only pktlua, once, as a Ctrl-C would (without it
# timeout also signals the process group, and a second SIGINT means "exit now").
timeout --foreground --preserve-status -k 5 -s INT 4 "$PKTLUA" "$file" $args >"$out" 2>&1
status=$?
cat "$out"
[ "$status" -eq 0 ] || { echo "FAIL: $file exited with $status"; exit 1; }
while IFS= read -r want; do
  grep -qF -- "$want" "$out" || { echo "FAIL: output lacks: $want"; exit 1; }
done < <(sed -n 's/^-- ci-expect: *//p' "$file")
echo "PASS: $file"
