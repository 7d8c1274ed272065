-- metrics_prom.lua — a script for Prometheus to scrape (metrics_prometheus.sh):
-- map entries the script writes itself, packets and bytes a tc program counts
-- on IFACE by protocol and port, a histogram, a function and a timer's ticks.
-- usage: pktlua metrics_prom.lua IFACE [ADDR]     prints "serving ADDR" when ready
local bpf = require "pktlua"
local metrics = require "pktlua.metrics"
local net = require "pktlua.net"
local iface, addr = arg[1], arg[2] or "127.0.0.1:0"

local p = bpf.load [[
#include <pktlua/tc.h>
#include <pktlua/hist.h>

struct pkey { __u8 proto; __u16 dport; };
struct pval { __u64 packets; __u64 bytes; };
struct wkey { char name[8]; __u32 id; };

PKTLUA_HASH(pkts, struct pkey, struct pval, 1024);
PKTLUA_HASH(written, struct wkey, __u64, 64);
PKTLUA_HIST(lat);
PKTLUA_LHIST(sizes, 0, 1000, 100);

SEC("tc") int count(struct __sk_buff *skb)
{
	struct pkt pkt;
	if (pkt_parse(skb, &pkt) < 0 || pkt.ip_version != 4)
		return TC_ACT_OK;
	struct pkey k = { .proto = pkt.l4proto, .dport = pkt.dport };
	struct pval *v = bpf_map_lookup_elem(&pkts, &k);
	if (v) {
		__sync_fetch_and_add(&v->packets, 1);
		__sync_fetch_and_add(&v->bytes, skb->len);
	} else {
		struct pval init = { 1, skb->len };
		bpf_map_update_elem(&pkts, &k, &init, BPF_NOEXIST);
	}
	PKTLUA_LHIST_ADD(sizes, skb->len, 0, 1000, 100);
	return TC_ACT_OK;
}
]]
p.progs.count:attach { iface = iface, direction = "ingress" }

-- What the script writes: exact values for the test to find in Prometheus.
p.maps.written[{ name = "alpha", id = 1 }] = 11
p.maps.written[{ name = "beta", id = 2 }] = 22
p.maps.lat[1], p.maps.lat[3], p.maps.lat[11] = 3, 4, 5   -- 0, [2,4), [512,1024) ns

metrics.counter("pl_test_packets_total", "Packets into the interface.", p.maps.pkts,
  { value = "packets", decode = { proto = function(n) return net.proto(n) end } })
metrics.counter("pl_test_bytes_total", "Bytes into the interface.", p.maps.pkts,
  { value = "bytes", decode = { proto = function(n) return net.proto(n) end } })
metrics.gauge("pl_test_written", "Entries the script wrote.", p.maps.written)
metrics.histogram("pl_test_latency_seconds", "A histogram the script wrote.", p.maps.lat,
  { scale = 1e-9 })
metrics.histogram("pl_test_packet_bytes", "Packet sizes.", p.maps.sizes,
  { min = 0, max = 1000, step = 100 })
metrics.gauge("pl_test_answer", "A function.", function() return 42 end)
local ticks = 0
bpf.every(0.05, function() ticks = ticks + 1 end)
metrics.gauge("pl_test_ticks", "Timer ticks so far: the loop runs between scrapes.",
  function() return ticks end)

local srv = metrics.serve { addr = addr, prog_stats = true }
print("serving " .. srv.address)
io.stdout:flush()
bpf.run()
