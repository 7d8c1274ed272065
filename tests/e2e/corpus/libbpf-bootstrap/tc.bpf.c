// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* In the shape of libbpf-bootstrap's tc.bpf.c, with the macros from the
 * kernel's headers rather than copied: vmlinux.h for the types, then
 * <linux/if_ether.h> (ETH_P_IP), <linux/pkt_cls.h> (TC_ACT_*) and
 * <linux/ip.h>. Drops IPv4 with TTL 1, counts IPv4 in .bss. */
#include <vmlinux.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

__u64 ipv4_packets = 0;

SEC("tc")
int tc_ingress(struct __sk_buff *ctx)
{
	void *data_end = (void *)(__u64)ctx->data_end;
	void *data = (void *)(__u64)ctx->data;
	struct ethhdr *l2;
	struct iphdr *l3;

	if (ctx->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;

	l2 = data;
	if ((void *)(l2 + 1) > data_end)
		return TC_ACT_OK;

	l3 = (struct iphdr *)(l2 + 1);
	if ((void *)(l3 + 1) > data_end)
		return TC_ACT_OK;

	__sync_fetch_and_add(&ipv4_packets, 1);
	return l3->ttl <= 1 ? TC_ACT_SHOT : TC_ACT_OK;
}

char __license[] SEC("license") = "GPL";
