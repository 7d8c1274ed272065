-- serve.lua — a map of N flows as one counter family, served for bench/metrics/run.sh.
-- usage: pktlua bench/metrics/serve.lua N [fn]   prints "serving ADDR" when ready
--   fn: decode the protocol with a Lua function (a call per series) instead of
--       the built-in decoders only
-- Each series has three labels: saddr (the "ip" decoder), dport, proto.
local bpf = require "pktlua"
local metrics = require "pktlua.metrics"
local n, fn = tonumber(arg[1]) or 10000, arg[2] == "fn"

local p = bpf.load [[
#include <pktlua/bpf.h>
struct flow { __be32 saddr; __u16 dport; __u8 proto; };
struct counts { __u64 packets; __u64 bytes; };
PKTLUA_HASH(flows, struct flow, struct counts, 65536);
SEC("tp/syscalls/sys_enter_getppid") int nop(void *ctx) { return 0; }
]]
local flows = p.maps.flows
for i = 0, n - 1 do
  -- 198.18.x.y, a port and a protocol: n distinct keys.
  flows[{ saddr = 0x12c6 | ((i >> 8) & 0xff) << 16 | (i & 0xff) << 24, dport = 1024 + i % 50000,
          proto = i % 2 == 0 and 6 or 17 }] = { packets = i, bytes = i * 100 }
end
local decode = { saddr = "ip" }
if fn then
  decode.proto = function(v) return v == 6 and "tcp" or "udp" end
end
metrics.counter("bench_packets_total", "Packets by flow.", flows,
  { value = "packets", decode = decode })
local srv = metrics.serve("127.0.0.1:0")
print("serving " .. srv.address)
io.stdout:flush()
bpf.run()
