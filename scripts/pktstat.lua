#!/usr/bin/env pktlua
-- pktstat.lua — packets and bytes per protocol, and the top talkers
-- usage: pktlua -t pktstat [-h] [--json] [FILE.pcap|IFACE] [SECONDS] [N]
--        a capture file is replayed through the XDP program (default: the
--        bundled samples/mixed.pcap); an interface is watched live until
--        Ctrl-C or SECONDS; N talkers are listed (default 10)
-- ci: samples/mixed.pcap
-- ci-expect: ipv4/tcp
--
-- The same XDP program serves both: offline, pcap.replay() runs each packet
-- through it with BPF_PROG_TEST_RUN, so its maps fill as they would live.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local pcap = require "pktlua.pcap"
local net = require "pktlua.net"
local map = require "pktlua.map"

local t = tool.new {
  name = "pktstat",
  about = [[
Packets and bytes per protocol, and the top N talkers (default 10) by source.
A capture file (pcap or pcapng; default: the bundled samples/mixed.pcap) is
replayed through the XDP program; an interface is watched live (XDP, skb
mode) until Ctrl-C or SECONDS.]],
  args = {
    { "FILE.pcap|IFACE", "a capture file to replay, or an interface to watch", key = "target" },
    { "SECONDS", "with an interface: stop after SECONDS (default: Ctrl-C)", key = "duration", type = "number" },
    { "N", "talkers to list (default 10)", key = "top", type = "int" },
  },
  examples = {
    { "pktstat", "the bundled capture" },
    { "pktstat trace.pcap", "a capture of yours" },
    { "pktstat eth0 10 5", "eth0 live for 10 s, top 5 talkers" },
    { "pktstat --json trace.pcap | jq .", "one JSON object per row" },
  },
  notes = [[
Under --json each protocol is {"type":"protocol","protocol":,"packets":,"bytes":}
and each talker {"type":"talker","source":,"packets":,"bytes":}; the replay's
summary goes to stderr.]],
}
local o = t:parse(arg)

-- The bundled capture lives in samples/, beside scripts/.
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
local root = dir == "scripts" and "." or dir:gsub("/scripts$", "")
if root == dir then root = dir .. "/.." end
local target = o.target or ((root == "." and "" or root .. "/") .. "samples/mixed.pcap")
local ntop = o.top or 10

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

local by_proto = t:columns { { "PROTOCOL", "%-16s", "protocol" }, { "PACKETS", "%10d", "packets" },
  { "BYTES", "%12d", "bytes" } }
local by_source = t:columns { { "TOP TALKERS (source)", "%-40s", "source" }, { "PACKETS", "%10d", "packets" },
  { "BYTES", "%12d", "bytes" } }

-- A blank line between the text's parts (none in JSON).
local function gap()
  if not t:json() then t:say("") end
end

local function report()
  local rows = {}
  for k, c in pairs(p.maps.by_proto) do
    rows[#rows + 1] = { protocol = proto_name(k), packets = c.packets, bytes = c.bytes }
  end
  table.sort(rows, function(a, b) return a.bytes > b.bytes end)
  if not t:json() then by_proto:header() end
  for _, r in ipairs(rows) do by_proto:row(r, { type = "protocol" }) end
  gap()
  if not t:json() then by_source:header() end
  for _, e in ipairs(map.top(p.maps.by_source, ntop, "bytes")) do
    by_source:row({ source = net.ip(e[1]), packets = e[2].packets, bytes = e[2].bytes }, { type = "talker" })
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
  t:say("%s: %d packets replayed through XDP (%s)%s", target, r.packets,
    table.concat(verdicts, ", "), r.errors > 0 and (", " .. r.errors .. " not fed") or "")
  gap()
  report()
  io.stdout:flush()
else
  p.progs.pktstat:attach { iface = target }
  t:say("Watching %s... Hit Ctrl-C to end.", target)
  t:run { done = report }
end
