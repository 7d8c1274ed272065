/* live.h — live capture with a tcpdump expression running in the kernel:
 * `pktlua --filter EXPR -i IFACE`.
 *
 * The expression is compiled as `tcpdump -i IFACE` compiles it (Ethernet,
 * the snap length, the interface's netmask: pl_filter_iface_to_c()) and
 * built, with <pktlua/tcpdump.h>, into one BPF object: a tc program per
 * direction (tcx links; ingress first in the interface's chain, egress
 * last, so the frames are those tcpdump's packet socket sees, before other
 * tc programs at ingress and after them at egress) or an XDP program
 * (ingress only). On loopback, where each packet passes egress and then
 * ingress, only ingress is captured, as libpcap does. Each match goes
 * through one ring buffer — the frame as
 * tcpdump sees it (the outer VLAN tag put back from skb->vlan_tci), cut at
 * the snap length, with its wire length, time, interface and direction —
 * and is handed to a callback. Every match the ring cannot take is counted.
 *
 * Lifetime: pl_live__open() checks, compiles and loads (nothing attached);
 * pl_live__attach() attaches everything or nothing; pl_live__run() reads
 * until the callback says stop, SIGINT/SIGTERM, or an interface goes away;
 * pl_live__close() detaches and unloads. Every attachment is a link, so
 * nothing outlives the process (SIGKILL included). Plain C, no Lua. */
#ifndef PKTLUA_LIVE_H
#define PKTLUA_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_live;

/* Directions (the values pcapng's epb_flags use). */
#define PL_LIVE_IN 1u
#define PL_LIVE_OUT 2u

/* Zero means the default. */
struct pl_live_opts {
	const char *expr;            /* tcpdump expression; NULL or "": every packet */
	const char *const *ifaces;   /* interface names; N_IFACES of them (>= 1) */
	size_t n_ifaces;
	uint32_t snaplen;            /* bytes kept of each packet, 1..262144; 0: 262144 */
	unsigned dirs;               /* PL_LIVE_IN | PL_LIVE_OUT; 0: both (tc), in (XDP) */
	bool xdp;                    /* at XDP (ingress only) instead of tc */
	bool foreign;                /* tcpdump -f: compile with each interface's
				      * netmask (pl_filter_iface_to_c) */
	const char *xdp_mode;        /* "skb" (default: works on every device) or "native" */
	size_t ring_bytes;           /* ring buffer size, rounded up to a power of 2
				      * (at least a page); 0: PL_LIVE_RING_DEFAULT */
};

#define PL_LIVE_RING_DEFAULT (4u << 20)
#define PL_LIVE_SNAPLEN_MAX 262144u

/* One captured packet, valid during the callback only. */
struct pl_live_pkt {
	const uint8_t *data;         /* CAPLEN bytes of the frame as tcpdump sees it */
	uint32_t caplen;
	uint32_t len;                /* its length on the wire (a put-back tag included) */
	int64_t ts_ns;               /* nanoseconds since the epoch */
	unsigned iface;              /* index into opts.ifaces */
	unsigned dir;                /* PL_LIVE_IN or PL_LIVE_OUT */
};

/* Called for each packet; a non-zero return ends pl_live__run() (the
 * packets still in the ring are not handed out then). */
typedef int (*pl_live_fn)(void *ctx, const struct pl_live_pkt *pkt);

struct pl_live_stats {
	uint64_t captured;           /* handed to the callback */
	uint64_t dropped;            /* matched but the ring was full (or the copy failed) */
};

/* Check the options and the interfaces (each must exist and be Ethernet or
 * loopback), compile and load. NULL with errno set and ERR naming the thing
 * and the reason: "no such interface 'eth9'", libpcap's words for a bad
 * expression ("filter 'udp prot 53': syntax error"), a verifier rejection. */
struct pl_live *pl_live__open(const struct pl_live_opts *opts, char *err, size_t errlen);

/* Attach to every interface, all or nothing. 0 or -errno with ERR set. */
int pl_live__attach(struct pl_live *l, char *err, size_t errlen);

/* The attachments, one line for messages: "va (tc in+out), vb (tc in+out)". */
const char *pl_live__describe(const struct pl_live *l);

/* Hand out packets until FN returns non-zero (0), a signal is posted (0;
 * *SIGNAL gets it), or an interface goes away (-ENODEV, ERR names it).
 * Before returning, the programs are detached and what the ring still holds
 * is handed out (unless FN asked to stop), so every match is counted
 * either as captured or as dropped. */
int pl_live__run(struct pl_live *l, pl_live_fn fn, void *ctx, int *signal,
		 char *err, size_t errlen);

/* From the caller's SIGINT/SIGTERM handler (async-signal-safe): end the
 * running pl_live__run(), or the next one, as for a signal. */
void pl_live__post_signal(struct pl_live *l, int sig);

void pl_live__stats(const struct pl_live *l, struct pl_live_stats *st);

/* Detach (if attached), unload, free. NULL is fine. */
void pl_live__close(struct pl_live *l);

#endif
