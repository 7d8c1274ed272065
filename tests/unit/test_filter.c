/* test_filter.c — tcpdump expressions → classic BPF → C (host/filter.c).
 *
 * (a) expressions compile and translate for several link types; what cannot
 *     be translated is refused with a message naming the instruction;
 * (b) differential: the generated C (both flavours) is compiled natively
 *     with the system C compiler into a shared object, run over crafted,
 *     truncated and randomly mutated packets, and compared with libpcap's
 *     own interpreter, bpf_filter(): any disagreement fails, printing the
 *     expression and the packet. No root, no kernel. */
#include "harness.h"
#include "packets/filter.h"

#include <pcap/pcap.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const exprs[] = {
	"ip", "ip6", "arp", "tcp", "udp", "icmp", "icmp6", "vlan", "vlan 10", "vlan and vlan",
	"vlan and ip and udp",
	"host 198.18.0.1", "src host 198.18.0.1", "dst host 198.18.0.2", "net 198.18.0.0/15",
	"src net 10.0.0.0/8 or dst net 192.168.0.0/16", "host fe80::1", "ip6 net 2001:db8::/32",
	"port 53", "udp port 53", "tcp dst port 80 or tcp dst port 443", "src port 1234",
	"portrange 1000-2000", "tcp portrange 20-25", "ether host 02:00:00:00:00:01",
	"ether broadcast", "ether multicast", "ip multicast", "ip broadcast",
	"ip[16] >= 224 and ether[0] & 1 = 0",
	"tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "tcp[tcpflags] & tcp-rst != 0",
	"len > 100", "len <= 64", "greater 200", "less 60", "ip[8] < 64", "udp[8:2] = 0x1234",
	"ip[6:2] & 0x1fff != 0", "ip[0] & 0xf > 5", "tcp[13] = 2", "icmp[icmptype] = icmp-echo",
	"ip6 protochain 6", "ip6 protochain 17", "ip protochain 6",
	"not tcp", "tcp and not port 22", "(udp or icmp) and not host 198.18.0.9",
	"ip[0] / ip[1] = 1", "ip[0] % ip[1] = 2", "ip[2:2] << ip[1] = 4", "ip[2:2] >> ip[9] = 0",
	"-ip[2] = 0 and ip[0] ^ ip[1] != 7", "ip[2:2] * 3 - ip[9] > 100", "ether[0:4] & 0xff = 2",
	"ip6[6] = 58", "icmp6 and ip6[40] = 128", "ip and ip[9] = 17 and udp[0:2] > 1023",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
	"ether[70000] = 1", "ether proto 0x88cc", "mpls", "pppoes",
	/* Rarer primitives (libpcap refuses some for some link types). */
	"mpls 100 and ip", "pppoed", "pppoes 7 and ip6", "geneve", "geneve 10 and ip",
	"llc", "stp", "iso", "isis", "decnet", "atalk", "ipx", "netbeui", "arp or rarp",
	"ip6 protochain 44", "ip6 protochain 0 or ip6 protochain 60", "ip proto \\tcp",
	"icmp6[icmp6type] = icmp6-echo", "icmp[icmpcode] != 0", "ip[ip[0] & 0xf] = 0",
	"ether[12:2] = 0x8100 and ether[14:2] & 0xfff = 100", "ip6 multicast", "ether src 02:00:00:00:00:02",
};

/* The link types the tests cover, with one expression list each. */
struct lt {
	int dlt;
	const char *name;
	size_t hdr;      /* bytes of link header we make from an Ethernet frame */
};

static const struct lt lts[] = {
	{ DLT_EN10MB, "EN10MB", 14 },
	{ DLT_LINUX_SLL, "LINUX_SLL", 16 },
	{ DLT_RAW, "RAW", 0 },
	{ DLT_NULL, "NULL", 4 },
	{ DLT_PPP, "PPP", 4 },
	/* libpcap's code for it loads at X + 0xfffffffe (out of range). */
	{ DLT_JUNIPER_VS, "JUNIPER_VS", 4 },
};

/* Expressions some link types do not have (libpcap says so). */
static bool link_specific(const char *e)
{
	static const char *const words[] = {
		"ether", "vlan", "arp", "mpls", "pppoe", "llc", "stp", "iso", "isis", "decnet",
		"atalk", "ipx", "netbeui",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(e, words[i]))
			return true;
	return false;
}

/* ---- (a) compile, translate, refuse ---------------------------------------- */

static void test_translate_all(void)
{
	char err[512];
	size_t n = sizeof(exprs) / sizeof(exprs[0]);

	for (size_t l = 0; l < sizeof(lts) / sizeof(lts[0]); l++) {
		for (size_t i = 0; i < n; i++) {
			struct bpf_program prog;
			int r = pl_filter_compile(exprs[i], lts[l].dlt, 0, &prog, err, sizeof(err));

			if (r < 0) {
				CHECK_MSG(l != 0 && link_specific(exprs[i]), "%s on %s: %s", exprs[i],
					  lts[l].name, err);
				CHECK_STR_CONTAINS(err, "filter '");
				continue;
			}
			char *c = pl_filter_to_c(&prog, "f", exprs[i], PL_FILTER_PKT | PL_FILTER_BUF,
						 err, sizeof(err));
			CHECK_MSG(c, "%s on %s: %s", exprs[i], lts[l].name, err);
			if (c) {
				CHECK_STR_CONTAINS(c, "static inline __always_inline int f(const void *data");
				CHECK_STR_CONTAINS(c, "int f__len(");
				CHECK_STR_CONTAINS(c, "int f__buf(");
			}
			free(c);
			pcap_freecode(&prog);
		}
	}
}

/* PL_FILTER_LIVE: the ancillary loads libpcap emits for a live Linux
 * interface (`vlan 100`, `outbound`) read the struct pl_filter_anc
 * argument; the functions have their own names; other ancillary loads are
 * still refused. (capture_live.sh runs them against tcpdump itself.) */
static void test_live(void)
{
	char err[512];
	struct bpf_program prog;
	char *c;
	/* ldb [vlanp]; jeq #1 → ldb [vlan_tci]; and #0xfff; jeq #100 → ld [type];
	 * ldh [vlan_tpid]; ret A ... */
	struct bpf_insn live[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)-0x1000 + 48),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 6),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)-0x1000 + 44),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xfff),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 100, 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (uint32_t)-0x1000 + 4),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (uint32_t)-0x1000 + 60),
		BPF_STMT(BPF_RET | BPF_A, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};

	prog = (struct bpf_program){ 9, live };
	c = pl_filter_to_c(&prog, "f", "live", PL_FILTER_PKT | PL_FILTER_BUF | PL_FILTER_LIVE, err,
			   sizeof(err));
	CHECK_MSG(c != NULL, "%s", err);
	if (c) {
		CHECK_STR_CONTAINS(c, "struct pl_filter_anc {");
		CHECK_STR_CONTAINS(c, "int f__live(const void *data, const void *data_end,");
		CHECK_STR_CONTAINS(c, "int f__livebuf(const unsigned char *buf,");
		CHECK_STR_CONTAINS(c, "const struct pl_filter_anc *anc)");
		CHECK_STR_CONTAINS(c, "a = anc->vlan_present;");
		CHECK_STR_CONTAINS(c, "a = anc->vlan_tci;");
		CHECK_STR_CONTAINS(c, "a = anc->pkttype;");
		CHECK_STR_CONTAINS(c, "a = anc->vlan_tpid;");
		CHECK(!strstr(c, "int f(const void"));
		CHECK(!strstr(c, "f__len("));
	}
	free(c);
	/* Without PL_FILTER_LIVE: refused, as before. */
	CHECK(!pl_filter_to_c(&prog, "f", "live", PL_FILTER_PKT, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "ancillary");
	/* SKF_AD_PROTOCOL stays refused. */
	live[0] = (struct bpf_insn)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (uint32_t)-0x1000 + 0);
	CHECK(!pl_filter_to_c(&prog, "f", "live", PL_FILTER_PKT | PL_FILTER_LIVE, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "ancillary");
	/* PL_FILTER_LIVE alone is no flavour. */
	CHECK(!pl_filter_to_c(&prog, "f", "live", PL_FILTER_LIVE, err, sizeof(err)));
}

static void test_refusals(void)
{
	char err[512];
	struct bpf_program prog;
	char *c;

	/* libpcap's own message, with the expression. */
	CHECK(pl_filter_compile("udp prot 53", DLT_EN10MB, 0, &prog, err, sizeof(err)) == -EINVAL);
	CHECK_STR_CONTAINS(err, "filter 'udp prot 53': ");
	CHECK_STR_CONTAINS(err, "syntax error");

	/* Linux ancillary data: SKF_AD_OFF + SKF_AD_PROTOCOL. */
	struct bpf_insn anc[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (uint32_t)-0x1000 + 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	prog = (struct bpf_program){ 2, anc };
	errno = 0;
	c = pl_filter_to_c(&prog, "f", "anc", PL_FILTER_PKT, err, sizeof(err));
	CHECK(!c && errno == EINVAL);
	CHECK_STR_CONTAINS(err, "instruction 0");
	CHECK_STR_CONTAINS(err, "ancillary");
	free(c);

	/* SKF_NET_OFF through an indirect load. */
	anc[0] = (struct bpf_insn)BPF_STMT(BPF_LD | BPF_B | BPF_IND, (uint32_t)-0x100000 + 9);
	c = pl_filter_to_c(&prog, "f", NULL, PL_FILTER_BUF, err, sizeof(err));
	CHECK(!c);
	CHECK_STR_CONTAINS(err, "SKF_NET_OFF");

	/* X + 0xfffffffe, as libpcap emits for Juniper and BACnet link types:
	 * no socket-filter meaning, out of range, translated (and rejecting,
	 * which the differential test checks against libpcap for JUNIPER_VS). */
	anc[0] = (struct bpf_insn)BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0xfffffffeu);
	c = pl_filter_to_c(&prog, "f", NULL, PL_FILTER_PKT | PL_FILTER_BUF, err, sizeof(err));
	CHECK_MSG(c != NULL, "%s", err);
	free(c);
	c = pl_filter_expr_to_c("tcp port 80", DLT_JUNIPER_VS, 0, "j", PL_FILTER_PKT, err, sizeof(err));
	CHECK_MSG(c != NULL, "%s", err);
	free(c);

	struct bpf_insn jmp[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 5),
		BPF_STMT(BPF_RET | BPF_K, 1),
	};
	prog = (struct bpf_program){ 3, jmp };
	c = pl_filter_to_c(&prog, "f", NULL, PL_FILTER_PKT, err, sizeof(err));
	CHECK(!c);
	CHECK_STR_CONTAINS(err, "instruction 1");
	CHECK_STR_CONTAINS(err, "outside the program");

	struct bpf_insn ja[] = {
		BPF_STMT(BPF_JMP | BPF_JA, 7),
		BPF_STMT(BPF_RET | BPF_K, 1),
	};
	prog = (struct bpf_program){ 2, ja };
	CHECK(!pl_filter_to_c(&prog, "f", NULL, PL_FILTER_PKT, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "outside the program");

	struct bpf_insn fall[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
	};
	prog = (struct bpf_program){ 2, fall };
	CHECK(!pl_filter_to_c(&prog, "f", NULL, PL_FILTER_PKT, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "instruction 1");
	CHECK_STR_CONTAINS(err, "past its last instruction");

	struct bpf_insn bad[] = {
		BPF_STMT(0xff, 0),
		BPF_STMT(BPF_RET | BPF_K, 1),
	};
	prog = (struct bpf_program){ 2, bad };
	CHECK(!pl_filter_to_c(&prog, "f", NULL, PL_FILTER_PKT, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "unknown");

	struct bpf_insn div0[] = {
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	prog = (struct bpf_program){ 2, div0 };
	CHECK(!pl_filter_to_c(&prog, "f", NULL, PL_FILTER_PKT, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "division by the constant 0");

	struct bpf_insn mem[] = {
		BPF_STMT(BPF_ST, 16),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	prog = (struct bpf_program){ 2, mem };
	CHECK(!pl_filter_to_c(&prog, "f", NULL, PL_FILTER_PKT, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "scratch memory");

	/* Names must be C identifiers. */
	prog = (struct bpf_program){ 2, ja };
	CHECK(!pl_filter_to_c(&prog, "is-dns", NULL, PL_FILTER_PKT, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "not a C identifier");

	/* The libpcap-free entry points. */
	struct pl_filter_insn *ins;
	size_t n;
	CHECK(pl_filter_insns("udp port 53", DLT_EN10MB, 0, &ins, &n, err, sizeof(err)) == 0);
	CHECK(n > 5 && ins[0].code == (BPF_LD | BPF_H | BPF_ABS) && ins[0].k == 12);
	free(ins);
	CHECK(pl_filter_insns("udp prot 53", DLT_EN10MB, 0, &ins, &n, err, sizeof(err)) == -EINVAL);
	c = pl_filter_expr_to_c("tcp", DLT_EN10MB, 0, "t", PL_FILTER_PKT, err, sizeof(err));
	CHECK(c && strstr(c, "int t("));
	free(c);
}

/* ---- (b) differential against libpcap ------------------------------------- */

typedef int (*pkt_fn)(const void *, const void *, unsigned int);
typedef int (*buf_fn)(const unsigned char *, const unsigned int *, unsigned int);

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Crafted Ethernet frames: the protocols and corner cases of the expressions. */
static size_t craft(int which, unsigned char *p)
{
	static const unsigned char eth[] = { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1 };
	size_t n = 0;

	memcpy(p, eth, 12);
	n = 12;
#define B(...) do { const unsigned char t_[] = { __VA_ARGS__ }; memcpy(p + n, t_, sizeof(t_)); n += sizeof(t_); } while (0)
	switch (which) {
	case 0: /* IPv4 TCP SYN 198.18.0.1:1234 -> 198.18.0.2:80, GET */
		B(0x08, 0x00, 0x45, 0, 0, 44, 0, 1, 0x40, 0, 64, 6, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2,
		  0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
		  'G', 'E', 'T', ' ');
		break;
	case 1: /* IPv4 with options, UDP 53, payload 0x1234 */
		B(0x08, 0x00, 0x46, 0, 0, 40, 0, 2, 0, 0, 3, 17, 0, 0, 10, 0, 0, 1, 192, 168, 1, 1,
		  1, 1, 1, 1, 0x13, 0x88, 0, 53, 0, 12, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0xab, 0xcd);
		break;
	case 2: /* IPv4 fragment (offset != 0), ICMP */
		B(0x08, 0x00, 0x45, 0, 0, 28, 0, 3, 0x20, 0x10, 64, 1, 0, 0, 198, 18, 0, 9, 255, 255,
		  255, 255, 8, 0, 0, 0, 0, 0, 0, 0);
		break;
	case 3: /* VLAN 10, IPv4 UDP 1500 -> 53 */
		B(0x81, 0x00, 0x00, 0x0a, 0x08, 0x00, 0x45, 0, 0, 30, 0, 4, 0, 0, 64, 17, 0, 0, 198, 18,
		  0, 1, 198, 18, 0, 2, 0x05, 0xdc, 0, 53, 0, 10, 0, 0, 0x12, 0x34);
		break;
	case 4: /* QinQ 0x88a8 / 0x8100, IPv4 TCP 443 */
		B(0x88, 0xa8, 0, 100, 0x81, 0x00, 0, 10, 0x08, 0x00, 0x45, 0, 0, 40, 0, 5, 0, 0, 64, 6,
		  0, 0, 198, 18, 0, 3, 198, 18, 0, 4, 0x30, 0x39, 0x01, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0,
		  0x50, 0x12, 0, 0, 0, 0, 0, 0);
		break;
	case 5: /* IPv6 hop-by-hop, routing, dest-opts, TCP 22 */
		B(0x86, 0xdd, 0x60, 0, 0, 0, 0, 44, 0, 64, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		  0, 0, 1, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		  43, 0, 1, 4, 0, 0, 0, 0, 60, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0,
		  0, 22, 0x9c, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0, 0);
		break;
	case 6: /* IPv6 AH then UDP */
		B(0x86, 0xdd, 0x60, 0, 0, 0, 0, 28, 51, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0,
		  0, 0, 0, 0, 1, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		  17, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 53, 0, 53, 0, 8, 0, 0);
		break;
	case 7: /* IPv6 ICMPv6 echo request */
		B(0x86, 0xdd, 0x60, 0, 0, 0, 0, 8, 58, 255, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		  0, 0, 1, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 128, 0, 0, 0, 0, 1, 0, 1);
		break;
	case 8: /* ARP request, broadcast */
		memset(p, 0xff, 6);
		B(0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 198, 18, 0, 1, 0, 0, 0, 0, 0,
		  0, 198, 18, 0, 2);
		break;
	default: /* IPv6 fragment header, then TCP */
		B(0x86, 0xdd, 0x60, 0, 0, 0, 0, 28, 44, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0,
		  0, 0, 0, 0, 1, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		  6, 0, 0, 0, 0, 0, 0, 7, 0, 80, 0x01, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x11, 0, 0);
		break;
	}
#undef B
	/* Pad some with a tail, as Ethernet padding does. */
	while (n < 60)
		p[n++] = 0;
	return n;
}

#define NCRAFT 10
#define PKT_CAP 80000

/* An Ethernet frame recast for link type LT: link header + the L3 bytes. */
static size_t relink(const struct lt *lt, const unsigned char *eth, size_t n, unsigned char *out)
{
	size_t l3 = 14;
	unsigned int type = eth[12] << 8 | eth[13];

	if (type == 0x8100 || type == 0x88a8)
		l3 = 18 + (eth[16] == 0x81 ? 4 : 0), type = eth[l3 - 2] << 8 | eth[l3 - 1];
	if (lt->dlt == DLT_EN10MB) {
		memcpy(out, eth, n);
		return n;
	}
	memset(out, 0, lt->hdr);
	switch (lt->dlt) {
	case DLT_LINUX_SLL:
		out[1] = 0;      /* to us */
		out[3] = 1;      /* ARPHRD_ETHER */
		out[5] = 6;
		memcpy(out + 6, eth + 6, 6);
		out[14] = type >> 8;
		out[15] = type & 0xff;
		break;
	case DLT_NULL: {
		uint32_t af = type == 0x86dd ? 10 : 2;
		memcpy(out, &af, 4);
		break;
	}
	case DLT_PPP:
		out[0] = 0xff;
		out[1] = 0x03;
		out[2] = 0;
		out[3] = type == 0x86dd ? 0x57 : 0x21;
		break;
	case DLT_JUNIPER_VS:
		memcpy(out, "MGC", 3);   /* Juniper's magic; flags 0 */
		break;
	}
	memcpy(out + lt->hdr, eth + l3, n - l3);
	return lt->hdr + n - l3;
}

/* Write the C of every translatable expression for LT to F, with a table of
 * entry points; *PROGS gets the classic programs, in the same order. */
static int write_lib(FILE *f, const struct lt *lt, struct bpf_program *progs, const char **names)
{
	char err[512], fname[32];
	int n = 0;

	fprintf(f, "static unsigned long pl_trips;\n"
		   "#define PL_FILTER_LOOP_MAX (pl_trips++, %du)\n", PL_FILTER_LOOP_MAX);
	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		if (pl_filter_compile(exprs[i], lt->dlt, 0, &progs[n], err, sizeof(err)) < 0)
			continue;
		snprintf(fname, sizeof(fname), "f%d", n);
		char *c = pl_filter_to_c(&progs[n], fname, exprs[i], PL_FILTER_PKT | PL_FILTER_BUF,
					 err, sizeof(err));
		if (!c) {
			CHECK_MSG(0, "%s: %s", exprs[i], err);
			pcap_freecode(&progs[n]);
			continue;
		}
		fputs(c, f);
		free(c);
		names[n++] = exprs[i];
	}
	fprintf(f, "typedef int (*pkt_fn)(const void *, const void *, unsigned int);\n"
		   "typedef int (*buf_fn)(const unsigned char *, const unsigned int *, unsigned int);\n"
		   "int pl_n = %d;\npkt_fn pl_pkt[] = {", n);
	for (int i = 0; i < n; i++)
		fprintf(f, "f%d__len, ", i);
	fprintf(f, "0 };\nbuf_fn pl_buf[] = {");
	for (int i = 0; i < n; i++)
		fprintf(f, "f%d__buf, ", i);
	fprintf(f, "0 };\nunsigned long pl_take_trips(void) { unsigned long t = pl_trips; "
		   "pl_trips = 0; return t; }\n");
	return n;
}

static void hexdump(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x%s", p[i], i % 32 == 31 ? "\n" : " ");
	fputc('\n', stderr);
}

static unsigned long compared, beyond_bound;

static void compare_one(const char *expr, const struct bpf_program *prog, pkt_fn pf, buf_fn bf,
			unsigned long (*take)(void), unsigned char *bigbuf, const unsigned char *pkt,
			unsigned int caplen, unsigned int wirelen)
{
	take();
	memset(bigbuf, 0xa5, caplen + 8 < PL_FILTER_BUF_MAX ? caplen + 8 : PL_FILTER_BUF_MAX);
	memcpy(bigbuf, pkt, caplen);
	int got_buf = bf(bigbuf, &caplen, wirelen);
	unsigned long trips = take();
	int got_pkt = caplen <= 0xffff ? pf(pkt, pkt + caplen, wirelen) : -1;

	if (trips > (unsigned long)PL_FILTER_LOOP_MAX) {
		/* Past the loop bound: rejected by design (and libpcap might loop
		 * for ever on such a packet: its AH step is not cumulative). */
		beyond_bound++;
		CHECK(got_buf == 0 && (got_pkt == 0 || got_pkt == -1));
		return;
	}
	unsigned int want = bpf_filter(prog->bf_insns, pkt, wirelen, caplen);
	compared++;
	if ((unsigned int)got_buf != want || (got_pkt != -1 && (unsigned int)got_pkt != want)) {
		CHECK_MSG(0, "'%s': libpcap %u, PKT %d, BUF %d, caplen %u wirelen %u", expr, want,
			  got_pkt, got_buf, caplen, wirelen);
		hexdump(pkt, caplen);
	}
}

static void test_differential(void)
{
	char dir[] = "/tmp/pl-filter-XXXXXX", src[64], so[64], cmd[512];
	size_t nlt = sizeof(lts) / sizeof(lts[0]);
	unsigned char *bigbuf = calloc(1, PL_FILTER_BUF_MAX);
	unsigned char *eth = malloc(PKT_CAP), *pkt = malloc(PKT_CAP);

	if (system("command -v cc >/dev/null 2>&1") != 0) {
		printf("SKIPPED: no C compiler (cc) on PATH for the differential test\n");
		exit(77);
	}
	CHECK(mkdtemp(dir) != NULL);
	for (size_t l = 0; l < nlt; l++) {
		struct bpf_program progs[sizeof(exprs) / sizeof(exprs[0])];
		const char *names[sizeof(exprs) / sizeof(exprs[0])];

		snprintf(src, sizeof(src), "%s/f%zu.c", dir, l);
		snprintf(so, sizeof(so), "%s/f%zu.so", dir, l);
		FILE *f = fopen(src, "w");
		int n = write_lib(f, &lts[l], progs, names);
		fclose(f);
		/* -Werror: the generated C must be warning-free with the host compiler. */
		snprintf(cmd, sizeof(cmd), "cc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -o %s %s",
			 so, src);
		int rc = system(cmd);
		CHECK_MSG(rc == 0, "%s failed", cmd);
		if (rc != 0)
			continue;
		void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
		CHECK_MSG(h, "dlopen %s: %s", so, dlerror());
		if (!h)
			continue;
		pkt_fn *pf = dlsym(h, "pl_pkt");
		buf_fn *bf = dlsym(h, "pl_buf");
		unsigned long (*take)(void) = (unsigned long (*)(void))dlsym(h, "pl_take_trips");

		for (int w = 0; w < NCRAFT; w++) {
			size_t en = craft(w, eth);
			size_t pn = relink(&lts[l], eth, en, pkt);

			for (int e = 0; e < n; e++) {
				/* Every truncation, wire length the original. */
				for (size_t cap = 0; cap <= pn; cap++)
					compare_one(names[e], &progs[e], pf[e], bf[e], take, bigbuf, pkt,
						    cap, pn);
				/* Longer on the wire than captured. */
				compare_one(names[e], &progs[e], pf[e], bf[e], take, bigbuf, pkt, pn,
					    pn + 150);
			}
			/* Mutations: flip 1-4 bytes, or set one to a protocol value. */
			for (int m = 0; m < 200; m++) {
				unsigned char mut[256];
				memcpy(mut, pkt, pn);
				int k = 1 + rnd() % 4;
				for (int j = 0; j < k; j++) {
					static const unsigned char vals[] = { 0, 6, 17, 1, 58, 43, 44, 51, 60,
									      0x81, 0x86, 0xdd, 0x08, 0xff, 0x45 };
					size_t at = rnd() % pn;
					mut[at] = rnd() % 2 ? (unsigned char)rnd() : vals[rnd() % sizeof(vals)];
				}
				unsigned int cap = rnd() % 3 ? pn : rnd() % (pn + 1);
				for (int e = 0; e < n; e++)
					compare_one(names[e], &progs[e], pf[e], bf[e], take, bigbuf, mut, cap,
						    pn + rnd() % 3 * 40);
			}
		}
		/* More IPv6 extension headers than the protochain loop takes:
		 * PL_FILTER_LOOP_MAX + 6 destination-options headers, then TCP.
		 * Past the bound the packet is rejected (compare_one checks it),
		 * the only place it differs from libpcap. */
		if (lts[l].dlt == DLT_EN10MB) {
			unsigned char *q = eth;
			unsigned int hops = PL_FILTER_LOOP_MAX + 6, plen = hops * 8 + 20;

			memset(eth, 0, PKT_CAP);
			memcpy(q, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x86\xdd", 14);
			q += 14;
			q[0] = 0x60, q[4] = plen >> 8, q[5] = plen & 0xff, q[6] = 60, q[7] = 64;
			q[8] = 0xfe, q[9] = 0x80, q[23] = 1, q[24] = 0xfe, q[25] = 0x80, q[39] = 2;
			q += 40;
			for (unsigned int h = 0; h < hops; h++, q += 8)
				q[0] = h + 1 < hops ? 60 : 6;        /* next header; length 0 */
			q[12] = 0x50, q[13] = 0x02;                  /* TCP SYN */
			size_t deep = 14 + 40 + plen;
			for (int e = 0; e < n; e++)
				compare_one(names[e], &progs[e], pf[e], bf[e], take, bigbuf, eth, deep, deep);
			CHECK(beyond_bound > 0);
		}
		/* Big frames: only the BUF flavour past 64 KB. */
		size_t en = craft(0, eth);
		memset(eth + en, 0x47, PKT_CAP - en);
		size_t pn = relink(&lts[l], eth, PKT_CAP - 100, pkt);
		for (int e = 0; e < n; e++) {
			compare_one(names[e], &progs[e], pf[e], bf[e], take, bigbuf, pkt, pn, pn);
			compare_one(names[e], &progs[e], pf[e], bf[e], take, bigbuf, pkt, 9000, pn);
		}
		fprintf(stderr, "%s: %d expressions, %lu comparisons so far, %lu past the loop bound\n",
			lts[l].name, n, compared, beyond_bound);
		dlclose(h);
		for (int e = 0; e < n; e++)
			pcap_freecode(&progs[e]);
		unlink(so);
		unlink(src);
	}
	rmdir(dir);
	CHECK(compared > 100000);
	free(bigbuf);
	free(eth);
	free(pkt);
}

int main(void)
{
	RUN(test_translate_all);
	RUN(test_refusals);
	RUN(test_live);
	RUN(test_differential);
	return pl_test_summary();
}
