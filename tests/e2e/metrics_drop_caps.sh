#!/usr/bin/env bash
# --metrics with --drop-caps: the listening socket is open before the script
# runs, so after every capability is dropped (at bpf.run()) the server still
# answers, and reads the maps (through the fds it holds) as they change.
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

"$PKTLUA" --drop-caps --metrics 127.0.0.1:0 -e '
  local bpf, metrics = require "pktlua", require "pktlua.metrics"
  local p = bpf.load [[
    #include <pktlua/bpf.h>
    PKTLUA_ARRAY(slots, __u64, 4);
    SEC("tp/syscalls/sys_enter_getppid") int nop(void *ctx) { return 0; }
  ]]
  p.maps.slots[2] = 7
  metrics.counter("dc_slots_total", "Slots.", p.maps.slots, { labels = { "slot" } })
  print("serving " .. metrics.serve().address)
  bpf.after(0.2, function()
    p.maps.slots[2] = 8                   -- written after the drop
    for l in io.lines("/proc/self/status") do
      if l:find("^CapEff:") then print(l) end
    end
    io.stdout:flush()
  end)
  io.stdout:flush()
  bpf.run(20)' >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^CapEff:' "$tmp/log" && break; sleep 0.1; done
cat "$tmp/log"
addr=$(sed -n 's/^serving //p' "$tmp/log")
curl -sf "http://$addr/metrics" | grep '^dc_slots_total{slot="2"}' | sed 's/^/scraped after the drop: /'
kill -INT "$pid"; wait "$pid"; echo "status $?"; pid=
