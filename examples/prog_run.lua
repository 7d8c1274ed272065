-- prog_run.lua — try an XDP filter on hand-made packets, nothing attached
-- usage: pktlua examples/prog_run.lua
-- ci:
-- ci-expect: udp dport 53   -> XDP_DROP
--
-- prog:run() feeds bytes to a loaded program through BPF_PROG_TEST_RUN and
-- returns its verdict, the (possibly rewritten) bytes and the time it took.
local bpf = require "pktlua"

local p = bpf.load [[
#include <pktlua/xdp.h>

SEC("xdp")
int drop_dns(struct xdp_md *ctx)
{
	struct pkt pkt;
	if (pkt_parse(ctx, &pkt) < 0)
		return XDP_ABORTED;
	if (pkt.l4proto == IPPROTO_UDP && pkt.dport == 53)
		return XDP_DROP;
	return XDP_PASS;
}
]]

local function udp(dport)
  local eth = "\2\0\0\0\0\1\2\0\0\0\0\2\8\0"                       -- IPv4
  local ip = string.pack(">BBHHHBBH", 0x45, 0, 28, 0, 0, 64, 17, 0)
             .. string.char(198, 18, 0, 1, 198, 18, 0, 2)
  return eth .. ip .. string.pack(">HHHH", 40000, dport, 8, 0)
end

local names = { [0] = "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT" }
for _, port in ipairs { 53, 80, 443 } do
  local verdict, _, ns = p.progs.drop_dns:run(udp(port), { ["repeat"] = 1000 })
  print(("udp dport %-4d -> %-9s (%d ns per run)"):format(port, names[verdict], ns))
end
