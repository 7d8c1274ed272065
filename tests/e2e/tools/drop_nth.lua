-- drop_nth.lua — a test helper (not a tool): at tc ingress of IFACE, drop
-- every Nth TCP segment that carries data, so its sender must retransmit:
-- the loss tcpretrans's test needs when sch_netem is not available. (At
-- the sender's egress a drop is a local one: TCP sends the segment again
-- without counting a retransmit.)
--   pktlua tests/e2e/tools/drop_nth.lua IFACE N
local bpf = require "pktlua"
local iface, n = arg[1], tonumber(arg[2]) or 5
local p = bpf.load { src = [[
#include <pktlua/tc.h>
const volatile __u32 every = 5;
__u64 seen;
SEC("tc") int drop_nth(struct __sk_buff *skb)
{
	struct pkt pkt;
	if (pkt_parse(skb, &pkt) < 0 || pkt.l4proto != IPPROTO_TCP || !pkt.payload_off ||
	    pkt.l3off + pkt.ip_len <= pkt.payload_off)
		return TC_ACT_OK;
	return ++seen % every == 0 ? TC_ACT_SHOT : TC_ACT_OK;
}
]], globals = { every = n } }
p.progs.drop_nth:attach { iface = iface, direction = "ingress" }
print(("dropping every %dth data segment at %s ingress"):format(n, iface))
io.stdout:flush()
bpf.run()
