#!/usr/bin/env pktlua
-- pktstat.lua — packets and bytes per protocol, and the top talkers
-- usage: pktlua scripts/pktstat.lua [FILE.pcap | IFACE] [SECONDS] [N]
--        a capture file is replayed through the XDP program (default: the
--        bundled samples/mixed.pcap); an interface is watched live until
--        Ctrl-C or SECONDS; N talkers are listed (default 10)
-- ci: samples/mixed.pcap
-- ci-expect: ipv4/tcp
--
-- The same XDP program serves both: offline, pcap.replay() runs each packet
-- through it with BPF_PROG_TEST_RUN, so its maps fill as they would live.
if arg[1] == "-h" or arg[1] == "--help" then
  print([[
usage: pktlua -t pktstat [FILE.pcap | IFACE] [SECONDS] [N]
Packets and bytes per protocol, and the top N talkers (default 10) by source.
A capture file (pcap or pcapng; default: the bundled samples/mixed.pcap) is
replayed through the XDP program; an interface is watched live (XDP, skb
mode) until Ctrl-C or SECONDS.

examples:
    pktlua -t pktstat                    # the bundled capture
    pktlua -t pktstat trace.pcap         # a capture of yours
    pktlua -t pktstat eth0 10 5          # eth0 live for 10 s, top 5 talkers]])
  return
end

local bpf = require "pktlua"
local pcap = require "pktlua.pcap"
local net = require "pktlua.net"
local map = require "pktlua.map"

-- The bundled capture lives in samples/, beside scripts/.
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
local root = dir == "scripts" and "." or dir:gsub("/scripts$", "")
if root == dir then root = dir .. "/.." end
local target = arg[1] or ((root == "." and "" or root .. "/") .. "samples/mixed.pcap")
local seconds = tonumber(arg[2])
local ntop = tonumber(arg[3]) or 10

local p = bpf.load [[
#include <pktlua/xdp.h>

struct proto_key { __u16 l3proto; __u8 l4proto; };
struct counts { __u64 packets; __u64 bytes; };
PKTLUA_HASH(by_proto, struct proto_key, struct counts, 256);
PKTLUA_HASH(by_source, union pkt_addr, struct counts, 65536);

static __always_inline void count(void *map, void *key, __u64 len)
{
	struct counts *c = bpf_map_lookup_elem(map, key);
	if (!c) {
		struct counts zero = {};
		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(map, key);
		if (!c)
			return;
	}
	__sync_fetch_and_add(&c->packets, 1);
	__sync_fetch_and_add(&c->bytes, len);
}

SEC("xdp")
int pktstat(struct xdp_md *ctx)
{
	struct pkt pkt;
	if (pkt_parse(ctx, &pkt) < 0)
		return XDP_PASS;
	struct proto_key k;
	__builtin_memset(&k, 0, sizeof(k));   /* the padding byte is part of the key */
	k.l3proto = pkt.l3proto;
	k.l4proto = pkt.l4proto;
	count(&by_proto, &k, pkt.len);
	if (pkt.ip_version || pkt.l3proto == ETH_P_ARP)
		count(&by_source, &pkt.saddr, pkt.len);
	return XDP_PASS;
}
]]

local function proto_name(k)
  local l3 = net.ethertype(k.l3proto)
  if k.l4proto == 0 and l3 ~= "ipv6" then return l3 end
  return l3 .. "/" .. net.proto(k.l4proto)
end

local function report()
  local rows = {}
  for k, c in pairs(p.maps.by_proto) do rows[#rows + 1] = { proto_name(k), c } end
  table.sort(rows, function(a, b) return a[2].bytes > b[2].bytes end)
  print(("%-16s %10s %12s"):format("PROTOCOL", "PACKETS", "BYTES"))
  for _, r in ipairs(rows) do
    print(("%-16s %10d %12d"):format(r[1], r[2].packets, r[2].bytes))
  end
  print()
  print(("%-40s %10s %12s"):format("TOP TALKERS (source)", "PACKETS", "BYTES"))
  for _, e in ipairs(map.top(p.maps.by_source, ntop, "bytes")) do
    print(("%-40s %10d %12d"):format(net.ip(e[1]), e[2].packets, e[2].bytes))
  end
end

local f = io.open(target, "rb")
if f then
  f:close()
  local r = pcap.replay(p.progs.pktstat, target)
  local verdicts = {}
  for name, n in pairs(r) do
    if name:match("^XDP_") then verdicts[#verdicts + 1] = name .. " " .. n end
  end
  table.sort(verdicts)
  print(("%s: %d packets replayed through XDP (%s)%s"):format(target, r.packets,
    table.concat(verdicts, ", "), r.errors > 0 and (", " .. r.errors .. " not fed") or ""))
  print()
  report()
else
  p.progs.pktstat:attach { iface = target }
  bpf.at_exit(report)
  bpf.run(seconds)
end
