-- filters_replay.lua — count, in the kernel, the packets of a capture each
-- tcpdump expression matches (bpf.load's filters=, replayed through XDP or
-- tc with pcap.replay), and compare with `tcpdump -r FILE EXPR | wc -l`.
-- usage: pktlua filters_replay.lua xdp|tc FILE EXPR...
local bpf = require "pktlua"
local pcap = require "pktlua.pcap"

local kind, file = arg[1], arg[2]
local exprs = { table.unpack(arg, 3) }
local filters, calls = {}, {}
for i, e in ipairs(exprs) do
  filters["f" .. i] = e
  calls[#calls + 1] = ("\tif (f%d(d, e)) bump(%d);"):format(i, i)
end
local sec, ctx, ret = "xdp", "struct xdp_md", "XDP_PASS"
if kind == "tc" then sec, ctx, ret = "tc", "struct __sk_buff", "TC_ACT_OK" end

local p = bpf.load { filters = filters, src = ([[
#include <pktlua/xdp.h>
#ifndef TC_ACT_OK
#define TC_ACT_OK 0
#endif
PKTLUA_ARRAY(hits, __u64, 64);
static __always_inline void bump(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &i);
	if (v) __sync_fetch_and_add(v, 1);
}
SEC("%s") int count(%s *ctx)
{
	void *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
%s
	return %s;
}
]]):format(sec, ctx, table.concat(calls, "\n"), ret) }

pcap.replay(p.progs.count, file)
local bad = 0
for i, e in ipairs(exprs) do
  local h = io.popen(("tcpdump -nr %q %q 2>/dev/null | wc -l"):format(file, e))
  local want = tonumber(h:read("a"))
  h:close()
  local got = p.maps.hits[i]
  print(("%s %-40s pktlua %d tcpdump %d %s"):format(kind, e, got, want, got == want and "ok" or "DIFFER"))
  if got ~= want then bad = bad + 1 end
end
print(bad == 0 and "all agree" or (bad .. " disagree"))
os.exit(bad == 0 and 0 or 1)
