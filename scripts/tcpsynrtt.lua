#!/usr/bin/env pktlua
-- tcpsynrtt.lua — TCP handshake round-trip time per peer, from SYN and SYN-ACK packets
-- usage: pktlua -t tcpsynrtt [-h] [-r FILE] [-d in|out|both] [-s] IFACE
-- ci: -r samples/mixed.pcap lo
-- ci-expect: SERVER                                   HANDSHAKES    MIN(ms)    AVG(ms)    MAX(ms)
--
-- pktlua's own: a tc program sends each SYN and SYN-ACK with its time to
-- Lua, which pairs a SYN-ACK with the SYN it answers: the time between them
-- is the round trip to the server as seen where the packets are captured
-- (from the client's side: the network and the server's SYN handling).
-- -r FILE reads a capture, with the capture's own timestamps.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local net = require "pktlua.net"

local t = tool.new {
  name = "tcpsynrtt",
  about = "TCP handshake RTT (SYN to SYN-ACK) per connection and per server, from packets",
  options = {
    { "-r", "--read", "FILE", "read a capture file (pcap or pcapng) instead of watching IFACE" },
    { "-d", "--direction", "DIR", "tc direction: in, out or both", type = { "in", "out", "both" }, default = "both" },
    { "-s", "--summary", nil, "only the per-server summary, not each handshake" },
  },
  args = { { "iface", "the interface to watch", required = true } },
  examples = {
    { "tcpsynrtt eth0", "each handshake's RTT, and a summary per server at Ctrl-C" },
    { "tcpsynrtt -s eth0", "the summary only" },
    { "tcpsynrtt -r trace.pcap any", "from a capture" },
  },
  notes = [[
A retransmitted SYN restarts the clock (the RTT is from the last SYN). A SYN-ACK
with no SYN seen is not counted. Measured where the packets pass: on a client
host that is the full round trip; elsewhere, the part from that point on.]],
}
local o = t:parse(arg)

local syns, per = {}, {}
local out = t:columns {
  { "TIME", "%-12s", "time" },
  { "CLIENT", "%-28s", "client" },
  { "SERVER", "%-28s", "server" },
  { "RTT(ms)", "%8.3f", "rtt_ms" },
}
local function ep(a, port) return (a:find(":", 1, true) and "[%s]:%d" or "%s:%d"):format(a, port) end
local function fmt_time(ns)
  return os.date("%H:%M:%S", ns // 1000000000) .. (".%03d"):format(ns % 1000000000 // 1000000)
end

local function on_packet(ts, saddr, daddr, sport, dport, flags)
  if flags & 0x02 == 0 then return end                 -- SYN
  if flags & 0x10 == 0 then                             -- SYN: client -> server
    syns[("%s|%d|%s|%d"):format(saddr, sport, daddr, dport)] = ts
    return
  end
  local key = ("%s|%d|%s|%d"):format(daddr, dport, saddr, sport)   -- SYN-ACK: server -> client
  local sts = syns[key]
  if not sts then return end
  syns[key] = nil
  local rtt = ts - sts
  local s = per[saddr]
  if not s then
    s = { server = saddr, n = 0, sum = 0, min = math.huge, max = 0 }
    per[saddr] = s
  end
  s.n, s.sum = s.n + 1, s.sum + rtt
  if rtt < s.min then s.min = rtt end
  if rtt > s.max then s.max = rtt end
  if not o.summary then
    out:row { time = fmt_time(ts), client = ep(daddr, dport), server = ep(saddr, sport),
              rtt_ms = rtt / 1e6, rtt_us = rtt / 1e3, kind = "handshake" }
  end
end

local function summary()
  local rows = {}
  for _, s in pairs(per) do rows[#rows + 1] = s end
  table.sort(rows, function(a, b) return a.n > b.n or a.n == b.n and a.server < b.server end)
  if t:json() then
    for _, s in ipairs(rows) do
      require("pktlua.json").line { kind = "summary", server = s.server, handshakes = s.n,
        min_ms = s.min / 1e6, avg_ms = s.sum / s.n / 1e6, max_ms = s.max / 1e6 }
    end
    return
  end
  print()
  print(("%-40s %10s %10s %10s %10s"):format("SERVER", "HANDSHAKES", "MIN(ms)", "AVG(ms)", "MAX(ms)"))
  for _, s in ipairs(rows) do
    print(("%-40s %10d %10.3f %10.3f %10.3f"):format(s.server, s.n, s.min / 1e6, s.sum / s.n / 1e6, s.max / 1e6))
  end
end

if o.read then
  local pcap = require "pktlua.pcap"
  if not o.summary then out:header() end
  for pkt in pcap.read(o.read) do
    local d = net.decode(pkt.data)
    if d and d.l4proto == 6 then
      on_packet(pkt.ts_ns, net.ip(d.saddr), net.ip(d.daddr), d.sport, d.dport, d.tcp_flags)
    end
  end
  summary()
  return
end

local p = bpf.load { src = [[
#include <pktlua/tc.h>
#include <pktlua/events.h>

struct syn_ev { __u64 ts; union pkt_addr saddr, daddr; __u16 sport, dport; __u8 flags, ipv; };
PKTLUA_RINGBUF(events, 256 << 10);

SEC("tc") int syn(struct __sk_buff *skb)
{
	struct pkt pkt;
	if (pkt_parse(skb, &pkt) < 0 || pkt.l4proto != IPPROTO_TCP || !(pkt.tcp_flags & 0x02))
		return TC_ACT_OK;
	struct syn_ev e = { .ts = bpf_ktime_get_ns(), .saddr = pkt.saddr, .daddr = pkt.daddr,
			    .sport = pkt.sport, .dport = pkt.dport, .flags = pkt.tcp_flags,
			    .ipv = pkt.ip_version };
	pktlua_emit(&events, &e, sizeof(e));
	return TC_ACT_OK;
}
]] }

local offset = bpf.clock("realtime") - bpf.clock()
local HDR = "<I8c16c16I2I2BB"
bpf.on(p.maps.events, function(rec)
  local ts, sa, da, sport, dport, flags, ipv = HDR:unpack(rec)
  local function addr(b) return ipv == 6 and net.ip6(b) or net.ip4(b:sub(1, 4)) end
  on_packet(ts + offset, addr(sa), addr(da), sport, dport, flags)
end)

if o.direction ~= "out" then p.progs.syn:attach { iface = o.iface, direction = "ingress" } end
if o.direction ~= "in" then p.progs.syn:attach { iface = o.iface, direction = "egress" } end
if not o.summary then out:header() else t:say("Tracing handshakes on %s... Hit Ctrl-C to end.", o.iface) end
t:run { done = summary }
