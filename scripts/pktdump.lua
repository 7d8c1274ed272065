#!/usr/bin/env pktlua
-- pktdump.lua — capture an interface's packets into a pcap file, a tcpdump expression filtering in the kernel
-- usage: pktlua scripts/pktdump.lua IFACE [EXPRESSION] -w FILE [-c COUNT] [-s SNAPLEN]
--                                   [-d in|out|both] [--xdp] [-e C_FILTER]
--        EXPRESSION  a tcpdump expression, e.g. 'udp port 53' (the words after
--                    IFACE are joined, as tcpdump does); default: every packet
--        -w FILE     the pcap file to write (microsecond timestamps, like tcpdump -w)
--        -c COUNT    stop after COUNT packets (default: until Ctrl-C)
--        -s SNAPLEN  bytes kept of each packet, 1..262144 (default 262144, as tcpdump)
--        -d DIR      tc direction: in, out or both (default both, as tcpdump sees them)
--        --xdp       capture at XDP (generic mode) instead of tc: ingress only, and
--                    before the kernel's own stack sees the packet
--        -e C_FILTER a C boolean expression over `struct pkt pkt`
--                    (runtime/pktlua/parse.h), e.g. 'pkt.l4proto == IPPROTO_UDP && pkt.dport == 53',
--                    in addition to EXPRESSION
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
local capture = require "pktlua.capture"

-- A usage error (status 2, stderr), or with HELP the help asked for (0, stdout).
local function usage(msg, help)
  local out = help and io.stdout or io.stderr
  out:write("pktdump: ", msg, "\n",
    "usage: pktlua scripts/pktdump.lua IFACE [EXPRESSION] -w FILE [-c COUNT] [-s SNAPLEN]",
    " [-d in|out|both] [--xdp] [-e C_FILTER]\n")
  out:flush()
  os.exit(help and 0 or 2)
end

local o = { snaplen = 262144, dir = "both", words = {} }
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
    if not o.snaplen or o.snaplen < 1 or o.snaplen > 262144 then usage("-s wants 1..262144") end
  elseif a == "-d" then o.dir = value()
    if o.dir ~= "in" and o.dir ~= "out" and o.dir ~= "both" then usage("-d wants in, out or both") end
  elseif a == "--xdp" then o.xdp = true
  elseif a == "-e" then o.c_filter = value()
  elseif a == "-h" or a == "--help" then usage("capture packets into a pcap file", true)
  elseif a:sub(1, 1) == "-" and #a > 1 then usage("unknown option " .. a)
  elseif not o.iface then o.iface = a
  else o.words[#o.words + 1] = a end
  i = i + 1
end
if not o.iface then usage("no interface given") end
if not o.file then usage("no output file given (-w FILE)") end
if o.xdp and o.dir == "out" then usage("--xdp captures ingress only") end
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
  if o.dir ~= "out" then
    -- First at ingress (before other tc programs change the packet), last
    -- at egress (after them): where tcpdump's packet socket sees it.
    p.progs.pktdump_in:attach { iface = o.iface, direction = "ingress", first = true }
    dirs[#dirs + 1] = "in"
  end
  if o.dir ~= "in" and not is_loopback(o.iface) then
    p.progs.pktdump_out:attach { iface = o.iface, direction = "egress" }
    dirs[#dirs + 1] = "out"
  end
  where = "tc " .. (#dirs > 0 and table.concat(dirs, "+") or "nothing: loopback")
end

local h = capture.to_pcap(p, p.maps.pktdump_ring, o.file,
  { snaplen = o.snaplen, limit = o.count, records = "tcpdump" })
io.stderr:write(("pktdump: capturing on %s (%s), snaplen %d%s%s, to %s\n"):format(
  o.iface, where, o.snaplen, expr ~= "" and ", expression: " .. expr or "",
  o.c_filter and ", C filter: " .. o.c_filter or "", o.file))

bpf.at_exit(function()
  h.close()
  io.stderr:write(("%d packet%s captured, %d dropped (ring full)\n"):format(
    h.count(), h.count() == 1 and "" or "s", h.lost()))
end)
bpf.run()
