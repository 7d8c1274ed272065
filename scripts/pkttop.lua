#!/usr/bin/env pktlua
-- pkttop.lua — live top talkers of an interface, refreshed every interval
-- usage: pktlua -t pkttop [-h] [-i INTERVAL] [-n ROWS] [-k flow|src|dst|proto] [-d in|out|both]
--                         [--xdp] [-C] [-r FILE] IFACE [count]
-- ci: -r samples/mixed.pcap -n 3 lo
-- ci-expect: SRC                                      DST                                      PROTO    PACKETS      BYTES     KBIT/S
--
-- pktlua's own (iftop-like; no BCC or bpftrace tool): a tc program (or
-- XDP with --xdp) parses each packet with <pktlua/parse.h> and counts
-- packets and bytes per flow; every interval the top rows are printed and
-- the counts start again. -r FILE replays a capture through the same
-- program instead (as does pktlua --pcap FILE -t pkttop IFACE).
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local net = require "pktlua.net"
local pcap = require "pktlua.pcap"

local t = tool.new {
  name = "pkttop",
  about = "Top talkers of an interface (packets, bytes, rate), live or from a capture",
  options = {
    { "-i", "--interval", "INTERVAL", "seconds between refreshes", type = "number", default = 1 },
    { "-n", "--rows", "ROWS", "rows to print", type = "int", default = 20 },
    { "-k", "--key", "KEY", "what a row is: flow, src, dst or proto", type = { "flow", "src", "dst", "proto" },
      default = "flow" },
    { "-d", "--direction", "DIR", "tc direction: in, out or both", type = { "in", "out", "both" },
      default = "both" },
    { nil, "--xdp", nil, "count at XDP (generic mode; ingress only) instead of tc" },
    { "-C", "--noclear", nil, "don't clear the screen between refreshes" },
    { "-s", "--sort", "SORT", "sort by bytes or packets", type = { "bytes", "packets" }, default = "bytes" },
    { "-r", "--read", "FILE", "replay a capture file (pcap or pcapng) instead of watching IFACE live" },
  },
  args = {
    { "iface", "the interface (with -r: only names the program's attach point)", required = true },
    { "count", "number of refreshes", type = "int" },
  },
  examples = {
    { "pkttop eth0", "top flows on eth0, refreshed every second" },
    { "pkttop -k src -n 10 eth0", "top 10 sources" },
    { "pkttop -d in -i 5 eth0", "ingress only, 5 second refreshes" },
    { "pkttop --xdp eth0", "count at XDP" },
    { "pkttop -r trace.pcap -k proto eth0", "protocols of a capture" },
    { "pkttop --json -C eth0 | jq .", "rows as JSON lines" },
  },
  notes = [[
BYTES are wire lengths as the program sees them (the Ethernet frame). Under
--json every row is a line with the interval's time; the screen is not cleared.]],
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tc.h>
#include <pktlua/xdp.h>

struct flow {
	union pkt_addr saddr, daddr;
	__u16 sport, dport, l3proto;
	__u8 l4proto, pad;
};
struct counts { __u64 packets, bytes; };
PKTLUA_LRU_HASH(flows, struct flow, struct counts, 65536);

static __always_inline void account(struct pkt *pkt, __u64 len)
{
	struct flow f;
	__builtin_memset(&f, 0, sizeof(f));
	f.saddr = pkt->saddr;
	f.daddr = pkt->daddr;
	f.l3proto = pkt->l3proto;
	f.l4proto = pkt->l4proto;
	if (pkt->l4proto == IPPROTO_TCP || pkt->l4proto == IPPROTO_UDP) {
		f.sport = pkt->sport;
		f.dport = pkt->dport;
	}
	struct counts *c = bpf_map_lookup_elem(&flows, &f);
	if (!c) {
		struct counts zero = {};
		bpf_map_update_elem(&flows, &f, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&flows, &f);
		if (!c)
			return;
	}
	__sync_fetch_and_add(&c->packets, 1);
	__sync_fetch_and_add(&c->bytes, len);
}

SEC("tc") int count_tc(struct __sk_buff *skb)
{
	struct pkt pkt;
	if (pkt_parse(skb, &pkt) >= 0)
		account(&pkt, skb->len);
	return TC_ACT_OK;
}

SEC("xdp") int count_xdp(struct xdp_md *ctx)
{
	struct pkt pkt;
	if (pkt_parse(ctx, &pkt) >= 0)
		account(&pkt, pkt.len);
	return XDP_PASS;
}
]] }

local function proto_name(k)
  local l3 = net.ethertype(k.l3proto)
  if k.l4proto == 0 then return l3 end
  return net.proto(k.l4proto)
end
local function endpoint(addr, port, k)
  local a = net.ip(addr)
  if k.l4proto == 6 or k.l4proto == 17 then
    return (a:find(":", 1, true) and "[%s]:%d" or "%s:%d"):format(a, port)
  end
  return a
end

local last = bpf.clock()
local function rows_of()
  local agg = {}
  for k, c in pairs(p.maps.flows) do
    local key, r
    if o.key == "flow" then
      key = { src = endpoint(k.saddr, k.sport, k), dst = endpoint(k.daddr, k.dport, k), proto = proto_name(k) }
    elseif o.key == "src" then
      key = { src = net.ip(k.saddr) }
    elseif o.key == "dst" then
      key = { dst = net.ip(k.daddr) }
    else
      key = { proto = proto_name(k) }
    end
    local id = (key.src or "") .. "|" .. (key.dst or "") .. "|" .. (key.proto or "")
    r = agg[id]
    if not r then
      r = key
      r.packets, r.bytes = 0, 0
      agg[id] = r
    end
    r.packets = r.packets + c.packets
    r.bytes = r.bytes + c.bytes
  end
  local rows = {}
  for _, r in pairs(agg) do rows[#rows + 1] = r end
  table.sort(rows, function(a, b)
    if a[o.sort] ~= b[o.sort] then return a[o.sort] > b[o.sort] end
    return (a.src or a.dst or a.proto or "") < (b.src or b.dst or b.proto or "")
  end)
  return rows
end

local cols = {
  flow = { { "SRC", "%-40s", "src" }, { "DST", "%-40s", "dst" }, { "PROTO", "%-6s", "proto" } },
  src = { { "SRC", "%-40s", "src" } },
  dst = { { "DST", "%-40s", "dst" } },
  proto = { { "PROTO", "%-10s", "proto" } },
}
local list = {}
for _, c in ipairs(cols[o.key]) do list[#list + 1] = c end
for _, c in ipairs { { "PACKETS", "%9d", "packets" }, { "BYTES", "%10d", "bytes" }, { "KBIT/S", "%10.1f", "kbps" } } do
  list[#list + 1] = c
end
local out = t:columns(list)

local function report(final_replay)
  local now = bpf.clock()
  local secs = math.max((now - last) / 1e9, 1e-9)
  last = now
  local rows = rows_of()
  require("pktlua.map").clear(p.maps.flows)
  local tp, tb = 0, 0
  for _, r in ipairs(rows) do tp = tp + r.packets; tb = tb + r.bytes end
  if t:json() then
    for i = 1, math.min(#rows, o.rows) do
      local r = rows[i]
      r.kbps = not final_replay and r.bytes * 8 / 1000 / secs or nil
      r.time = os.date("%H:%M:%S")
      out:row(r)
    end
    return
  end
  if not o.noclear and not final_replay then io.write("\27[H\27[2J") end
  if final_replay then
    print(("%s: %d packets, %d bytes"):format(o.read, tp, tb))
  else
    print(("%s  %s: %d packets, %d bytes in %.1f s (%.1f kbit/s)"):format(os.date("%H:%M:%S"),
      o.iface, tp, tb, secs, tb * 8 / 1000 / secs))
  end
  print()
  out:header()
  for i = 1, math.min(#rows, o.rows) do
    local r = rows[i]
    r.kbps = not final_replay and r.bytes * 8 / 1000 / secs or nil
    out:row(r)
  end
  if o.noclear or final_replay then print() end
end

if o.read then
  local res = pcap.replay(p.progs.count_tc, o.read)
  io.stderr:write(("%s: %d packets replayed\n"):format(o.read, res.packets))
  report(true)
  return
end
if o.xdp then
  p.progs.count_xdp:attach { iface = o.iface, mode = "skb" }
else
  if o.direction ~= "out" then p.progs.count_tc:attach { iface = o.iface, direction = "ingress" } end
  if o.direction ~= "in" then p.progs.count_tc:attach { iface = o.iface, direction = "egress" } end
end
t:say("Watching %s... Hit Ctrl-C to end.", o.iface)
local why = t:run { interval = o.interval, count = o.count, tick = report }
if why == "eof" then report() end
