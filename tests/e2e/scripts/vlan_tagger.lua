-- vlan_tagger.lua — real 802.1Q and QinQ frames without the kernel's VLAN
-- driver (this machine's kernel has no CONFIG_VLAN_8021Q), for filter_live.sh
-- and capture_live.sh.
-- usage: pktlua tests/e2e/scripts/vlan_tagger.lua IFACE [inline]   (until SIGINT)
--
-- tc egress on IFACE tags what goes to 198.18.8.0/24 or fe80::8:* with
-- VLAN 100, and what goes to 198.18.9.0/24 or fe80::9:* with 802.1ad 300
-- outside 802.1Q 200; tc ingress takes the tags off again, so the stack on
-- each end sees plain frames and TCP works. Packet sockets (tcpdump) see
-- the frames tagged both ways: they tap egress after tc and ingress before it.
--
-- By default the tags are pushed as the VLAN driver does, the outer one
-- into skb->vlan_tci (the device inserts it, veth carries it beside the
-- frame). With "inline" both are written into the frame's bytes, as a
-- device without VLAN offload sends them: XDP on the peer then sees them
-- (not on offloaded TCP frames: see push()).
-- The tagging program returns TC_ACT_UNSPEC, so tc programs after it (a
-- live capture at egress) still run.
local bpf = require "pktlua"
local iface = assert(arg[1], "usage: vlan_tagger.lua IFACE [inline]")
local inline = arg[2] == "inline"

local p = bpf.load { src = [[
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

/* A tag written into the bytes after the MAC addresses: 4 bytes of room
 * after the Ethernet header, then TPID, TCI, and the EtherType moved on. */
static __always_inline void push_inline(struct __sk_buff *skb, __u16 tpid, __u16 vid)
{
	__be16 type, t = bpf_htons(tpid), c = bpf_htons(vid);

	if (bpf_skb_load_bytes(skb, 12, &type, 2) ||
	    bpf_skb_adjust_room(skb, 4, BPF_ADJ_ROOM_MAC, 0))
		return;
	bpf_skb_store_bytes(skb, 12, &t, 2, 0);
	bpf_skb_store_bytes(skb, 14, &c, 2, 0);
	bpf_skb_store_bytes(skb, 16, &type, 2, 0);
}

/* Inline, an offloaded (GSO) packet stays untagged: grown by
 * bpf_skb_adjust_room() it no longer segments on this kernel (each is
 * dropped and TCP crawls on retransmissions of one segment). */
static __always_inline void push(struct __sk_buff *skb, __u16 tpid, __u16 vid, int gso)
{
	if (!INLINE)
		bpf_skb_vlan_push(skb, bpf_htons(tpid), vid);
	else if (!gso)
		push_inline(skb, tpid, vid);
}

SEC("tc") int tag(struct __sk_buff *skb)
{
	int gso = skb->gso_segs > 1;

	switch (subnet(skb)) {
	case 8:
		push(skb, ETH_P_8021Q, 100, gso);
		break;
	case 9:
		push(skb, ETH_P_8021Q, 200, gso);
		push(skb, ETH_P_8021AD, 300, gso);
		break;
	}
	return TC_ACT_UNSPEC;
}

SEC("tc") int untag(struct __sk_buff *skb)
{
	for (int i = 0; i < 2 && skb->vlan_present; i++)
		bpf_skb_vlan_pop(skb);
	return TC_ACT_OK;
}
]], defines = { INLINE = inline and 1 or 0 } }
p.progs.tag:attach { iface = iface, direction = "egress" }
p.progs.untag:attach { iface = iface, direction = "ingress" }
print("tagging on " .. iface .. (inline and " (inline)" or ""))
io.stdout:flush()
bpf.run()
