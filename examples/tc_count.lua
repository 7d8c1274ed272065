-- tc_count.lua — packets and bytes leaving an interface, seen by tc (tcx)
-- usage: pktlua examples/tc_count.lua [IFACE] [SECONDS]   (default lo, until Ctrl-C)
-- ci: lo 2
-- ci-expect: lo egress:
--
-- A tc program attached with direction = "egress". The attachment is a tcx
-- link: it goes away with the process, even on SIGKILL.
local bpf = require "pktlua"

local p = bpf.load [[
#include <pktlua/tc.h>
struct totals { __u64 packets; __u64 bytes; };
PKTLUA_ARRAY(out, struct totals, 1);

SEC("tc")
int count_egress(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct totals *t = bpf_map_lookup_elem(&out, &k);
	if (t) {
		__sync_fetch_and_add(&t->packets, 1);
		__sync_fetch_and_add(&t->bytes, skb->len);
	}
	return TC_ACT_OK;
}
]]
local iface = arg[1] or "lo"
print(p.progs.count_egress:attach { iface = iface, direction = "egress" })

bpf.at_exit(function()
  local t = p.maps.out[0]
  print(("%s egress: %d packets, %d bytes"):format(iface, t.packets, t.bytes))
end)
bpf.run(tonumber(arg[2]))
