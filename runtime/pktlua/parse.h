/* pktlua/parse.h — one bounds-checked packet parser for XDP and tc.
 *
 *   struct pkt pkt;
 *   if (pkt_parse(ctx, &pkt) < 0) return XDP_PASS;   // ctx: xdp_md or __sk_buff
 *   if (pkt.l4proto == IPPROTO_UDP && pkt.dport == 53) ...
 *
 * Fills struct pkt from Ethernet up to the transport header: up to two VLAN
 * tags, ARP, IPv4 (with options), IPv6 (with a bounded walk of extension
 * headers), TCP, UDP, ICMP, ICMPv6. Fields of layers the packet does not
 * reach stay zero. Ports are in host byte order; addresses in network order.
 *
 * Why raw byte loads instead of struct iphdr/tcphdr: <vmlinux.h> marks every
 * struct preserve_access_index, which turns header accesses into CO-RE
 * relocations (and bitfields such as ihl into relocated shifts). Packet
 * bytes have a fixed wire layout; plain loads are what the verifier sees
 * best and what stays right on every kernel. */
#ifndef PKTLUA_PARSE_H
#define PKTLUA_PARSE_H

#include <pktlua/bpf.h>
#include <pktlua/net.h>

#define PKT_MAX_VLANS 2
#define PKT_MAX_EXTHDRS 6    /* IPv6 extension headers walked before giving up */

/* struct pkt.frag bits */
#define PKT_FRAG_ANY   0x01  /* the packet is an IP fragment */
#define PKT_FRAG_FIRST 0x02  /* ...and the first one (offset 0): L4 header present */

union pkt_addr {
	__be32 v4;
	__u8 v6[16];
};

struct pkt {
	__u64 len;            /* bytes in the packet buffer (64-bit: add it to counters) */
	__u16 l3proto;        /* EtherType after VLAN tags (ETH_P_IP, ETH_P_IPV6, ETH_P_ARP...) */
	__u8 l4proto;         /* IPPROTO_* after IPv6 extension headers; 0 if not IP */
	__u8 ip_version;      /* 4, 6, or 0 */
	__u8 nvlans;          /* VLAN tags seen (at most PKT_MAX_VLANS parsed) */
	__u8 tcp_flags;       /* PKT_TCP_* bits */
	__u8 ttl;             /* IPv4 TTL or IPv6 hop limit */
	__u8 frag;            /* PKT_FRAG_* bits */
	__u16 vlan[PKT_MAX_VLANS]; /* VLAN IDs, outermost first */
	__u16 l3off;          /* offset of the IP/ARP header; 0 if none */
	__u16 l4off;          /* offset of the TCP/UDP/ICMP header; 0 if none */
	__u16 payload_off;    /* offset of the transport payload; 0 if none */
	__u16 ip_len;         /* IPv4 total length, IPv6 payload length + 40 */
	__u16 sport;          /* TCP/UDP source port; ICMP/ICMPv6 type */
	__u16 dport;          /* TCP/UDP destination port; ICMP/ICMPv6 code */
	__u16 arp_op;         /* ARP operation (1 request, 2 reply) */
	__u8 smac[ETH_ALEN];
	__u8 dmac[ETH_ALEN];
	union pkt_addr saddr; /* IPv4: .v4; IPv6: .v6; ARP: sender/target IPv4 */
	union pkt_addr daddr;
};

static __always_inline __u16 pkt_be16(const __u8 *p)
{
	return (__u16)((p[0] << 8) | p[1]);
}

/* Is [p, p + n) inside the packet? Every load below is guarded by one. */
#define PKT_HAS(p, n, end) ((const __u8 *)(p) + (n) <= (const __u8 *)(end))

static __always_inline void pkt_parse_ports(const __u8 *l4, const __u8 *end, struct pkt *pkt)
{
	switch (pkt->l4proto) {
	case IPPROTO_TCP:
		if (!PKT_HAS(l4, 20, end))
			return;
		pkt->sport = pkt_be16(l4);
		pkt->dport = pkt_be16(l4 + 2);
		pkt->tcp_flags = l4[13];
		pkt->payload_off = pkt->l4off + ((l4[12] >> 4) & 0xf) * 4;
		break;
	case IPPROTO_UDP:
		if (!PKT_HAS(l4, 8, end))
			return;
		pkt->sport = pkt_be16(l4);
		pkt->dport = pkt_be16(l4 + 2);
		pkt->payload_off = pkt->l4off + 8;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (!PKT_HAS(l4, 4, end))
			return;
		pkt->sport = l4[0];   /* type */
		pkt->dport = l4[1];   /* code */
		pkt->payload_off = pkt->l4off + 4;
		break;
	}
}

static __always_inline const __u8 *pkt_parse_ipv4(const __u8 *ip, const __u8 *end,
						  struct pkt *pkt)
{
	if (!PKT_HAS(ip, 20, end))
		return NULL;
	__u32 ihl = (ip[0] & 0xf) * 4;
	pkt->ip_version = 4;
	pkt->ip_len = pkt_be16(ip + 2);
	pkt->ttl = ip[8];
	pkt->l4proto = ip[9];
	__builtin_memcpy(&pkt->saddr.v4, ip + 12, 4);
	__builtin_memcpy(&pkt->daddr.v4, ip + 16, 4);
	__u16 frag = pkt_be16(ip + 6);
	if (frag & (IP_MF | IP_OFFSET)) {
		pkt->frag = PKT_FRAG_ANY | ((frag & IP_OFFSET) ? 0 : PKT_FRAG_FIRST);
		if (frag & IP_OFFSET)
			return NULL;   /* later fragments carry no transport header */
	}
	if (ihl < 20)
		return NULL;
	return ip + ihl;       /* ihl <= 60: a bounded offset the verifier follows */
}

static __always_inline const __u8 *pkt_parse_ipv6(const __u8 *ip, const __u8 *end,
						  struct pkt *pkt)
{
	if (!PKT_HAS(ip, 40, end))
		return NULL;
	pkt->ip_version = 6;
	pkt->ip_len = pkt_be16(ip + 4) + 40;
	pkt->ttl = ip[7];
	__builtin_memcpy(pkt->saddr.v6, ip + 8, 16);
	__builtin_memcpy(pkt->daddr.v6, ip + 24, 16);

	__u8 next = ip[6];
	const __u8 *cur = ip + 40;
	for (int i = 0; i < PKT_MAX_EXTHDRS; i++) {
		__u32 hlen;
		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MH:
			if (!PKT_HAS(cur, 2, end))
				return NULL;
			hlen = ((__u32)cur[1] + 1) * 8;
			break;
		case IPPROTO_AH:
			if (!PKT_HAS(cur, 2, end))
				return NULL;
			hlen = ((__u32)cur[1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if (!PKT_HAS(cur, 8, end))
				return NULL;
			hlen = 8;
			__u16 off = pkt_be16(cur + 2);
			pkt->frag = PKT_FRAG_ANY | ((off & 0xfff8) ? 0 : PKT_FRAG_FIRST);
			if (off & 0xfff8) {
				pkt->l4proto = cur[0];
				return NULL;
			}
			break;
		default:
			pkt->l4proto = next;
			return next == IPPROTO_NONE ? NULL : cur;
		}
		next = cur[0];
		cur += hlen;
	}
	/* PKT_MAX_EXTHDRS headers walked: what follows may still be the
	 * transport header (stop only if it is yet another extension header). */
	pkt->l4proto = next;
	switch (next) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case IPPROTO_AH:
	case IPPROTO_FRAGMENT:
	case IPPROTO_NONE:
		return NULL;
	}
	return cur;
}

/* Parse the packet in [data, data_end). Returns 0, or -1 when it is shorter
 * than an Ethernet header (then only len is set). */
static __always_inline int pkt_parse_data(void *data, void *data_end, struct pkt *pkt)
{
	const __u8 *start = data, *end = data_end, *cur = data;

	__builtin_memset(pkt, 0, sizeof(*pkt));
	pkt->len = (__u64)(end - start);
	if (!PKT_HAS(cur, ETH_HLEN, end))
		return -1;
	__builtin_memcpy(pkt->dmac, cur, ETH_ALEN);
	__builtin_memcpy(pkt->smac, cur + ETH_ALEN, ETH_ALEN);
	__u16 proto = pkt_be16(cur + 12);
	cur += ETH_HLEN;

	for (int i = 0; i < PKT_MAX_VLANS; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if (!PKT_HAS(cur, 4, end))
			return 0;
		pkt->vlan[i] = pkt_be16(cur) & 0x0fff;
		pkt->nvlans++;
		proto = pkt_be16(cur + 2);
		cur += 4;
	}
	pkt->l3proto = proto;
	pkt->l3off = (__u16)(cur - start);

	const __u8 *l4 = NULL;
	switch (proto) {
	case ETH_P_IP:
		l4 = pkt_parse_ipv4(cur, end, pkt);
		break;
	case ETH_P_IPV6:
		l4 = pkt_parse_ipv6(cur, end, pkt);
		break;
	case ETH_P_ARP:
		/* Ethernet/IPv4 ARP: op at 6, sender IP at 14, target IP at 24. */
		if (PKT_HAS(cur, 28, end)) {
			pkt->arp_op = pkt_be16(cur + 6);
			__builtin_memcpy(&pkt->saddr.v4, cur + 14, 4);
			__builtin_memcpy(&pkt->daddr.v4, cur + 24, 4);
		}
		return 0;
	default:
		pkt->l3off = 0;
		return 0;
	}
	if (l4) {
		pkt->l4off = (__u16)(l4 - start);
		pkt_parse_ports(l4, end, pkt);
	}
	return 0;
}

/* pkt_parse(ctx, &pkt) for an XDP (struct xdp_md *) or tc (struct __sk_buff *)
 * context. tc programs see only the linear part of the skb: call
 * bpf_skb_pull_data(ctx, len) first when headers may lie beyond it. */
#define pkt_parse(ctx, pkt)                                                              \
	_Generic((ctx),                                                                  \
		struct xdp_md *: pkt_parse_data(                                         \
			(void *)(long)((struct xdp_md *)(void *)(ctx))->data,            \
			(void *)(long)((struct xdp_md *)(void *)(ctx))->data_end, (pkt)), \
		struct __sk_buff *: pkt_parse_data(                                      \
			(void *)(long)((struct __sk_buff *)(void *)(ctx))->data,         \
			(void *)(long)((struct __sk_buff *)(void *)(ctx))->data_end, (pkt)))

#endif
