#!/usr/bin/env pktlua
-- dnssnoop.lua — DNS queries and answers seen on an interface (or in a capture), with latency
-- usage: pktlua -t dnssnoop [-h] [-r FILE] [-d in|out|both] [-p PORT] [-Q] IFACE
-- ci: -r samples/mixed.pcap lo
-- ci-expect: 18975 A      api.bench.example.             NOERROR     1.570 198.18.1.1
--
-- pktlua's own: a tc program copies UDP port 53 packets (up to 512 bytes of
-- DNS) to a ring buffer with their time; Lua decodes the DNS message and
-- pairs each response with its query (client, port, ID) for the latency.
-- -r FILE reads a capture instead, with the capture's own timestamps.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local net = require "pktlua.net"

local t = tool.new {
  name = "dnssnoop",
  about = "Trace DNS queries and responses from packets, with the response latency",
  options = {
    { "-r", "--read", "FILE", "read a capture file (pcap or pcapng) instead of watching IFACE" },
    { "-d", "--direction", "DIR", "tc direction: in, out or both", type = { "in", "out", "both" }, default = "both" },
    { "-p", "--port", "PORT", "the DNS port", type = "int", default = 53 },
    { "-Q", "--queries", nil, "also print queries as they go out (default: responses only)" },
  },
  args = { { "iface", "the interface to watch", required = true } },
  examples = {
    { "dnssnoop eth0", "DNS answers on eth0 with their latency" },
    { "dnssnoop -Q eth0", "queries too" },
    { "dnssnoop -r dns.pcap any", "from a capture" },
    { "dnssnoop --json eth0 | jq .qname", "names asked, as JSON" },
  },
  notes = [[
UDP only (not DNS over TCP or TLS). A response with no query seen shows LAT(ms)
as "-". Names are printed as they appear in the message (with the final dot).]],
}
local o = t:parse(arg)

local qtypes = { [1] = "A", [2] = "NS", [5] = "CNAME", [6] = "SOA", [12] = "PTR", [15] = "MX",
  [16] = "TXT", [28] = "AAAA", [33] = "SRV", [64] = "SVCB", [65] = "HTTPS", [255] = "ANY" }
local rcodes = { [0] = "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" }

-- A DNS name at 1-based offset I of message M: name, offset after it.
local function read_name(m, i, depth)
  local labels, after = {}, nil
  depth = depth or 0
  while true do
    local len = m:byte(i)
    if not len then return nil end
    if len == 0 then
      after = after or i + 1
      break
    elseif len & 0xc0 == 0xc0 then
      local lo = m:byte(i + 1)
      if not lo or depth > 10 then return nil end
      after = after or i + 2
      local rest = read_name(m, ((len & 0x3f) << 8 | lo) + 1, depth + 1)
      if not rest then return nil end
      if rest ~= "." then labels[#labels + 1] = rest:sub(1, -2) end
      break
    else
      labels[#labels + 1] = m:sub(i + 1, i + len)
      i = i + 1 + len
    end
  end
  return table.concat(labels, ".") .. ".", after
end

local function decode(m)
  if #m < 12 then return nil end
  local id, flags, qd, an = string.unpack(">I2I2I2I2", m)
  local d = { id = id, response = flags & 0x8000 ~= 0, rcode = rcodes[flags & 0xf] or tostring(flags & 0xf),
              answers = {} }
  local i = 13
  if qd > 0 then
    local name, after = read_name(m, i)
    if not name or after + 3 > #m then return d end
    d.qname = name
    d.qtype = qtypes[string.unpack(">I2", m, after)] or tostring(string.unpack(">I2", m, after))
    i = after + 4
  end
  for _ = 1, math.min(an, 32) do
    local _, after = read_name(m, i)
    if not after or after + 9 > #m then break end
    local atype, _, _, rdlen = string.unpack(">I2I2I4I2", m, after)
    local rd = after + 10
    if rd + rdlen - 1 > #m then break end
    if atype == 1 and rdlen == 4 then
      d.answers[#d.answers + 1] = net.ip4(m:sub(rd, rd + 3))
    elseif atype == 28 and rdlen == 16 then
      d.answers[#d.answers + 1] = net.ip6(m:sub(rd, rd + 15))
    elseif atype == 5 or atype == 12 then
      d.answers[#d.answers + 1] = (read_name(m, rd)) or "?"
    end
    i = rd + rdlen
  end
  return d
end

local out = t:columns {
  { "TIME", "%-12s", "time" },
  { "CLIENT", "%-22s", "client" },
  { "SERVER", "%-22s", "server" },
  { "ID", "%-5d", "id" },
  { "TYPE", "%-6s", "qtype" },
  { "QNAME", "%-30s", "qname" },
  { "RCODE", "%-8s", "rcode" },
  { "LAT(ms)", "%8.3f", "lat_ms" },
  { "ANSWERS", "%s", "answers", fn = function(a) return #a > 0 and table.concat(a, ",") or "-" end },
}

local pending, nq, nr = {}, 0, 0
-- One DNS packet: its time (ns), addresses, ports and the DNS message.
local function on_packet(ts, saddr, daddr, sport, dport, msg)
  local d = decode(msg)
  if not d then return end
  local function ep(a, port) return (a:find(":", 1, true) and "[%s]:%d" or "%s:%d"):format(a, port) end
  if not d.response then
    nq = nq + 1
    pending[("%s|%d|%d"):format(saddr, sport, d.id)] = ts
    if o.queries then
      out:row { time = ts, client = ep(saddr, sport), server = ep(daddr, dport), id = d.id,
                qtype = d.qtype or "-", qname = d.qname or "-", rcode = "query", answers = {},
                kind = "query" }
    end
    return
  end
  nr = nr + 1
  local key = ("%s|%d|%d"):format(daddr, dport, d.id)
  local qts = pending[key]
  pending[key] = nil
  out:row { time = ts, client = ep(daddr, dport), server = ep(saddr, sport), id = d.id,
            qtype = d.qtype or "-", qname = d.qname or "-", rcode = d.rcode, answers = d.answers,
            lat_ms = qts and (ts - qts) / 1e6 or nil, kind = "response" }
end

local function fmt_time(ns)
  return os.date("%H:%M:%S", ns // 1000000000) .. (".%03d"):format(ns % 1000000000 // 1000000)
end
-- The time column shows wall-clock time; JSON keeps it too, as text.
local row = out.row
function out:row(r) r.time = fmt_time(r.time); return row(self, r) end

if o.read then
  local pcap = require "pktlua.pcap"
  out:header()
  for pkt in pcap.read(o.read) do
    local d = net.decode(pkt.data)
    if d and d.l4proto == 17 and (d.sport == o.port or d.dport == o.port) and d.payload_off > 0 then
      on_packet(pkt.ts_ns, net.ip(d.saddr), net.ip(d.daddr), d.sport, d.dport, pkt.data:sub(d.payload_off + 1))
    end
  end
  t:say("%d queries, %d responses", nq, nr)
  return
end

local p = bpf.load { src = [[
#include <pktlua/tc.h>
#include <pktlua/events.h>

const volatile __u16 dns_port = 53;
#define DNS_MAX 512
struct dns_ev {
	__u64 ts;
	union pkt_addr saddr, daddr;
	__u16 sport, dport, len;
	__u8 ipv, pad;
	__u8 data[DNS_MAX];
};
PKTLUA_RINGBUF(events, 1 << 20);
PKTLUA_HASH(heap, __u32, struct dns_ev, 1);

SEC("tc") int dns(struct __sk_buff *skb)
{
	struct pkt pkt;
	if (pkt_parse(skb, &pkt) < 0 || pkt.l4proto != IPPROTO_UDP || !pkt.payload_off)
		return TC_ACT_OK;
	if (pkt.sport != dns_port && pkt.dport != dns_port)
		return TC_ACT_OK;
	if (skb->len <= pkt.payload_off)
		return TC_ACT_OK;
	/* Why m + 1: the verifier must see a length in [1, DNS_MAX]. */
	__u32 m = skb->len - pkt.payload_off - 1;
	if (m > DNS_MAX - 1)
		m = DNS_MAX - 1;
	struct dns_ev *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		pktlua__count_lost(&events);
		return TC_ACT_OK;
	}
	e->ts = bpf_ktime_get_ns();
	e->saddr = pkt.saddr;
	e->daddr = pkt.daddr;
	e->sport = pkt.sport;
	e->dport = pkt.dport;
	e->len = m + 1;
	e->ipv = pkt.ip_version;
	if (bpf_skb_load_bytes(skb, pkt.payload_off, e->data, m + 1) < 0) {
		bpf_ringbuf_discard(e, 0);
		return TC_ACT_OK;
	}
	bpf_ringbuf_submit(e, 0);
	return TC_ACT_OK;
}
]], globals = { dns_port = o.port } }

local offset = bpf.clock("realtime") - bpf.clock()
local HDR = "<I8c16c16I2I2I2BB"
bpf.on(p.maps.events, function(rec)
  local ts, sa, da, sport, dport, len, ipv, _, off = HDR:unpack(rec)
  local function addr(b) return ipv == 6 and net.ip6(b) or net.ip4(b:sub(1, 4)) end
  on_packet(ts + offset, addr(sa), addr(da), sport, dport, rec:sub(off, off + len - 1))
end)

if o.direction ~= "out" then p.progs.dns:attach { iface = o.iface, direction = "ingress" } end
if o.direction ~= "in" then p.progs.dns:attach { iface = o.iface, direction = "egress" } end
out:header()
t:run { done = function() t:say("%d queries, %d responses", nq, nr) end }
