/* replay.h — run the packets of a capture file through a packet program.
 *
 * Each packet goes through the program once with BPF_PROG_TEST_RUN, so the
 * program's maps change as they would on live traffic. Verdicts are counted
 * by return value; packets the kernel cannot take are counted (and warned
 * about, with their number), never dropped silently. Plain C, no Lua. */
#ifndef PKTLUA_REPLAY_H
#define PKTLUA_REPLAY_H

#include <bpf/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest linear packet BPF_PROG_TEST_RUN takes for XDP on 4 KiB pages:
 * PAGE_SIZE - XDP_PACKET_HEADROOM (256) - skb_shared_info (320). */
#define PL_REPLAY_XDP_LINEAR_MAX 3520

/* Return values counted one by one (TC_ACT_UNSPEC -1 .. TC_ACT_TRAP 8). */
#define PL_REPLAY_RET_MIN (-1)
#define PL_REPLAY_RET_MAX 8
#define PL_REPLAY_NRET (PL_REPLAY_RET_MAX - PL_REPLAY_RET_MIN + 1)

/* Zero means the default, as in the Lua table pcap.replay(prog, file, opts). */
struct pl_replay_opts {
	const char *out;         /* write the kept packets to this pcap file */
	bool keep_drop;          /* ... or the ones not kept (keep = "drop") */
	bool frags;              /* XDP program with BPF_F_XDP_HAS_FRAGS: big frames go as fragments */
	unsigned max_warnings;   /* per-packet warnings printed (default 10) */
};

struct pl_replay_result {
	uint64_t packets;        /* read from the file */
	uint64_t run;            /* went through the program */
	uint64_t errors;         /* not run: short + too_big + refused + bad_link */
	uint64_t short_pkts;     /* under 14 bytes (no Ethernet header) */
	uint64_t too_big;        /* larger than the kernel takes for this program */
	uint64_t refused;        /* BPF_PROG_TEST_RUN failed for another reason */
	uint64_t bad_link;       /* link layer could not become Ethernet */
	uint64_t kept, not_kept; /* by the program type's rule (see pl_replay_kept) */
	uint64_t written;        /* to opts.out */
	uint64_t by_ret[PL_REPLAY_NRET];   /* [retval - PL_REPLAY_RET_MIN] */
	uint64_t other_ret;      /* return values outside that range */
	uint64_t wall_ns;        /* time the whole replay took */
};

/* Replay FILE through the program PROG_FD of TYPE (XDP, SCHED_CLS,
 * SCHED_ACT or SOCKET_FILTER). Fills *RES even on failure (what was done so
 * far). Returns 0, or -errno with a message in ERR: an unsupported program
 * type or link type, an unreadable or corrupt file (naming the packet), an
 * output file that cannot be written.
 *
 * Link types: Ethernet as is; raw IP and Linux cooked (SLL, SLL2) frames get
 * an Ethernet header synthesized (pl_pcap_to_ether). Socket filters see the
 * frame from its Ethernet header, as on the packet socket attach uses. The
 * packets written to OUT are the original bytes with their timestamps. */
int pl_replay_file(int prog_fd, enum bpf_prog_type type, const char *file,
		   const struct pl_replay_opts *opts, struct pl_replay_result *res,
		   char *err, size_t errlen);

/* One Ethernet frame through the program, counted in RES (run, too_big,
 * refused, by_ret/other_ret, kept/not_kept; errors for failures). FRAME holds
 * N bytes, either inside the caller's packet or at BUF + ETH_HLEN (14); BUF
 * has room for ETH_HLEN + N bytes, used to give socket filters the Ethernet
 * header they see live. FRAGS: an XDP program with BPF_F_XDP_HAS_FRAGS.
 * Returns true with *RETVAL set, or false with WHY saying why the frame was
 * not run (for the caller's per-packet warning). Shared by pcap.replay and
 * --pcap, so both feed frames exactly alike. */
bool pl_replay_frame(int prog_fd, enum bpf_prog_type type, bool frags,
		     const uint8_t *frame, uint32_t n, uint8_t *buf,
		     struct pl_replay_result *res, int *retval, char *why, size_t whylen);

/* Is a packet the program returned RETVAL for "kept"? XDP_PASS; TC_ACT_OK
 * or TC_ACT_UNSPEC; a socket filter's non-zero. */
bool pl_replay_kept(enum bpf_prog_type type, int retval);

/* "XDP_PASS", "TC_ACT_SHOT", ... or NULL for a value without a name (and
 * for socket filters, which only keep or drop). */
const char *pl_replay_verdict_name(enum bpf_prog_type type, int retval);

#endif
