-- pktlua --pcap samples/mixed.pcap tests/e2e/scripts/pcap_offline.lua IFACE
-- Two XDP programs attached "to an interface" are bound to the capture:
-- bpf.run() replays it through both, timers fire, at_exit prints the maps.
local bpf = require "pktlua"

local p = bpf.load [[
#include <pktlua/xdp.h>
PKTLUA_ARRAY(seen, __u64, 2);

SEC("xdp") int count_all(struct xdp_md *ctx)
{
	__u32 k = 0;
	PKTLUA_ADD(seen, &k, (__u64)1);
	return XDP_PASS;
}

SEC("xdp") int drop_tcp(struct xdp_md *ctx)
{
	struct pkt pkt;
	__u32 k = 1;
	if (pkt_parse(ctx, &pkt) < 0 || pkt.l4proto != IPPROTO_TCP)
		return XDP_PASS;
	PKTLUA_ADD(seen, &k, (__u64)1);
	return XDP_DROP;
}
]]

local iface = arg[1] or "lo"
local a = p.progs.count_all:attach { iface = iface }
local b = p.progs.drop_tcp:attach { iface = iface }
print("link: " .. tostring(a))

-- A third program bound and detached before the run is not fed.
local c = p.progs.count_all:attach { iface = iface }
c:detach()
print("detached: " .. tostring(c))

local ticks = 0
bpf.every(0.001, function() ticks = ticks + 1 end)
bpf.after(0, function() print("timer fired") end)
bpf.at_exit(function()
  print("all=" .. p.maps.seen[0] .. " tcp=" .. p.maps.seen[1])
  print("ticked=" .. tostring(ticks > 0))
end)
print("run: " .. bpf.run())
print("again: " .. bpf.run())
