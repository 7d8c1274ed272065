-- pktlua_capture() into a one-page ring buffer that nobody drains while N
-- datagrams cross lo: what does not fit is counted, and written + lost = N.
local bpf = require "pktlua"
local capture = require "pktlua.capture"
local PORT, N, file = 39124, 100, assert(arg[1], "usage: capture_lost.lua OUT.pcap")

local p = bpf.load { defines = { PORT = PORT }, src = [[
#include <pktlua/tc.h>
#include <pktlua/capture.h>
PKTLUA_RINGBUF(small, 4096);
SEC("tc") int cap(struct __sk_buff *skb)
{
	struct pkt pkt;
	if (pkt_parse(skb, &pkt) >= 0 && pkt.l4proto == IPPROTO_UDP && pkt.dport == PORT)
		pktlua_capture(skb, &small);
	return TC_ACT_UNSPEC;
}
]] }
p.progs.cap:attach { iface = "lo", direction = "ingress" }
local h = capture.to_pcap(p, "small", file)
-- The loop is not running yet: the ring fills, then overflows.
assert(os.execute(("bash -c 'for i in $(seq %d); do echo x > /dev/udp/127.0.0.1/%d; done'")
  :format(N, PORT)))
bpf.run(0.3)
h.close()
print(("written=%d lost=%d total=%d"):format(h.count(), h.lost(), h.count() + h.lost()))
