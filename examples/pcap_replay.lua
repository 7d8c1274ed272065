-- pcap_replay.lua — try an XDP filter on a capture file: verdicts, map contents, kept packets
-- usage: pktlua examples/pcap_replay.lua [in.pcap [kept.pcap]]
-- ci:
-- ci-expect: XDP_DROP     4
-- ci-expect: XDP_PASS     6
-- ci-expect: udp port 53: 4 packets
--
-- pcap.replay() runs every packet of a capture through a program with
-- BPF_PROG_TEST_RUN: the program's maps fill as they would on live traffic,
-- and the packets it keeps (XDP_PASS) can go to a new capture, timestamps
-- intact. Without a file, the script writes a small one with pcap.writer.
local bpf = require "pktlua"
local pcap = require "pktlua.pcap"

local p = bpf.load [[
#include <pktlua/xdp.h>
PKTLUA_HASH(pkts_by_port, __u16, __u64, 1024);

SEC("xdp")
int drop_dns(struct xdp_md *ctx)
{
	struct pkt pkt;
	if (pkt_parse(ctx, &pkt) < 0)
		return XDP_ABORTED;
	if (pkt.l4proto != IPPROTO_UDP)
		return XDP_PASS;
	PKTLUA_ADD(pkts_by_port, &pkt.dport, (__u64)1);   /* delta of the value type */
	return pkt.dport == 53 ? XDP_DROP : XDP_PASS;
}
]]

local input, kept = arg[1], arg[2] or os.tmpname()
if not input then
  -- Ten UDP packets, four of them to port 53, one millisecond apart.
  input = os.tmpname()
  local w <close> = pcap.writer(input)
  for i = 1, 10 do
    local dport = i % 3 == 1 and 53 or 5000 + i
    local udp = string.pack(">HHHH", 40000, dport, 8, 0)
    local ip = string.pack(">BBHHHBBH", 0x45, 0, 20 + #udp, i, 0, 64, 17, 0)
               .. string.char(198, 18, 0, 1, 198, 18, 0, 2)
    w:write("\2\0\0\0\0\1\2\0\0\0\0\2\8\0" .. ip .. udp, 1700000000 + i / 1000)
  end
end

local counts = pcap.replay(p.progs.drop_dns, input, { out = kept })
print(("%d packets, %d not replayed, %d kept in %s"):format(
  counts.packets, counts.errors, counts.written, kept))
for _, verdict in ipairs { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT" } do
  if counts[verdict] then print(("%-12s %d"):format(verdict, counts[verdict])) end
end
for port, n in pairs(p.maps.pkts_by_port) do
  print(("udp port %d: %d packets"):format(port, n))
end
if not arg[1] then os.remove(input) end
if not arg[2] then os.remove(kept) end
