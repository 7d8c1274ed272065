-- gate.lua — a quiet link: drop every packet leaving IFACE while it runs
-- (tc egress, before the interface's other tc programs), for the live
-- capture cases: captures start and stop while nothing crosses, so none of
-- them sees a packet another missed (IPv6 router solicitations, neighbour
-- probes and MLD reports come on their own).
-- usage: pktlua tests/e2e/scripts/gate.lua IFACE   (until SIGTERM/SIGINT)
local bpf = require "pktlua"
local iface = assert(arg[1], "usage: gate.lua IFACE")

local p = bpf.load [[
#include <pktlua/tc.h>
SEC("tc") int shut(struct __sk_buff *skb)
{
	return TC_ACT_SHOT;
}
]]
p.progs.shut:attach { iface = iface, direction = "egress", first = true }
print("gate shut on " .. iface)
io.stdout:flush()
bpf.run()
