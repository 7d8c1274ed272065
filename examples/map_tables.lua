-- map_tables.lua — BPF maps read and written as Lua tables
-- usage: pktlua examples/map_tables.lua
-- ci:
-- ci-expect: entries:	2	bytes in all:	15300
--
-- Keys and values convert through BTF: integers, char[N] strings, nested
-- structs as tables, arrays as sequences, per-CPU values as one per CPU.
local bpf = require "pktlua"
local map = require "pktlua.map"

local p = bpf.load [[
#include <pktlua/bpf.h>
struct flow { __u8 proto; __u16 port; };
struct stats { __u64 packets; __u64 bytes; char last_comm[16]; };
PKTLUA_HASH(flows, struct flow, struct stats, 64);
PKTLUA_PERCPU_ARRAY(per_cpu, __u64, 1);
]]
local flows = p.maps.flows

flows[{ proto = 6, port = 443 }] = { packets = 10, bytes = 15000, last_comm = "curl" }
flows[{ proto = 17, port = 53 }] = { packets = 4, bytes = 300, last_comm = "resolved" }

for flow, st in pairs(flows) do
  print(("proto %2d port %-4d: %3d packets %6d bytes (last: %s)")
    :format(flow.proto, flow.port, st.packets, st.bytes, st.last_comm))
end
print("entries:", #flows, "bytes in all:", map.sum(flows, "bytes"))

flows[{ proto = 17, port = 53 }] = nil           -- delete
print("after delete:", #flows)

p.maps.per_cpu[0] = 1                            -- one value: every CPU
print("per-CPU slot 0:", table.concat(p.maps.per_cpu[0], " "))

local ok, err = pcall(function() flows[{ proto = 300, port = 1 }] = {} end)
print("a bad key says why:", err)
