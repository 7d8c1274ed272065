/* filter.h — tcpdump expressions → classic BPF (libpcap) → C for BPF code.
 *
 * libpcap's pcap_compile() (optimiser on) turns an expression into classic
 * BPF for a link type; pl_filter_to_c() turns that into C the verifier
 * accepts: a bounds check before every packet load (absolute, indirect and
 * the 4*(ip[0]&0xf) load), the 16-word scratch memory as locals, forward
 * jumps as gotos, and a backward jump (libpcap's `ip6 protochain` loop) as a
 * loop with a bounded trip count. Semantics are libpcap's own interpreter's
 * (bpf_filter.c), which is what `tcpdump -r` uses: a load past the captured
 * bytes rejects the packet, division by zero rejects, `len` is the wire
 * length. Classic BPF that cannot be translated faithfully (Linux ancillary
 * loads such as SKF_AD_*, unknown opcodes, jumps out of the program) is
 * refused with a message, never mistranslated.
 *
 * The C text is self-contained (no headers needed, no types beyond C's own),
 * so it can go before a snippet's own #includes. Plain C, no Lua. */
#ifndef PKTLUA_FILTER_H
#define PKTLUA_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libpcap's struct bpf_program (<pcap/pcap.h>). Not included here: libpcap's
 * struct bpf_insn and the kernel's (<linux/bpf.h>, which libbpf's headers
 * include) share a name, so one file cannot include both. Files that use
 * libbpf call the two functions at the end of this header, which need no
 * libpcap type. */
struct bpf_program;

/* Largest frame the PL_FILTER_BUF flavour takes (the map value it reads
 * from holds this many bytes): libpcap's largest snap length. */
#define PL_FILTER_BUF_MAX 262144

/* The flavours of generated function (or them together). For NAME:
 *
 * PL_FILTER_PKT — packet pointers, for XDP and tc code:
 *   static __always_inline int NAME(const void *data, const void *data_end);
 *     the wire length is taken to be data_end - data;
 *   static __always_inline int NAME__len(const void *data, const void *data_end,
 *                                        unsigned int wirelen);
 *     for when the wire length is known to be more than was captured.
 *
 * PL_FILTER_BUF — a frame in a BPF map value, with PL_FILTER_BUF_MAX bytes
 * readable from BUF on (what --filter's batch program runs):
 *   static __always_inline int NAME__buf(const unsigned char *buf,
 *                                        const unsigned int *caplen, unsigned int wirelen);
 *     *CAPLEN is the captured length, read again at every bounds check (a
 *     map value too, in --filter: the verifier then learns nothing from the
 *     checks, which keeps loops cheap to verify); *caplen > PL_FILTER_BUF_MAX
 *     rejects.
 *
 * Each returns classic BPF's return value: 0 for no match, non-zero (the snap
 * length the filter asks for) on a match. */
#define PL_FILTER_PKT 1u
#define PL_FILTER_BUF 2u
/* PL_FILTER_LIVE, with either or both — an expression compiled for a live
 * Linux interface (pl_filter_iface_to_c) may read socket-filter ancillary
 * data: the outer VLAN tag the kernel keeps beside the frame and the
 * packet type. Its functions take them (struct pl_filter_anc, defined in
 * the text) and have their own names:
 *   static __always_inline int NAME__live(const void *data, const void *data_end,
 *           unsigned int wirelen, const struct pl_filter_anc *anc);
 *   static __always_inline int NAME__livebuf(const unsigned char *buf,
 *           const unsigned int *caplen, unsigned int wirelen,
 *           const struct pl_filter_anc *anc);
 * Run on the frame as a socket filter sees it — an outer tag in
 * vlan_tci/vlan_present/vlan_tpid is not in the bytes — they answer as
 * tcpdump's kernel filter does. Other ancillary loads are still refused. */
#define PL_FILTER_LIVE 4u

/* The one backward jump libpcap emits (`ip6 protochain N`: a loop over the
 * IPv6 extension headers, one trip per header) becomes a loop of at most
 * this many trips; a packet that needs more is rejected (no match), where
 * tcpdump would go on (more than 64 extension headers: only a crafted
 * packet has them). The verifier walks every trip; the generated code makes
 * it forget what it knows of X at the back edge (PL_FILTER_FORGET in
 * filter.c), so each trip costs it about the same (measured on 6.18, one
 * filter in an XDP program: 3.9k instructions processed at 16 trips, 11k
 * at 64, 39k at 256; eight filters at 64 trips: 417k of the 1M limit). The
 * generated C honours a -DPL_FILTER_LOOP_MAX=n of its own. */
#define PL_FILTER_LOOP_MAX 64
#define PL_FILTER_STR_(x) #x
#define PL_FILTER_STR(x) PL_FILTER_STR_(x)

/* Compile EXPR with libpcap for LINKTYPE (DLT_*) and SNAPLEN (0: 262144),
 * optimiser on, netmask 0 (tcpdump -r's). Returns 0 with *PROG filled (release it with
 * pcap_freecode()), or -EINVAL with libpcap's message in ERR, prefixed by the
 * expression: "filter 'udp prot 53': syntax error". */
int pl_filter_compile(const char *expr, int linktype, uint32_t snaplen,
		      struct bpf_program *prog, char *err, size_t errlen);

/* pcap_compile(P, PROG, EXPR, 1, 0) — what pl_filter_compile() does on a
 * handle of the caller's (a capture's) — in a child process: libpcap's
 * optimizer is cubic (a few hundred terms take minutes and gigabytes), so
 * the compile must stay interruptible and bounded. The child has
 * PL_FILTER_COMPILE_MB of memory and PL_FILTER_COMPILE_S seconds of CPU
 * more than we have; a Ctrl-C (pl_interrupt_pending) ends it at once.
 * Expressions up to PL_FILTER_COMPILE_HERE bytes (some 30 terms: at most
 * milliseconds) compile in this process. Returns 0 with *PROG filled
 * (pcap_freecode() it), -EINVAL (libpcap's message), -E2BIG (over a limit),
 * -EINTR (interrupted) or -errno, with "filter 'EXPR': why" in ERR. */
#define PL_FILTER_COMPILE_HERE 256
#define PL_FILTER_COMPILE_MB 2048
/* An expression in a message: whole up to PL_FILTER_QUOTE_MAX bytes, else
 * its start and "...". Goes with "%.*s%s": "filter '%.*s%s': ...". */
#define PL_FILTER_QUOTE_MAX 120
#define PL_FILTER_QUOTE(e)                                                         \
	(int)(strlen(e) > PL_FILTER_QUOTE_MAX ? PL_FILTER_QUOTE_MAX - 3 : strlen(e)), \
	(e), (strlen(e) > PL_FILTER_QUOTE_MAX ? "..." : "")
#define PL_FILTER_COMPILE_S 30
struct pcap;
int pl_filter_pcap_compile(struct pcap *p, const char *expr, struct bpf_program *prog,
			   char *err, size_t errlen);
/* The same with NETMASK (network order, as pcap_lookupnet() gives it) for
 * `ip broadcast`: what a live interface's compile passes. */
int pl_filter_pcap_compile_mask(struct pcap *p, const char *expr, uint32_t netmask,
				struct bpf_program *prog, char *err, size_t errlen);

/* C text (malloc'd, NUL-terminated) defining the FLAVOURS of function NAME
 * (a C identifier) for PROG. EXPR, if not NULL, goes into a comment above
 * them. Returns NULL with errno set and a message in ERR: EINVAL for a
 * program that cannot be translated (saying which instruction and why) or a
 * NAME that is not an identifier, ENOMEM. */
char *pl_filter_to_c(const struct bpf_program *prog, const char *name, const char *expr,
		     unsigned flavours, char *err, size_t errlen);

/* The same without libpcap's types, for files that include libbpf:
 *
 * pl_filter_expr_to_c: compile EXPR for LINKTYPE/SNAPLEN and translate it in
 * one step (as the two above; errors as theirs).
 *
 * pl_filter_insns: compile EXPR and return its classic BPF as a malloc'd
 * array of *N instructions in *INSNS (free() it); 0 or -EINVAL (message in
 * ERR as pl_filter_compile's) or -ENOMEM. */
struct pl_filter_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

char *pl_filter_expr_to_c(const char *expr, int linktype, uint32_t snaplen, const char *name,
			  unsigned flavours, char *err, size_t errlen);
/* pl_filter_iface_to_c: EXPR compiled as `tcpdump -i IFACE` compiles it:
 * on a live libpcap handle of IFACE (which must carry Ethernet: link type
 * EN10MB), SNAPLEN (0: 262144), optimiser on — so `vlan`, `inbound` and
 * `outbound` use Linux's ancillary data, as in tcpdump's kernel filter.
 * The netmask (`ip broadcast` is the only use libpcap has for it): 0, as
 * tcpdump 4.99 compiles without -f; with FOREIGN, IFACE's as tcpdump -f
 * compiles (pcap_lookupnet(): network byte order, passed on as it is; 0
 * when IFACE has no IPv4 address). Translated as pl_filter_to_c() does;
 * FLAVOURS should include PL_FILTER_LIVE. *NETMASK (if not NULL) gets the
 * netmask used (as libpcap got it). NULL with errno set and ERR naming the
 * interface or the expression and the reason. */
char *pl_filter_iface_to_c(const char *expr, const char *iface, uint32_t snaplen,
			   const char *name, unsigned flavours, bool foreign, uint32_t *netmask,
			   char *err, size_t errlen);
int pl_filter_insns(const char *expr, int linktype, uint32_t snaplen,
		    struct pl_filter_insn **insns, size_t *n, char *err, size_t errlen);

#endif
