-- An XDP counter on lo counts the UDP packets sent to 127.0.0.1:PORT.
local bpf = require "pktlua"
local PORT, N = 39123, tonumber(arg[1]) or 10

local p = bpf.load{ src = [[
#include <pktlua/xdp.h>
PKTLUA_HASH(udp_by_port, __u16, __u64, 64);

SEC("xdp")
int count_udp(struct xdp_md *ctx)
{
	struct pkt pkt;
	if (pkt_parse(ctx, &pkt) < 0 || pkt.l4proto != IPPROTO_UDP)
		return XDP_PASS;
	if (pkt.dport == PORT)
		PKTLUA_ADD(udp_by_port, &pkt.dport, (__u64)1);
	return XDP_PASS;
}
]], defines = { PORT = PORT } }

local link = p.progs.count_udp:attach{ iface = "lo", mode = "skb" }
print(link)
-- bash's /dev/udp sends one datagram per redirection
assert(os.execute(("bash -c 'for i in $(seq %d); do echo x > /dev/udp/127.0.0.1/%d; done'")
  :format(N, PORT)))
print("udp=" .. (p.maps.udp_by_port[PORT] or 0))
link:detach()
