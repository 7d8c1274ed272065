-- vlan_tagger.lua — real 802.1Q and QinQ frames without the kernel's VLAN
-- driver (this machine's kernel has no CONFIG_VLAN_8021Q), for filter_live.sh.
-- usage: pktlua tests/e2e/scripts/vlan_tagger.lua IFACE   (until SIGINT)
--
-- tc egress on IFACE tags what goes to 198.18.8.0/24 or fe80::8:* with
-- VLAN 100, and what goes to 198.18.9.0/24 or fe80::9:* with 802.1ad 300
-- outside 802.1Q 200; tc ingress takes the tags off again, so the stack on
-- each end sees plain frames and TCP works. Packet sockets (tcpdump) see
-- the frames tagged both ways: they tap egress after tc and ingress before it.
local bpf = require "pktlua"
local iface = assert(arg[1], "usage: vlan_tagger.lua IFACE")

local p = bpf.load [[
#include <pktlua/tc.h>

/* 0 untagged, 8 or 9 the third octet / the seventh group of the address. */
static __always_inline int subnet(struct __sk_buff *skb)
{
	__u16 proto;
	__u8 b[16];

	if (bpf_skb_load_bytes(skb, 12, &proto, 2))
		return 0;
	if (proto == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, 14 + 16, b, 4) || b[0] != 198 || b[1] != 18)
			return 0;
		return b[2];
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, 14 + 24, b, 16) || b[0] != 0xfe || b[1] != 0x80 || b[12])
			return 0;
		return b[13];
	}
	return 0;
}

SEC("tc") int tag(struct __sk_buff *skb)
{
	switch (subnet(skb)) {
	case 8:
		bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 100);
		break;
	case 9:
		bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 200);
		bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021AD), 300);
		break;
	}
	return TC_ACT_OK;
}

SEC("tc") int untag(struct __sk_buff *skb)
{
	for (int i = 0; i < 2 && skb->vlan_present; i++)
		bpf_skb_vlan_pop(skb);
	return TC_ACT_OK;
}
]]
p.progs.tag:attach { iface = iface, direction = "egress" }
p.progs.untag:attach { iface = iface, direction = "ingress" }
print("tagging on " .. iface)
io.stdout:flush()
bpf.run()
