#!/usr/bin/env bash
# --metrics ADDR: a script's metrics served from the command line (the
# script's own metrics.serve() gets that server), answers to other requests,
# and an address in use or not of this machine refused before the script
# runs (it prints nothing), with status 1.
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$tmp/a.log"; exit 1; }

"$PKTLUA" --metrics 127.0.0.1:0 -e '
  local bpf, metrics = require "pktlua", require "pktlua.metrics"
  metrics.gauge("cli_answer", "From the script.", function() return 42 end)
  print("serving " .. metrics.serve("127.0.0.1:1").address)   -- the --metrics one
  io.stdout:flush()
  print(bpf.run(20))' >"$tmp/a.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^serving ' "$tmp/a.log" && break; sleep 0.1; done
addr=$(sed -n 's/^serving //p' "$tmp/a.log")
[ -n "$addr" ] && [ "$addr" != 127.0.0.1:1 ] || fail "no server from --metrics"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
body=$(curl -sf "http://$addr/metrics") || fail "GET /metrics"
grep -qx 'cli_answer 42' <<<"$body" || fail "no cli_answer 42 in: $body"
echo "GET /metrics: 200, cli_answer 42"
echo "HEAD /metrics: $(code -I "http://$addr/metrics")"
echo "GET /nope: $(code "http://$addr/nope")"
echo "POST /metrics: $(code -X POST -d x "http://$addr/metrics")"
echo "GET without Host: $(code -H 'Host:' "http://$addr/metrics")"

# The same address again: refused before the script runs.
"$PKTLUA" --metrics "$addr" -e 'print("the script ran")' >"$tmp/b.log" 2>&1
echo "in use: status $? $(cat "$tmp/b.log")"
"$PKTLUA" --metrics 198.19.255.254:9435 -e 'print("the script ran")' >"$tmp/c.log" 2>&1
echo "not local: status $? $(cat "$tmp/c.log")"
"$PKTLUA" --metrics nonsense -e 'print("the script ran")' >"$tmp/d.log" 2>&1
echo "bad: status $? $(cat "$tmp/d.log")"
"$PKTLUA" --metrics >"$tmp/e.log" 2>&1
echo "no argument: status $? $(cat "$tmp/e.log")"

kill -INT "$pid"; wait "$pid"; status=$?; pid=
echo "server run: status $status, bpf.run returned $(tail -n1 "$tmp/a.log")"
