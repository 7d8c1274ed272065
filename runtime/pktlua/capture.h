/* pktlua/capture.h — copy packets from XDP or tc into a ring buffer, for a
 * pcap file on the Lua side (require "pktlua.capture").
 *
 *   #include <pktlua/capture.h>
 *   PKTLUA_RINGBUF(capture, 4 << 20);
 *   SEC("xdp") int dump(struct xdp_md *ctx)
 *   {
 *       pktlua_capture(ctx, &capture);           // ctx: xdp_md or __sk_buff
 *       return XDP_PASS;
 *   }
 *   -- Lua: capture.to_pcap(p, p.maps.capture, "out.pcap")
 *
 * Each packet becomes one fixed-size struct pktlua_capture_rec: the time
 * (bpf_ktime_get_ns(), CLOCK_MONOTONIC: the Lua sink turns it into wall-clock
 * time), the packet's length and the first caplen = min(len, PKTLUA_SNAPLEN)
 * bytes. PKTLUA_SNAPLEN is a compile-time constant (default 256, at most
 * 65535; set it with bpf.load{defines = {PKTLUA_SNAPLEN = 1514}}): the
 * verifier needs a constant bound on the copy, and ring buffer records are
 * reserved at their full size.
 *
 * pktlua_capture() returns 0, or -errno when the record was dropped; a drop
 * (ring buffer full: -EAGAIN, as bpf_ringbuf_output says) is counted as pktlua_emit() counts it, so bpf.lost(map)
 * and the note at exit see it. XDP packets with fragments (xdp.frags) are
 * copied from the whole buffer too: bpf_xdp_load_bytes reads across them. */
#ifndef PKTLUA_CAPTURE_H
#define PKTLUA_CAPTURE_H

#include <pktlua/bpf.h>
#include <pktlua/events.h>
#include <linux/errno.h>

#ifndef PKTLUA_SNAPLEN
#define PKTLUA_SNAPLEN 256
#endif
#if PKTLUA_SNAPLEN < 1 || PKTLUA_SNAPLEN > 65535
#error "PKTLUA_SNAPLEN must be 1..65535"
#endif

/* The record as user space reads it (native byte order, 16-byte header). */
struct pktlua_capture_rec {
	__u64 ts_ns;    /* bpf_ktime_get_ns() when the packet was seen */
	__u32 len;      /* the packet's length on the wire (all of it) */
	__u32 caplen;   /* bytes of data[] that are the packet's */
	__u8 data[PKTLUA_SNAPLEN];
};
PKTLUA_EVENT_TYPE(struct pktlua_capture_rec);

/* The copy length, bounded so the verifier sees 1..PKTLUA_SNAPLEN. The empty
 * asm keeps clang from folding the clamp into a form the verifier loses. */
static __always_inline __u32 pktlua__caplen(__u32 len)
{
	__u32 n = len;

	if (n > PKTLUA_SNAPLEN)
		n = PKTLUA_SNAPLEN;
	asm volatile("" : "+r"(n));
	return n;
}

/* Reserve a record for a packet of LEN bytes and fill its header; NULL (the
 * drop counted) when the ring is full. *N is how many bytes to copy. */
static __always_inline struct pktlua_capture_rec *
pktlua__capture_begin(void *ringbuf, __u32 len, __u32 *n)
{
	struct pktlua_capture_rec *rec = bpf_ringbuf_reserve(ringbuf, sizeof(*rec), 0);

	if (!rec) {
		pktlua__count_lost(ringbuf);
		return NULL;
	}
	rec->ts_ns = bpf_ktime_get_ns();
	rec->len = len;
	*n = pktlua__caplen(len);
	return rec;
}

/* Record how many bytes LOADED says were copied, and submit. */
static __always_inline long pktlua__capture_end(void *ringbuf, struct pktlua_capture_rec *rec,
						__u32 n, bool loaded)
{
	rec->caplen = loaded ? n : 0;
	bpf_ringbuf_submit(rec, pktlua__wakeup_flags(ringbuf, sizeof(*rec)));
	return 0;
}

/* The copy stays in each variant: the verifier must see the length bound
 * right at the call of the context's own load helper. */
static __always_inline long pktlua__capture_xdp(struct xdp_md *ctx, void *ringbuf)
{
	__u32 n;
	struct pktlua_capture_rec *rec =
		pktlua__capture_begin(ringbuf, (__u32)bpf_xdp_get_buff_len(ctx), &n);

	if (!rec)
		return -EAGAIN;
	bool loaded = n >= 1 && n <= PKTLUA_SNAPLEN && !bpf_xdp_load_bytes(ctx, 0, rec->data, n);
	return pktlua__capture_end(ringbuf, rec, n, loaded);
}

static __always_inline long pktlua__capture_skb(struct __sk_buff *skb, void *ringbuf)
{
	__u32 n;
	struct pktlua_capture_rec *rec = pktlua__capture_begin(ringbuf, skb->len, &n);

	if (!rec)
		return -EAGAIN;
	bool loaded = n >= 1 && n <= PKTLUA_SNAPLEN && !bpf_skb_load_bytes(skb, 0, rec->data, n);
	return pktlua__capture_end(ringbuf, rec, n, loaded);
}

#define pktlua_capture(ctx, ringbuf)                                                  \
	_Generic((ctx),                                                               \
		struct xdp_md *: pktlua__capture_xdp((struct xdp_md *)(void *)(ctx), (ringbuf)), \
		struct __sk_buff *: pktlua__capture_skb((struct __sk_buff *)(void *)(ctx), (ringbuf)))

#endif
