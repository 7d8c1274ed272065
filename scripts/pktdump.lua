#!/usr/bin/env pktlua
-- pktdump.lua — capture an interface's packets into a pcap file (a minimal xdpdump / tcpdump -w)
-- usage: pktlua scripts/pktdump.lua IFACE [FILTER] -w FILE [-c COUNT] [-s SNAPLEN]
--                                   [-d in|out|both] [--xdp] [-e FILTER]
--        FILTER: a C boolean expression over `struct pkt pkt` (runtime/pktlua/parse.h),
--                e.g. 'pkt.l4proto == IPPROTO_UDP && pkt.dport == 53'
--        -w FILE   the pcap file to write (microsecond timestamps, like tcpdump -w)
--        -c COUNT  stop after COUNT packets (default: until Ctrl-C)
--        -s SNAPLEN bytes kept of each packet, 1..65535 (default 256)
--        -d DIR    tc direction: in, out or both (default both, as tcpdump sees them)
--        --xdp     capture at XDP (generic mode) instead of tc: ingress only, and
--                  before the kernel's own stack sees the packet
-- ci: lo -w /tmp/pktdump-ci.pcap
-- ci-expect: pktdump: capturing on lo
-- ci-expect: packets captured (
--
-- The BPF side is pktlua_capture() (runtime/pktlua/capture.h): each packet
-- that passes the filter is copied, up to SNAPLEN bytes, into a ring buffer;
-- require "pktlua.capture" writes the records into the file with wall-clock
-- times. The count at exit goes to stderr: "N packets captured (M lost)".
local bpf = require "pktlua"
local capture = require "pktlua.capture"

local function usage(msg)
  io.stderr:write("pktdump: ", msg, "\n",
    "usage: pktlua scripts/pktdump.lua IFACE [FILTER] -w FILE [-c COUNT] [-s SNAPLEN]",
    " [-d in|out|both] [--xdp] [-e FILTER]\n")
  os.exit(2)
end

local o = { snaplen = 256, dir = "both" }
local i = 1
while i <= #arg do
  local a = arg[i]
  local function value()
    i = i + 1
    return arg[i] or usage(a .. " needs a value")
  end
  if a == "-w" then o.file = value()
  elseif a == "-c" then o.count = math.tointeger(tonumber(value()))
    if not o.count or o.count < 1 then usage("-c wants a positive count") end
  elseif a == "-s" then o.snaplen = math.tointeger(tonumber(value()))
    if not o.snaplen or o.snaplen < 1 or o.snaplen > 65535 then usage("-s wants 1..65535") end
  elseif a == "-d" then o.dir = value()
    if o.dir ~= "in" and o.dir ~= "out" and o.dir ~= "both" then usage("-d wants in, out or both") end
  elseif a == "--xdp" then o.xdp = true
  elseif a == "-e" then o.filter = value()
  elseif a == "-h" or a == "--help" then usage("capture packets into a pcap file")
  elseif a:sub(1, 1) == "-" and #a > 1 then usage("unknown option " .. a)
  elseif not o.iface then o.iface = a
  elseif not o.filter then o.filter = a
  else usage("unexpected argument " .. a) end
  i = i + 1
end
if not o.iface then usage("no interface given") end
if not o.file then usage("no output file given (-w FILE)") end
if o.xdp and o.dir == "out" then usage("--xdp captures ingress only") end

-- The filter is compiled into the program: its diagnostics name "filter".
local filter = o.filter and ([[

static __always_inline int pktdump_match(struct pkt pkt)
{
#line 1 "filter"
	return (%s);
}
]]):format(o.filter) or ""

local defines = { PKTLUA_SNAPLEN = o.snaplen, PKTDUMP_FILTER = o.filter and 1 or nil }
local p = bpf.load { name = "pktdump", defines = defines, src = [[
#include <pktlua/xdp.h>
#include <pktlua/tc.h>
#include <pktlua/capture.h>

PKTLUA_RINGBUF(pktdump_ring, 8 << 20);
#ifdef PKTDUMP_FILTER
static __always_inline int pktdump_match(struct pkt pkt);
#define PKTDUMP_WANT(ctx) ({ struct pkt pkt_; pkt_parse((ctx), &pkt_) >= 0 && pktdump_match(pkt_); })
#else
#define PKTDUMP_WANT(ctx) 1
#endif

SEC("xdp")
int pktdump_xdp(struct xdp_md *ctx)
{
	if (PKTDUMP_WANT(ctx))
		pktlua_capture(ctx, &pktdump_ring);
	return XDP_PASS;
}

SEC("tc")
int pktdump_tc(struct __sk_buff *skb)
{
	if (PKTDUMP_WANT(skb))
		pktlua_capture(skb, &pktdump_ring);
	return TC_ACT_UNSPEC;   /* on to the next program, or the default: pass */
}
]] .. filter }

local where
if o.xdp then
  p.progs.pktdump_xdp:attach { iface = o.iface, mode = "skb" }
  where = "xdp"
else
  local dirs = o.dir == "both" and { "ingress", "egress" }
    or { o.dir == "in" and "ingress" or "egress" }
  for _, d in ipairs(dirs) do p.progs.pktdump_tc:attach { iface = o.iface, direction = d } end
  where = "tc " .. table.concat(dirs, "+")
end

local h = capture.to_pcap(p, p.maps.pktdump_ring, o.file, { snaplen = o.snaplen, limit = o.count })
io.stderr:write(("pktdump: capturing on %s (%s), snaplen %d%s, to %s\n"):format(
  o.iface, where, o.snaplen, o.filter and ", filter: " .. o.filter or "", o.file))

bpf.at_exit(function()
  h.close()
  io.stderr:write(("%d packets captured (%d lost)\n"):format(h.count(), h.lost()))
end)
bpf.run()
