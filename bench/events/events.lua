-- events.lua — pktlua side of the events benchmark: each record decoded to a
-- Lua table and counted in a Lua callback.
-- usage: pktlua bench/events/events.lua N [RING_BYTES [RATE]]   (run by run.sh)
local bpf = require "pktlua"

local N = assert(tonumber(arg[1]), "usage: events.lua N [RING_BYTES]")
local dir = arg[0]:match("^(.*)/") or "."
local src = assert(io.open(dir .. "/events.bpf.c")):read("a")
local p = bpf.load { src = src, defines = { RING_BYTES = tonumber(arg[2]) or 1 << 20 } }
p:attach()

local rate = arg[3] or ""
local got, first, last, cpu0 = 0, nil, nil, nil
bpf.on(p.maps.events, function(e)
  got = got + 1
  if got == 1 then first, cpu0 = e.ts, os.clock() end
  last = e.ts
  if got == N then bpf.stop() end
end, "struct event")

-- The producer runs beside the loop; "&" so os.execute returns at once.
bpf.after(0, function() os.execute(("%s/plgetppid %d %s &"):format(dir, N, rate)) end)
bpf.run(60)
bpf.run(0.2)                               -- the producer's last records
local cpu = os.clock() - (cpu0 or os.clock())
local lost = bpf.lost(p.maps.events)
local span = first and (last - first) / 1e9 or 0
-- rate: records delivered per second of the producer's run; capacity:
-- records per second of consumer CPU (its cost per record, inverted).
print(("pktlua: received %d lost %d of %d; rate %.2f M/s; consumer cpu %.3f s, capacity %.2f M/s"):format(
  got, lost, p.maps.produced[0], span > 0 and got / span / 1e6 or 0, cpu,
  cpu > 0 and got / cpu / 1e6 or 0))
