-- xdp_filters.lua — tcpdump expressions as C functions inside an XDP program
-- usage: pktlua examples/xdp_filters.lua [file.pcap]
-- ci:
-- ci-expect: dns 48
-- ci-expect: web 150
--
-- filters = {NAME = "expression"} compiles each expression with libpcap
-- (as tcpdump would) and turns its classic BPF into a C function
-- `static int NAME(const void *data, const void *data_end)` the snippet
-- calls: non-zero on a match. Here two of them count packets of a capture
-- replayed through the program (pcap.replay); on a live interface the same
-- program would be attached with p.progs.count:attach{iface = "eth0"}.
local bpf = require "pktlua"
local pcap = require "pktlua.pcap"

local p = bpf.load { filters = { dns = "udp port 53", web = "tcp dst port 80 or tcp dst port 443" }, src = [[
#include <pktlua/xdp.h>
PKTLUA_ARRAY(hits, __u64, 2);

SEC("xdp")
int count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u32 i = dns(data, data_end) ? 0 : web(data, data_end) ? 1 : 2;
	__u64 *v = bpf_map_lookup_elem(&hits, &i);
	if (v)
		__sync_fetch_and_add(v, 1);
	return XDP_PASS;
}
]] }

-- The classic BPF behind one of them, as libpcap made it:
print(("udp port 53 is %d classic BPF instructions"):format(#pcap.compile("udp port 53")))

pcap.replay(p.progs.count, arg[1] or "samples/mixed.pcap")
print("dns " .. p.maps.hits[0])
print("web " .. p.maps.hits[1])
