/* SPDX-License-Identifier: GPL-2.0 */
/* Per-action packet and byte counts, in the shape of xdp-tutorial's
 * common/xdp_stats_kern.h (and its xdp_stats_kern_user.h's struct). */
#ifndef __XDP_STATS_KERN_H
#define __XDP_STATS_KERN_H

struct datarec {
	__u64 rx_packets;
	__u64 rx_bytes;
};

#ifndef XDP_ACTION_MAX
#define XDP_ACTION_MAX (XDP_REDIRECT + 1)
#endif

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct datarec);
	__uint(max_entries, XDP_ACTION_MAX);
} xdp_stats_map SEC(".maps");

static __always_inline
__u32 xdp_stats_record_action(struct xdp_md *ctx, __u32 action)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data     = (void *)(long)ctx->data;

	if (action >= XDP_ACTION_MAX)
		return XDP_ABORTED;

	struct datarec *rec = bpf_map_lookup_elem(&xdp_stats_map, &action);
	if (!rec)
		return XDP_ABORTED;

	rec->rx_packets++;
	rec->rx_bytes += (data_end - data);

	return action;
}

#endif /* __XDP_STATS_KERN_H */
