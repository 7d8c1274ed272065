/* pktlua/tcpdump.h — capture what a tcpdump expression matches, at tc or XDP,
 * as tcpdump on the interface would see it, into a ring buffer.
 *
 *   local p = bpf.load { filters = { want = { "udp port 53", iface = "eth0" } },
 *                        defines = { PKTLUA_TCPDUMP_CPUS = ncpus }, src = [[
 *     #include <pktlua/tcpdump.h>
 *     PKTLUA_RINGBUF(ring, 8 << 20);
 *     SEC("tc") int in(struct __sk_buff *skb)
 *     {
 *         pktlua_tcpdump_skb(skb, &ring, want, PKTLUA_TCPDUMP_IN, 262144);
 *         return TC_ACT_UNSPEC;               // on to the next tc program
 *     }
 *     SEC("xdp") int x(struct xdp_md *ctx)
 *     {
 *         pktlua_tcpdump_xdp(ctx, &ring, want, 262144);
 *         return XDP_PASS;
 *     }
 *   ]] }
 *
 * FILTER names a tcpdump expression compiled for a live interface, as
 * tcpdump compiles it (filters = {want = {"udp port 53", iface = "eth0"}},
 * or pl_filter_iface_to_c() with PL_FILTER_PKT | PL_FILTER_BUF |
 * PL_FILTER_LIVE): it runs as tcpdump's kernel filter runs, and a match
 * sends one record to the ring buffer: struct pktlua_tcpdump_rec, then
 * CAPLEN bytes, CAPLEN = min(frame length, SNAPLEN, what the expression
 * returns). Records vary in size (8-byte aligned in the ring).
 *
 * What tcpdump sees: on a live interface the kernel keeps a packet's outer
 * VLAN tag in skb->vlan_tci, not in its bytes. tcpdump's filter runs on
 * those bytes, with the tag as ancillary data (so `vlan 100` looks at the
 * tag there, and `ip` matches an IPv4 packet whose tag was taken off);
 * libpcap then puts the tag back into what it hands out, after the two MAC
 * addresses (TPID, TCI; the length grows by 4). The same here: the filter
 * gets the skb's bytes and its tag (struct pl_filter_anc), the record the
 * frame with the tag put back.
 *
 * How it runs: a frame whose bytes are all in the linear area (and at most
 * 64 KB) is matched in place (the expression's packet-pointer flavour, no
 * copy). Otherwise — non-linear (GSO, an skb in fragments), or longer — it
 * is first copied into a per-CPU slot (up to 262,144 bytes, libpcap's
 * largest snap length) and the expression runs on the copy (its buffer
 * flavour): it sees every byte tcpdump's kernel filter would, up to
 * 262,144. A match is copied into the slot (if it is not there already, or
 * to put the tag back) and sent with bpf_ringbuf_output().
 *
 * The slots: an array map with one 256 KB entry per possible CPU, so
 * PKTLUA_TCPDUMP_CPUS (the number of possible CPUs, as
 * /sys/devices/system/cpu/possible counts them) must be defined. A program
 * runs on one CPU from start to end and tc/XDP programs do not nest on a
 * CPU, so a slot is never shared.
 *
 * Drops: a record that does not fit in the ring, or that could not be
 * copied, is counted as pktlua_emit() counts it (the pktlua_lost map, keyed
 * by the ring buffer's id): bpf.lost(map) and the host see every one.
 *
 * Returns (both macros): 1 captured, 0 not matched, -1 matched but dropped. */
#ifndef PKTLUA_TCPDUMP_H
#define PKTLUA_TCPDUMP_H

#include <pktlua/bpf.h>
#include <pktlua/events.h>

#ifndef PKTLUA_TCPDUMP_CPUS
#error "define PKTLUA_TCPDUMP_CPUS: the number of possible CPUs (bpf.load{defines = {PKTLUA_TCPDUMP_CPUS = n}})"
#endif

/* The largest frame the expression sees and the largest record: libpcap's
 * largest snap length (PL_FILTER_BUF_MAX on the host side). */
#define PKTLUA_TCPDUMP_MAX 262144

/* Direction, in pktlua_tcpdump_rec.flags (pcapng's epb_flags values). */
#define PKTLUA_TCPDUMP_IN 1
#define PKTLUA_TCPDUMP_OUT 2

/* One record as the ring carries it (native byte order, 24 bytes), followed
 * by CAPLEN bytes of the frame. */
struct pktlua_tcpdump_rec {
	__u64 ts_ns;    /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) when seen */
	__u32 len;      /* the frame's length as tcpdump counts it (tag included) */
	__u32 caplen;   /* bytes that follow */
	__u32 ifindex;  /* the interface it was seen on */
	__u32 flags;    /* PKTLUA_TCPDUMP_IN or PKTLUA_TCPDUMP_OUT */
};
PKTLUA_EVENT_TYPE(struct pktlua_tcpdump_rec);

/* A slot: the record header right before the frame's bytes, so header and
 * bytes go to the ring in one bpf_ringbuf_output(). The buffer flavour of
 * an expression needs PKTLUA_TCPDUMP_MAX readable bytes from data on. */
struct pktlua_tcpdump_slot {
	struct pktlua_tcpdump_rec rec;
	__u8 data[PKTLUA_TCPDUMP_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PKTLUA_TCPDUMP_CPUS);
	__type(key, __u32);
	__type(value, struct pktlua_tcpdump_slot);
} pktlua_tcpdump_slots SEC(".maps");

static __always_inline struct pktlua_tcpdump_slot *pktlua__tcpdump_slot(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&pktlua_tcpdump_slots, &cpu);
}

/* N clamped to 1..MAX for the verifier (the caller knows it is in range).
 * Why the empty asm first: clang knows the caller's bounds too and would
 * drop the clamp as redundant; the verifier does not always know them (a
 * value spilled and reloaded, a bound on another register). */
static __always_inline __u32 pktlua__tcpdump_clamp(__u32 n, __u32 max)
{
	asm volatile("" : "+r"(n));
	if (n > max)
		n = max;
	if (n < 1)
		n = 1;
	return n;
}

/* The first N bytes (1..PKTLUA_TCPDUMP_MAX) of the frame tcpdump sees into
 * S->data: with the outer VLAN tag put back when the skb holds one. N must
 * not exceed that frame's length. 0, or a negative errno. */
static __always_inline long pktlua__tcpdump_copy_skb(struct __sk_buff *skb,
						     struct pktlua_tcpdump_slot *s, __u32 n)
{
	if (!skb->vlan_present)
		return bpf_skb_load_bytes(skb, 0, s->data,
					  pktlua__tcpdump_clamp(n, PKTLUA_TCPDUMP_MAX));
	/* MAC addresses, the tag (TPID as the skb says, TCI), then the rest
	 * from the EtherType on. A tagged frame has its 14-byte header. */
	long err = bpf_skb_load_bytes(skb, 0, s->data, 12);
	__u16 tpid = bpf_ntohs((__u16)skb->vlan_proto);
	__u16 tci = (__u16)skb->vlan_tci;

	if (err)
		return err;
	s->data[12] = tpid >> 8;
	s->data[13] = tpid & 0xff;
	s->data[14] = tci >> 8;
	s->data[15] = tci & 0xff;
	if (n <= 16)
		return 0;
	return bpf_skb_load_bytes(skb, 12, s->data + 16,
				  pktlua__tcpdump_clamp(n - 16, PKTLUA_TCPDUMP_MAX - 16));
}

static __always_inline long pktlua__tcpdump_copy_xdp(struct xdp_md *ctx,
						     struct pktlua_tcpdump_slot *s, __u32 n)
{
	return bpf_xdp_load_bytes(ctx, 0, s->data, pktlua__tcpdump_clamp(n, PKTLUA_TCPDUMP_MAX));
}

/* Fill the header and send the slot's first CAPLEN bytes (already there). */
static __always_inline int pktlua__tcpdump_send(void *ring, struct pktlua_tcpdump_slot *s,
						__u32 len, __u32 caplen, __u32 ifindex, __u32 flags)
{
	__u64 size;

	s->rec.ts_ns = bpf_ktime_get_ns();
	s->rec.len = len;
	s->rec.caplen = caplen;
	s->rec.ifindex = ifindex;
	s->rec.flags = flags;
	size = sizeof(s->rec) + pktlua__tcpdump_clamp(caplen, PKTLUA_TCPDUMP_MAX);
	return pktlua__emit(ring, s, size) ? -1 : 1;
}

/* What a matching frame of SEEN bytes keeps: min(SEEN, SNAPLEN, R) where R
 * is the expression's return value (the snap length it was compiled for). */
static __always_inline __u32 pktlua__tcpdump_caplen(__u32 seen, __u32 snaplen, int r)
{
	__u32 n = seen;

	if (n > snaplen)
		n = snaplen;
	if (n > (__u32)r)
		n = (__u32)r;
	if (n > PKTLUA_TCPDUMP_MAX)
		n = PKTLUA_TCPDUMP_MAX;
	return n;
}

/* The socket filter's view of an skb: its packet type (PACKET_OUTGOING at
 * egress, as the packet socket marks what it taps there) and the outer
 * VLAN tag the kernel keeps beside the frame. */
static __always_inline struct pl_filter_anc pktlua__tcpdump_anc(struct __sk_buff *skb, __u32 dir)
{
	struct pl_filter_anc anc = {
		.pkttype = dir == PKTLUA_TCPDUMP_OUT ? 4 /* PACKET_OUTGOING */ : skb->pkt_type,
		.vlan_present = skb->vlan_present,
		.vlan_tci = skb->vlan_tci,
		.vlan_tpid = bpf_ntohs((__u16)skb->vlan_proto),
	};
	return anc;
}

/* XDP: the frame without its outer tag (0x8100 or 0x88a8 after the MAC
 * addresses), as the stack's skb_vlan_untag() leaves it for the packet
 * socket, into S->data: N bytes of the untagged frame (N <= its length). */
static __always_inline long pktlua__tcpdump_untag_xdp(struct xdp_md *ctx,
						      struct pktlua_tcpdump_slot *s, __u32 n)
{
	long err = bpf_xdp_load_bytes(ctx, 0, s->data, 12);

	if (err || n <= 12)
		return err;
	return bpf_xdp_load_bytes(ctx, 16, s->data + 12,
				  pktlua__tcpdump_clamp(n - 12, PKTLUA_TCPDUMP_MAX - 12));
}

/* The end of both macros, once the expression has run: R (its result,
 * an lvalue) > 0 is a match. What it keeps of the SEEN bytes goes into the
 * slot S (an lvalue: taken now if there is none yet) by COPY(CTX, S, N) —
 * unless the HAVE bytes already there are enough — and is sent to RING as
 * seen on IFINDEX in direction DIR. R < 0 (now or before) counts a lost
 * record. The value: 1 sent, 0 not matched, -1 lost. */
#define pktlua__tcpdump_finish(r, s, have, copy, ctx, ring, seen, snaplen, ifindex, dir) \
	({                                                                              \
		int ret__ = 0;                                                          \
		if ((r) > 0) {                                                          \
			__u32 cap__ = pktlua__tcpdump_caplen((seen), (snaplen), (r));   \
			if (!(s) && !((s) = pktlua__tcpdump_slot()))                    \
				(r) = -1;                                               \
			else if (cap__ > (have) && copy((ctx), (s), cap__))             \
				(r) = -1;                                               \
			else                                                            \
				ret__ = pktlua__tcpdump_send((ring), (s), (seen), cap__, \
							     (ifindex), (dir));         \
		}                                                                       \
		if ((r) < 0) {                                                          \
			pktlua__count_lost((ring));                                     \
			ret__ = -1;                                                     \
		}                                                                       \
		ret__;                                                                  \
	})

/* Why macros: FILTER names two generated functions (FILTER__live on packet
 * pointers, FILTER__livebuf on a copy), and BPF C has no function pointers
 * to pass them as.
 *
 * tc: the expression runs on the skb as tcpdump's kernel filter does — its
 * bytes (an outer tag is not among them) and the tag beside them — in
 * place when all of it is in the linear area (and at most 64 KB), else on a
 * copy. The record gets the tag back into its bytes, as libpcap does. A
 * looped-back copy of what this host sent (PACKET_LOOPBACK: a broadcast or
 * multicast it also delivers to itself) is not a packet tcpdump sees. */
#define pktlua_tcpdump_skb(skb, ring, filter, dir, snaplen)                            \
	({                                                                              \
		struct __sk_buff *sk_ = (skb);                                          \
		struct pktlua_tcpdump_slot *s_ = 0;                                     \
		struct pl_filter_anc anc_ = pktlua__tcpdump_anc(sk_, (dir));            \
		__u32 len_ = sk_->len, seen_ = len_ + (sk_->vlan_present ? 4 : 0);      \
		__u32 have_ = 0;           /* frame bytes in the slot, tag included */  \
		void *d_ = (void *)(long)sk_->data, *de_ = (void *)(long)sk_->data_end; \
		int r_;                                                                 \
		if (anc_.pkttype == 5 /* PACKET_LOOPBACK */) {                          \
			r_ = 0;                 /* the packet socket skips these */     \
		} else if (len_ <= 0xffff && d_ + len_ <= de_) {                        \
			r_ = filter##__live(d_, de_, len_, &anc_);                      \
		} else if ((s_ = pktlua__tcpdump_slot())) {                             \
			s_->rec.caplen = len_ < PKTLUA_TCPDUMP_MAX ? len_ : PKTLUA_TCPDUMP_MAX; \
			if (s_->rec.caplen && bpf_skb_load_bytes(sk_, 0, s_->data,      \
				pktlua__tcpdump_clamp(s_->rec.caplen, PKTLUA_TCPDUMP_MAX))) \
				r_ = -1;                                                \
			else                                                            \
				r_ = filter##__livebuf(s_->data, &s_->rec.caplen, len_, &anc_); \
			if (!sk_->vlan_present)                                         \
				have_ = s_->rec.caplen;                                 \
		} else {                                                                \
			r_ = -1;                                                        \
		}                                                                       \
		pktlua__tcpdump_finish(r_, s_, have_, pktlua__tcpdump_copy_skb, sk_,    \
				       (ring), seen_, (snaplen), sk_->ifindex, (dir));  \
	})

/* XDP: the frame as the driver hands it over. An outer 802.1Q or 802.1ad
 * tag in its bytes is one the stack will take off before the packet socket
 * sees the frame, so the expression runs as on that skb: on a copy without
 * the tag, the tag beside it. The record holds the frame as it came (what
 * libpcap rebuilds). A tag the device took off already is not there. */
#define pktlua_tcpdump_xdp(ctx, ring, filter, snaplen)                                 \
	({                                                                              \
		struct xdp_md *x_ = (ctx);                                              \
		struct pktlua_tcpdump_slot *s_ = 0;                                     \
		struct pl_filter_anc anc_ = { 0 };                                      \
		__u32 len_ = (__u32)bpf_xdp_get_buff_len(x_), have_ = 0;                \
		unsigned char *d_ = (void *)(long)x_->data;                             \
		void *de_ = (void *)(long)x_->data_end;                                 \
		int r_, tagged_ = 0;                                                    \
		if (len_ >= 18 && (void *)(d_ + 16) <= de_ &&                           \
		    ((d_[12] == 0x81 && d_[13] == 0x00) || (d_[12] == 0x88 && d_[13] == 0xa8))) { \
			tagged_ = 1;                                                    \
			anc_.vlan_present = 1;                                          \
			anc_.vlan_tpid = (__u32)d_[12] << 8 | d_[13];                   \
			anc_.vlan_tci = (__u32)d_[14] << 8 | d_[15];                    \
		}                                                                       \
		if (!tagged_ && len_ <= 0xffff && (void *)(d_ + len_) <= de_) {         \
			r_ = filter##__live(d_, de_, len_, &anc_);                      \
		} else if ((s_ = pktlua__tcpdump_slot())) {                             \
			__u32 un_ = len_ - (tagged_ ? 4 : 0);                           \
			s_->rec.caplen = un_ < PKTLUA_TCPDUMP_MAX ? un_ : PKTLUA_TCPDUMP_MAX; \
			if (s_->rec.caplen && (tagged_ ?                                \
				pktlua__tcpdump_untag_xdp(x_, s_, s_->rec.caplen) :     \
				pktlua__tcpdump_copy_xdp(x_, s_, s_->rec.caplen)))      \
				r_ = -1;                                                \
			else                                                            \
				r_ = filter##__livebuf(s_->data, &s_->rec.caplen, un_, &anc_); \
			if (!tagged_)                                                   \
				have_ = s_->rec.caplen;                                 \
		} else {                                                                \
			r_ = -1;                                                        \
		}                                                                       \
		pktlua__tcpdump_finish(r_, s_, have_, pktlua__tcpdump_copy_xdp, x_,     \
				       (ring), len_, (snaplen), x_->ingress_ifindex,    \
				       PKTLUA_TCPDUMP_IN);                              \
	})

#endif
