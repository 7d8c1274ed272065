-- tc_first.lua — prog:attach{first = true} puts a tc program before the
-- ones already on the interface (tcx BPF_F_BEFORE); without it, after.
-- Two programs on lo egress: "mark" writes a token into skb->cb, "check"
-- counts whether the token was there when it ran. "check" is attached
-- first and "mark" second, with first = true: mark must run before check.
-- usage: pktlua tc_first.lua   (in a fresh network namespace: lo only)
local bpf = require "pktlua"
local N = 10

local p = bpf.load [[
#include <pktlua/tc.h>
PKTLUA_ARRAY(seen, __u64, 2);       /* 0: check ran after mark, 1: before */

SEC("tc") int mark(struct __sk_buff *skb)
{
	skb->cb[0] = 0x5eed;
	return TC_ACT_UNSPEC;
}

SEC("tc") int check(struct __sk_buff *skb)
{
	__u32 k = skb->cb[0] == 0x5eed ? 0 : 1;
	__u64 *v = bpf_map_lookup_elem(&seen, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	skb->cb[0] = 0;
	return TC_ACT_UNSPEC;
}
]]
local c = p.progs.check:attach { iface = "lo", direction = "egress" }
local m = p.progs.mark:attach { iface = "lo", direction = "egress", first = true }
print(c, m)
assert(os.execute(("bash -c 'for i in $(seq %d); do echo x > /dev/udp/127.0.0.1/9; done'"):format(N)))
print(("after=%d before=%d"):format(p.maps.seen[0], p.maps.seen[1]))
