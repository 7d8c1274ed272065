#!/usr/bin/env pktlua
-- pktdump.lua — capture an interface's packets into a pcap file, a tcpdump expression filtering in the kernel
-- usage: pktlua -t pktdump [-h] [-w FILE] [-c COUNT] [-s SNAPLEN] [-d DIR] [--xdp]
--                          [-e C_FILTER] [--json] IFACE [EXPRESSION ...]
-- ci: lo -w /tmp/pktdump-ci.pcap
-- ci-expect: pktdump: capturing on lo
-- ci-expect: packets captured,
--
-- The BPF side is <pktlua/tcpdump.h>: the expression, compiled as tcpdump
-- compiles it for IFACE (filters = {want = {EXPRESSION, iface = IFACE}}),
-- runs in the kernel on the packet as tcpdump's own filter would see it, and
-- each match goes through a ring buffer, cut at SNAPLEN, the VLAN tag the
-- kernel keeps beside the frame put back. require "pktlua.capture" writes the
-- records into the file with wall-clock times. The count at exit goes to
-- stderr: "N packets captured, M dropped (ring full)".
-- `pktlua --filter EXPRESSION -i IFACE -w FILE` does the same from the
-- command line (and more: several interfaces, pcapng, printed lines).
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local capture = require "pktlua.capture"
local net = require "pktlua.net"

local t = tool.new {
  name = "pktdump",
  about = [[
Capture an interface's packets into a pcap file (-w), or print one line per
packet; a tcpdump expression (the words after IFACE) filters in the kernel.]],
  options = {
    { "-w", nil, "FILE", "write the packets to FILE (pcap, microsecond timestamps, as tcpdump -w)",
      key = "file" },
    { "-c", nil, "COUNT", "stop after COUNT packets (default: until Ctrl-C)", key = "count", type = "int",
      check = function(n) return n < 1 and "wants a positive count" or nil end },
    { "-s", nil, "SNAPLEN", "bytes kept of each packet, 1..262144", key = "snaplen", type = "int",
      default = 262144, check = function(n) return (n < 1 or n > 262144) and "wants 1..262144" or nil end },
    { "-d", "--direction", "DIR", "tc direction: in, out or both", type = { "in", "out", "both" },
      default = "both" },
    { nil, "--xdp", nil, "capture at XDP (generic mode) instead of tc: ingress only, and before "
      .. "the kernel's own stack sees the packet" },
    { "-e", nil, "C_FILTER", "a C boolean expression over `struct pkt pkt` (<pktlua/parse.h>), "
      .. "in addition to EXPRESSION", key = "c_filter" },
  },
  args = {
    { "IFACE", "the interface", key = "iface", required = true },
    { "EXPRESSION", "a tcpdump expression (its words are joined, as tcpdump does); default: every packet",
      key = "words", rest = true },
  },
  examples = {
    { "pktdump eth0 -w out.pcap", "tc ingress+egress into out.pcap, until Ctrl-C" },
    { "pktdump eth0 udp port 53 -c 100 -w dns.pcap", "100 DNS packets" },
    { "pktdump eth0 --xdp -s 1514 -w in.pcap", "at XDP (ingress only), 1514 bytes each" },
    { "pktdump eth0 -e 'pkt.l4proto == IPPROTO_UDP && pkt.dport == 53' -w dns.pcap", "a C filter" },
    { "pktdump eth0 tcp port 80", "print a line per packet, as tcpdump" },
    { "pktdump --json eth0 icmp | jq .", "one JSON object per packet" },
  },
  notes = [[
Without -w each packet is a line (time, interface, direction, what it is);
under --json an object {time, iface, direction, len, caplen, l3, proto, src,
dst, sport, dport, summary}, with -w too. The count at the end goes to
stderr: "N packets captured, M dropped (ring full)".]],
}
local o = t:parse(arg)
if o.xdp and o.direction == "out" then t:fail("--xdp captures ingress only") end
local expr = table.concat(o.words, " ")

-- The possible CPUs, as /sys/devices/system/cpu/possible lists them ("0-3,8"):
-- <pktlua/tcpdump.h> keeps a copy slot per CPU.
local function possible_cpus()
  local f = assert(io.open("/sys/devices/system/cpu/possible"))
  local list = f:read("l")
  f:close()
  local n = 0
  for a, b in list:gmatch("(%d+)%-?(%d*)") do
    n = math.max(n, tonumber(b ~= "" and b or a) + 1)
  end
  return n
end

-- Loopback: each packet passes egress, then ingress; capture it once (at
-- ingress), as libpcap does.
local function is_loopback(iface)
  local f = io.open("/sys/class/net/" .. iface .. "/type")
  local t = f and f:read("n")
  if f then f:close() end
  return t == 772
end

-- The C filter is compiled into the program: its diagnostics name "filter".
local c_filter = o.c_filter and ([[

static __always_inline int pktdump_c_match(struct pkt pkt)
{
#line 1 "filter"
	return (%s);
}
]]):format(o.c_filter) or ""

local p = bpf.load {
  name = "pktdump",
  filters = { pktdump_match = { expr, iface = o.iface, snaplen = o.snaplen } },
  defines = { PKTLUA_TCPDUMP_CPUS = possible_cpus(), SNAPLEN = o.snaplen,
              PKTDUMP_C_FILTER = o.c_filter and 1 or nil },
  src = [[
#include <pktlua/tcpdump.h>
#include <pktlua/xdp.h>
#include <pktlua/tc.h>

PKTLUA_RINGBUF(pktdump_ring, 8 << 20);
#ifdef PKTDUMP_C_FILTER
static __always_inline int pktdump_c_match(struct pkt pkt);
#define PKTDUMP_C_WANT(ctx) ({ struct pkt pkt_; pkt_parse((ctx), &pkt_) >= 0 && pktdump_c_match(pkt_); })
#else
#define PKTDUMP_C_WANT(ctx) 1
#endif

SEC("xdp")
int pktdump_xdp(struct xdp_md *ctx)
{
	if (PKTDUMP_C_WANT(ctx))
		pktlua_tcpdump_xdp(ctx, &pktdump_ring, pktdump_match, SNAPLEN);
	return XDP_PASS;
}

SEC("tc")
int pktdump_in(struct __sk_buff *skb)
{
	if (PKTDUMP_C_WANT(skb))
		pktlua_tcpdump_skb(skb, &pktdump_ring, pktdump_match, PKTLUA_TCPDUMP_IN, SNAPLEN);
	return TC_ACT_UNSPEC;   /* on to the next program, or the default: pass */
}

SEC("tc")
int pktdump_out(struct __sk_buff *skb)
{
	if (PKTDUMP_C_WANT(skb))
		pktlua_tcpdump_skb(skb, &pktdump_ring, pktdump_match, PKTLUA_TCPDUMP_OUT, SNAPLEN);
	return TC_ACT_UNSPEC;
}
]] .. c_filter }

local where
if o.xdp then
  p.progs.pktdump_xdp:attach { iface = o.iface, mode = "skb" }
  where = "xdp"
else
  local dirs = {}
  if o.direction ~= "out" then
    -- First at ingress (before other tc programs change the packet), last
    -- at egress (after them): where tcpdump's packet socket sees it.
    p.progs.pktdump_in:attach { iface = o.iface, direction = "ingress", first = true }
    dirs[#dirs + 1] = "in"
  end
  if o.direction ~= "in" and not is_loopback(o.iface) then
    p.progs.pktdump_out:attach { iface = o.iface, direction = "egress" }
    dirs[#dirs + 1] = "out"
  end
  where = "tc " .. (#dirs > 0 and table.concat(dirs, "+") or "nothing: loopback")
end

-- A packet as one JSON object (under --json) or one text line.
local function show(data, ts, len, rec)
  local d = net.decode(data)
  local dir = rec.dir == capture.OUT and "out" or "in"
  local summary = net.describe(d or data)
  if t:json() then
    local r = { time = ts / 1e9, iface = o.iface, direction = dir, len = len, caplen = #data, summary = summary }
    if d then
      r.l3 = net.ethertype(d.l3proto)
      if d.ip_version ~= 0 or d.l3proto == 0x0806 then
        local v6 = d.ip_version == 6
        r.src = v6 and net.ip6(d.saddr.v6) or net.ip4(d.saddr.v4)
        r.dst = v6 and net.ip6(d.daddr.v6) or net.ip4(d.daddr.v4)
      end
      if d.ip_version ~= 0 then r.proto = net.proto(d.l4proto) end
      if d.payload_off ~= 0 and (d.l4proto == 6 or d.l4proto == 17) then r.sport, r.dport = d.sport, d.dport end
    end
    io.stdout:write(require("pktlua.json").encode(r), "\n")
  else
    local us = math.floor(ts / 1000)
    io.stdout:write(("%s.%06d %s %-3s %s\n"):format(os.date("%H:%M:%S", us // 1000000),
      us % 1000000, o.iface, dir == "in" and "In" or "Out", summary))
  end
end

local h = capture.to_pcap(p, p.maps.pktdump_ring, o.file,
  { snaplen = o.snaplen, limit = o.count, records = "tcpdump",
    on_packet = (t:json() or not o.file) and show or nil })
t:note("pktdump: capturing on %s (%s), snaplen %d%s%s, %s", o.iface, where, o.snaplen,
  expr ~= "" and ", expression: " .. expr or "", o.c_filter and ", C filter: " .. o.c_filter or "",
  o.file and "to " .. o.file or "printing packets")

t:run { done = function()
  h.close()
  io.stdout:flush()
  io.stderr:write(("%d packet%s captured, %d dropped (ring full)\n"):format(
    h.count(), h.count() == 1 and "" or "s", h.lost()))
end }
