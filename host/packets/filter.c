/* filter.c — tcpdump expressions → classic BPF (libpcap) → C for BPF code.
 *
 * The translation is one C statement (or two) per classic BPF instruction,
 * in the instruction order, with a label on every jump target and gotos for
 * the jumps: clang's optimiser turns that into the same straight-line code
 * a hand-written parser would be, and the verifier sees only forward
 * branches except for the one loop libpcap emits (`ip6 protochain`).
 *
 * The reference semantics are libpcap's interpreter (bpf_filter.c,
 * pcap_filter_with_aux_data), which `tcpdump -r` runs through
 * pcap_offline_filter():
 *  - A, X start at 0; a load of SIZE bytes at K needs K + SIZE <= caplen,
 *    else the filter returns 0 (no match); loads are big-endian;
 *  - indirect loads use X + K with the same rule, no wrap-around;
 *  - BPF_LEN is the wire length, not the captured length;
 *  - BPF_MSH loads 4 * (pkt[K] & 0xf) into X;
 *  - division and modulo by X == 0 return 0;
 *  - jumps are relative to the next instruction; jt/jf are 8-bit forward
 *    offsets, BPF_JA's K is 32 bits (and may wrap: a backward jump).
 *  - a shift by X >= 32 gives 0 (libpcap >= 1.10 says so explicitly, rather
 *    than leaving it to the CPU).
 * A shift by a constant K >= 32 and division by a constant 0 are refused:
 * libpcap's compiler never emits them ("shift by more than 31 bits",
 * "division by zero") and its interpreter leaves the result to the CPU.
 */
#include "packets/filter.h"

#include <pcap/pcap.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Packet pointers cannot reach further than this past `data` in the
 * verifier (MAX_PACKET_OFF): a range check against data_end only counts when
 * the pointer's offset is provably <= 0xffff. Linear XDP data is at most a
 * page (frags are not behind data_end) and tc's linear data past 64 KB is not
 * reachable with packet pointers either, so a PKT-flavour load that ends
 * past this offset rejects the packet: it could only read bytes that are not
 * between data and data_end anyway. */
#define PL_FILTER_PKT_MAX 0xffffu

/* ---- growing text buffer ---------------------------------------------- */

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

/* ---- compile ------------------------------------------------------------ */

int pl_filter_compile(const char *expr, int linktype, uint32_t snaplen,
		      struct bpf_program *prog, char *err, size_t errlen)
{
	pcap_t *p;
	int ret;

	memset(prog, 0, sizeof(*prog));
	p = pcap_open_dead(linktype, snaplen ? (int)snaplen : PL_FILTER_BUF_MAX);
	if (!p) {
		snprintf(err, errlen, "filter '%s': cannot make a libpcap handle for link type %d",
			 expr, linktype);
		return -ENOMEM;
	}
	/* Netmask 0, as tcpdump -r compiles (so `ip broadcast` compiles and
	 * means 255.255.255.255 or 0.0.0.0, as there). */
	ret = pl_filter_pcap_compile(p, expr, prog, err, errlen);
	pcap_close(p);
	return ret;
}

/* ---- checking the program ----------------------------------------------- */

static bool is_ident(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

static int refuse(char *err, size_t errlen, unsigned int pc, const struct bpf_insn *in,
		  const char *why)
{
	snprintf(err, errlen, "cannot translate classic BPF instruction %u (code 0x%04x, k 0x%x): %s",
		 pc, in->code, in->k, why);
	errno = EINVAL;
	return -EINVAL;
}

/* Linux's ancillary data: classic BPF on a socket reads skb metadata
 * (protocol, VLAN tag, ...) with absolute loads at SKF_AD_OFF (-0x1000) plus
 * one of the kernel's SKF_AD_* codes (below SKF_AD_MAX, 64), and bytes
 * relative to the network or link-layer header at SKF_NET_OFF (-0x100000)
 * and SKF_LL_OFF (-0x200000) on. libpcap emits such loads only for live
 * Linux captures; neither its userland interpreter nor our flavours have
 * that data, so such a load is refused rather than read as a (huge, always
 * out of range) packet offset, which would quietly answer "no match" where
 * a socket filter would have looked at the skb.
 *
 * Other offsets past any packet are not refused: libpcap's own code for
 * some link types (Juniper's, BACnet MS/TP) loads at X + 0xfffffffe, which
 * its interpreter, tcpdump -r's, takes as out of range, rejecting the
 * packet; the translation does the same (the load "ends past what packet
 * pointers reach" / "past any captured byte"). */
#define PL_SKF_LL_OFF ((uint32_t)-0x200000)
#define PL_SKF_AD_OFF ((uint32_t)-0x1000)
#define PL_SKF_AD_MAX 64u

/* The ancillary loads libpcap emits when it compiles for a live Linux
 * interface (BPF_SPECIAL_VLAN_HANDLING, `inbound`/`outbound`), which the
 * PL_FILTER_LIVE flavours read from their struct pl_filter_anc argument:
 * the kernel's values for SKF_AD_PKTTYPE (skb->pkt_type), SKF_AD_VLAN_TAG
 * (the TCI), SKF_AD_VLAN_TAG_PRESENT and SKF_AD_VLAN_TPID. */
#define PL_SKF_AD_PKTTYPE 4u
#define PL_SKF_AD_VLAN_TAG 44u
#define PL_SKF_AD_VLAN_TAG_PRESENT 48u
#define PL_SKF_AD_VLAN_TPID 60u

static const char *anc_field(uint16_t code, uint32_t k)
{
	if (BPF_MODE(code) != BPF_ABS || k < PL_SKF_AD_OFF)
		return NULL;
	switch (k - PL_SKF_AD_OFF) {
	case PL_SKF_AD_PKTTYPE: return "pkttype";
	case PL_SKF_AD_VLAN_TAG: return "vlan_tci";
	case PL_SKF_AD_VLAN_TAG_PRESENT: return "vlan_present";
	case PL_SKF_AD_VLAN_TPID: return "vlan_tpid";
	default: return NULL;
	}
}

static const char *linux_only(uint16_t code, uint32_t k, unsigned flavours)
{
	if (k >= PL_SKF_LL_OFF && k < PL_SKF_AD_OFF)
		return "a Linux network- or link-header-relative load (SKF_NET_OFF/SKF_LL_OFF), which only a socket filter in the kernel can do";
	if ((flavours & PL_FILTER_LIVE) && anc_field(code, k))
		return NULL;
	if (BPF_MODE(code) == BPF_ABS && k >= PL_SKF_AD_OFF && k < PL_SKF_AD_OFF + PL_SKF_AD_MAX)
		return "a Linux ancillary-data load (SKF_AD_OFF + code), which only a socket filter in the kernel can do";
	return NULL;
}

/* Where a JA goes: pc + 1 + k in 32-bit arithmetic, as the interpreter's
 * pointer arithmetic does on the instruction array. */
static uint32_t ja_target(unsigned int pc, uint32_t k)
{
	return (uint32_t)pc + 1u + k;
}

/* Check every instruction; mark jump targets (TARGET[i]) and backward jump
 * targets. Returns 0 or -EINVAL with ERR set. */
static int check_prog(const struct bpf_program *prog, unsigned flavours, bool *target,
		      bool *has_loop, bool *uses_mem, char *err, size_t errlen)
{
	unsigned int n = prog->bf_len;

	*has_loop = false;
	for (unsigned int pc = 0; pc < n; pc++) {
		const struct bpf_insn *in = &prog->bf_insns[pc];
		uint16_t c = in->code;
		bool last = pc + 1 == n;

		switch (BPF_CLASS(c)) {
		case BPF_LD:
		case BPF_LDX:
			switch (c) {
			case BPF_LD | BPF_W | BPF_ABS:
			case BPF_LD | BPF_H | BPF_ABS:
			case BPF_LD | BPF_B | BPF_ABS:
			case BPF_LD | BPF_W | BPF_IND:
			case BPF_LD | BPF_H | BPF_IND:
			case BPF_LD | BPF_B | BPF_IND:
			case BPF_LDX | BPF_B | BPF_MSH:
				if (linux_only(c, in->k, flavours))
					return refuse(err, errlen, pc, in, linux_only(c, in->k, flavours));
				break;
			case BPF_LD | BPF_W | BPF_LEN:
			case BPF_LDX | BPF_W | BPF_LEN:
			case BPF_LD | BPF_IMM:
			case BPF_LDX | BPF_W | BPF_IMM:
				break;
			case BPF_LD | BPF_MEM:
			case BPF_LDX | BPF_W | BPF_MEM:
				if (in->k >= BPF_MEMWORDS)
					return refuse(err, errlen, pc, in, "scratch memory index out of range (16 words)");
				uses_mem[in->k] = true;
				break;
			default:
				return refuse(err, errlen, pc, in, "unknown load opcode");
			}
			break;
		case BPF_ST:
		case BPF_STX:
			if (c != BPF_ST && c != BPF_STX)
				return refuse(err, errlen, pc, in, "unknown store opcode");
			if (in->k >= BPF_MEMWORDS)
				return refuse(err, errlen, pc, in, "scratch memory index out of range (16 words)");
			uses_mem[in->k] = true;
			break;
		case BPF_ALU:
			switch (BPF_OP(c)) {
			case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_OR:
			case BPF_AND: case BPF_XOR:
				break;
			case BPF_DIV: case BPF_MOD:
				if (BPF_SRC(c) == BPF_K && in->k == 0)
					return refuse(err, errlen, pc, in, "division by the constant 0");
				break;
			case BPF_LSH: case BPF_RSH:
				if (BPF_SRC(c) == BPF_K && in->k >= 32)
					return refuse(err, errlen, pc, in,
						      "shift by a constant >= 32 (no defined result)");
				break;
			case BPF_NEG:
				if (c != (BPF_ALU | BPF_NEG))
					return refuse(err, errlen, pc, in, "unknown ALU opcode");
				break;
			default:
				return refuse(err, errlen, pc, in, "unknown ALU opcode");
			}
			if (BPF_OP(c) != BPF_NEG && (c & ~(BPF_OP(0xff) | BPF_SRC(0xff))) != BPF_ALU)
				return refuse(err, errlen, pc, in, "unknown ALU opcode");
			break;
		case BPF_JMP:
			if (c == (BPF_JMP | BPF_JA)) {
				uint32_t t = ja_target(pc, in->k);

				if (t >= n)
					return refuse(err, errlen, pc, in, "jump target outside the program");
				if (t <= pc)
					*has_loop = true;
				target[t] = true;
				break;
			}
			switch (c & ~BPF_SRC(0xff)) {
			case BPF_JMP | BPF_JEQ:
			case BPF_JMP | BPF_JGT:
			case BPF_JMP | BPF_JGE:
			case BPF_JMP | BPF_JSET:
				break;
			default:
				return refuse(err, errlen, pc, in, "unknown jump opcode");
			}
			if (pc + 1u + in->jt >= n || pc + 1u + in->jf >= n)
				return refuse(err, errlen, pc, in, "jump target outside the program");
			target[pc + 1 + in->jt] = true;
			target[pc + 1 + in->jf] = true;
			break;
		case BPF_RET:
			if (c != (BPF_RET | BPF_K) && c != (BPF_RET | BPF_A))
				return refuse(err, errlen, pc, in, "unknown return opcode");
			break;
		case BPF_MISC:
			if (c != (BPF_MISC | BPF_TAX) && c != (BPF_MISC | BPF_TXA))
				return refuse(err, errlen, pc, in, "unknown misc opcode");
			break;
		}
		if (last && BPF_CLASS(c) != BPF_RET && BPF_CLASS(c) != BPF_JMP)
			return refuse(err, errlen, pc, in, "the program can run past its last instruction");
	}
	return 0;
}

/* ---- emitting C ----------------------------------------------------------- */

static const char *const cond_op[] = {
	[BPF_JEQ >> 4] = "==", [BPF_JGT >> 4] = ">", [BPF_JGE >> 4] = ">=", [BPF_JSET >> 4] = "&",
};

static unsigned int load_size(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W: return 4;
	case BPF_H: return 2;
	default: return 1;
	}
}

/* DST = SIZE big-endian bytes at pointer expression Q (a local). */
static void emit_read(struct sbuf *b, const char *dst, const char *q, unsigned int size)
{
	switch (size) {
	case 4:
		sb_printf(b, "\t%s = (unsigned int)%s[0] << 24 | (unsigned int)%s[1] << 16 | "
			  "(unsigned int)%s[2] << 8 | (unsigned int)%s[3];\n", dst, q, q, q, q);
		break;
	case 2:
		sb_printf(b, "\t%s = (unsigned int)%s[0] << 8 | (unsigned int)%s[1];\n", dst, q, q);
		break;
	default:
		sb_printf(b, "\t%s = %s[0];\n", dst, q);
		break;
	}
}

/* The BUF flavour's captured length, read afresh from memory at every
 * bounds check.
 *
 * Why: a check against a length held in a register teaches the verifier a
 * lower bound for it ("caplen >= x + 15"), a different one on each path
 * through the `ip6 protochain` loop, so the states at the loop's head stop
 * matching and it walks far more of them: 141k instructions processed for
 * `ip6 protochain 6` in the --filter batch program, ~240 ms of every load.
 * A length it must load again each time is one it knows nothing about:
 * 30k instructions, ~40 ms. The value is the same; only the verifier's
 * knowledge differs. */
#define BUF_CAPLEN "(*(const volatile unsigned int *)caplen)"

/* A packet load of SIZE bytes at K (absolute) or X + K (indirect) into A,
 * or the MSH load into X. */
static void emit_load(struct sbuf *b, unsigned flavour, const struct bpf_insn *in)
{
	bool ind = BPF_MODE(in->code) == BPF_IND;
	bool msh = BPF_MODE(in->code) == BPF_MSH;
	unsigned int size = msh ? 1 : load_size(in->code);
	uint64_t end = (uint64_t)in->k + size;

	/* An ancillary load (check_prog() let it through: a LIVE flavour)
	 * loads the whole value, whatever its size, as the kernel does. */
	if (anc_field(in->code, in->k)) {
		sb_printf(b, "\ta = anc->%s;\n", anc_field(in->code, in->k));
		return;
	}

	if (flavour == PL_FILTER_PKT) {
		if (!ind) {
			if (end > PL_FILTER_PKT_MAX) {
				sb_printf(b, "\treturn 0; /* ends at %llu, past what packet pointers reach */\n",
					  (unsigned long long)end);
				return;
			}
			sb_printf(b, "\tq = p + %uu;\n\tif (q + %u > e)\n\t\treturn 0;\n", in->k, size);
		} else {
			if (end > PL_FILTER_PKT_MAX) {
				sb_printf(b, "\treturn 0; /* ends at %llu or later, past what packet pointers reach */\n",
					  (unsigned long long)end);
				return;
			}
			/* Bound the offset with a constant first: the verifier
			 * only honours the data_end check for a pointer whose
			 * offset + size it knows is <= 0xffff. The barriers keep
			 * clang from merging this bound with other loads' (x + K1
			 * and x + K2 checked as one bound on x, too loose for
			 * the larger K) and make the load use the very pointer
			 * that was checked, not one re-derived another way (e.g.
			 * (p + K) + x hoisted round the protochain loop), which
			 * the verifier has no range for. */
			sb_printf(b, "\toff = (unsigned long long)x + %uu;\n"
				  "\tPL_FILTER_BARRIER(off);\n"
				  "\tif (off > %uu)\n\t\treturn 0;\n"
				  "\tq = p + off;\n\tif (q + %u > e)\n\t\treturn 0;\n"
				  "\tPL_FILTER_BARRIER(q);\n",
				  in->k, PL_FILTER_PKT_MAX - size, size);
		}
	} else {
		if (end > PL_FILTER_BUF_MAX) {
			sb_printf(b, "\treturn 0; /* ends at %llu or later, past any captured byte */\n",
				  (unsigned long long)end);
			return;
		}
		if (!ind) {
			sb_printf(b, "\tif (" BUF_CAPLEN " < %lluu)\n\t\treturn 0;\n\tq = buf + %uu;\n",
				  (unsigned long long)end, in->k);
		} else {
			/* The caplen check is the semantics; the constant check
			 * after the barrier is for the verifier (the map value
			 * is PL_FILTER_BUF_MAX bytes), which knows nothing of
			 * caplen's bound; the barrier keeps clang from proving
			 * it redundant and dropping it. */
			sb_printf(b, "\toff = (unsigned long long)x + %uu;\n"
				  "\tif (off + %u > " BUF_CAPLEN ")\n\t\treturn 0;\n"
				  "\tPL_FILTER_BARRIER(off);\n"
				  "\tif (off > %uu)\n\t\treturn 0;\n"
				  "\tq = buf + off;\n",
				  in->k, size, PL_FILTER_BUF_MAX - size);
		}
	}
	if (msh)
		sb_printf(b, "\tx = (unsigned int)(q[0] & 0xf) << 2;\n");
	else
		emit_read(b, "a", "q", size);
}

static void emit_alu(struct sbuf *b, const struct bpf_insn *in)
{
	static const char *const ops[] = {
		[BPF_ADD >> 4] = "+", [BPF_SUB >> 4] = "-", [BPF_MUL >> 4] = "*",
		[BPF_DIV >> 4] = "/", [BPF_OR >> 4] = "|", [BPF_AND >> 4] = "&",
		[BPF_LSH >> 4] = "<<", [BPF_RSH >> 4] = ">>", [BPF_MOD >> 4] = "%",
		[BPF_XOR >> 4] = "^",
	};
	unsigned int op = BPF_OP(in->code);

	if (op == BPF_NEG) {
		sb_printf(b, "\ta = 0u - a;\n");
		return;
	}
	if (BPF_SRC(in->code) == BPF_K) {
		sb_printf(b, "\ta %s= %uu;\n", ops[op >> 4], in->k);
		return;
	}
	if (op == BPF_DIV || op == BPF_MOD)
		sb_printf(b, "\tif (x == 0)\n\t\treturn 0;\n");
	if (op == BPF_LSH || op == BPF_RSH)
		sb_printf(b, "\ta = x < 32 ? a %s x : 0;\n", ops[op >> 4]);
	else
		sb_printf(b, "\ta %s= x;\n", ops[op >> 4]);
}

static void emit_insn(struct sbuf *b, unsigned flavour, const struct bpf_program *prog,
		      unsigned int pc)
{
	const struct bpf_insn *in = &prog->bf_insns[pc];
	uint16_t c = in->code;

	switch (BPF_CLASS(c)) {
	case BPF_LD:
		switch (BPF_MODE(c)) {
		case BPF_ABS:
		case BPF_IND:
			emit_load(b, flavour, in);
			break;
		case BPF_LEN:
			sb_printf(b, "\ta = wirelen;\n");
			break;
		case BPF_IMM:
			sb_printf(b, "\ta = %uu;\n", in->k);
			break;
		case BPF_MEM:
			sb_printf(b, "\ta = m%u;\n", in->k);
			break;
		}
		break;
	case BPF_LDX:
		switch (BPF_MODE(c)) {
		case BPF_MSH:
			emit_load(b, flavour, in);
			break;
		case BPF_LEN:
			sb_printf(b, "\tx = wirelen;\n");
			break;
		case BPF_IMM:
			sb_printf(b, "\tx = %uu;\n", in->k);
			break;
		case BPF_MEM:
			sb_printf(b, "\tx = m%u;\n", in->k);
			break;
		}
		break;
	case BPF_ST:
		sb_printf(b, "\tm%u = a;\n", in->k);
		break;
	case BPF_STX:
		sb_printf(b, "\tm%u = x;\n", in->k);
		break;
	case BPF_ALU:
		emit_alu(b, in);
		break;
	case BPF_JMP: {
		if (c == (BPF_JMP | BPF_JA)) {
			uint32_t t = ja_target(pc, in->k);

			if (t <= pc)
				/* The one backward jump libpcap emits (the
				 * protochain loop): bounded, past the bound
				 * the packet is rejected. PL_FILTER_FORGET
				 * leaves X's value alone but makes the
				 * verifier forget its range, so the states of
				 * the paths through the loop body meet at the
				 * back edge and are pruned there (otherwise
				 * every trip adds paths). */
				sb_printf(b, "\tif (++loops > PL_FILTER_LOOP_MAX)\n\t\treturn 0;\n"
					  "\tPL_FILTER_FORGET(x);\n");
			sb_printf(b, "\tgoto L%u;\n", t);
			break;
		}
		const char *rhs = BPF_SRC(c) == BPF_X ? "x" : NULL;
		char kbuf[16];

		if (!rhs) {
			snprintf(kbuf, sizeof(kbuf), "%uu", in->k);
			rhs = kbuf;
		}
		if (BPF_OP(c) == BPF_JSET)
			sb_printf(b, "\tif (a & %s)\n", rhs);
		else
			sb_printf(b, "\tif (a %s %s)\n", cond_op[BPF_OP(c) >> 4], rhs);
		sb_printf(b, "\t\tgoto L%u;\n\tgoto L%u;\n", pc + 1 + in->jt, pc + 1 + in->jf);
		break;
	}
	case BPF_RET:
		if (BPF_RVAL(c) == BPF_A)
			sb_printf(b, "\treturn (int)a;\n");
		else
			sb_printf(b, "\treturn (int)%uu;\n", in->k);
		break;
	case BPF_MISC:
		if (c == (BPF_MISC | BPF_TAX))
			sb_printf(b, "\tx = a;\n");
		else
			sb_printf(b, "\ta = x;\n");
		break;
	}
}

static void emit_body(struct sbuf *b, unsigned flavour, bool live, const struct bpf_program *prog,
		      const bool *target, bool has_loop, const bool *uses_mem)
{
	sb_printf(b, "\tunsigned int a = 0, x = 0;\n");
	sb_printf(b, "\tconst unsigned char *q;\n\tunsigned long long off;\n");
	for (unsigned int i = 0; i < BPF_MEMWORDS; i++)
		if (uses_mem[i])
			sb_printf(b, "\tunsigned int m%u = 0;\n", i);
	if (has_loop)
		sb_printf(b, "\tunsigned int loops = 0;\n");
	sb_printf(b, "\t(void)a; (void)x; (void)q; (void)off; (void)wirelen;\n");
	if (flavour == PL_FILTER_PKT)
		sb_printf(b, "\t(void)p; (void)e;\n");
	else
		sb_printf(b, "\t(void)buf;\n");
	if (live)
		sb_printf(b, "\t(void)anc;\n");
	for (unsigned int i = 0; i < BPF_MEMWORDS; i++)
		if (uses_mem[i])
			sb_printf(b, "\t(void)m%u;\n", i);
	for (unsigned int pc = 0; pc < prog->bf_len; pc++) {
		if (target[pc])
			sb_printf(b, "L%u:\n", pc);
		emit_insn(b, flavour, prog, pc);
	}
}

static void emit_comment_expr(struct sbuf *b, const char *name, const char *expr)
{
	sb_printf(b, "/* %s: ", name);
	if (!expr) {
		sb_printf(b, "classic BPF */\n");
		return;
	}
	/* Keep the comment a comment whatever the expression holds. */
	for (const char *s = expr; *s; s++) {
		if (s[0] == '*' && s[1] == '/')
			sb_printf(b, "* /");
		else if (*s == '\n')
			sb_printf(b, " ");
		else
			sb_printf(b, "%c", *s);
		if (s[0] == '*' && s[1] == '/')
			s++;
	}
	sb_printf(b, " */\n");
}

static const char preamble[] =
	"#ifndef PL_FILTER_PREAMBLE\n"
	"#define PL_FILTER_PREAMBLE\n"
	"#ifndef __always_inline\n"
	"#define __always_inline __attribute__((always_inline))\n"
	"#endif\n"
	"/* Keeps the compiler from using what it knows of V (a bound the\n"
	" * verifier needs to see checked again). */\n"
	"#define PL_FILTER_BARRIER(v) __asm__ __volatile__(\"\" : \"+r\"(v))\n"
	"/* V's value, unknown to the verifier: XORed twice with a random number\n"
	" * (the barriers keep the compiler from cancelling the two), V's range is\n"
	" * lost to it. Why: each check of X + K against a bound narrows X's range,\n"
	" * differently on each path round the protochain loop, so the loop's\n"
	" * states stop matching and every trip costs the verifier more (16 trips:\n"
	" * ~30k instructions processed; with this, 3.9k). One helper call a trip. */\n"
	"#ifdef __bpf__\n"
	"static unsigned long long (*pl_filter_prandom)(void) = (void *)7; /* bpf_get_prandom_u32 */\n"
	"#define PL_FILTER_FORGET(v) do { unsigned int r_ = (unsigned int)pl_filter_prandom(); \\\n"
	"\t(v) ^= r_; PL_FILTER_BARRIER(v); (v) ^= r_; PL_FILTER_BARRIER(v); } while (0)\n"
	"#else\n"
	"#define PL_FILTER_FORGET(v) PL_FILTER_BARRIER(v)\n"
	"#endif\n"
	"/* What a socket filter reads of an skb besides its bytes, for the\n"
	" * ancillary loads of expressions compiled for a live interface (the\n"
	" * __live flavours): skb->pkt_type (PACKET_OUTGOING, 4, for a packet\n"
	" * being sent), and the outer VLAN tag the kernel keeps beside the frame. */\n"
	"struct pl_filter_anc {\n"
	"\tunsigned int pkttype, vlan_present, vlan_tci, vlan_tpid;\n"
	"};\n"
	"/* Trips round the `ip6 protochain` loop (one per IPv6 extension\n"
	" * header) before the packet is rejected. */\n"
	"#ifndef PL_FILTER_LOOP_MAX\n"
	"#define PL_FILTER_LOOP_MAX " PL_FILTER_STR(PL_FILTER_LOOP_MAX) "\n"
	"#endif\n"
	"#endif\n";

char *pl_filter_to_c(const struct bpf_program *prog, const char *name, const char *expr,
		     unsigned flavours, char *err, size_t errlen)
{
	struct sbuf b = { 0 };
	bool *target = NULL;
	bool has_loop = false, uses_mem[BPF_MEMWORDS] = { false };

	if (!is_ident(name)) {
		snprintf(err, errlen, "filter name '%s' is not a C identifier", name ? name : "(null)");
		errno = EINVAL;
		return NULL;
	}
	if (!prog || !prog->bf_insns || prog->bf_len == 0) {
		snprintf(err, errlen, "filter '%s': empty classic BPF program", name);
		errno = EINVAL;
		return NULL;
	}
	if (!(flavours & (PL_FILTER_PKT | PL_FILTER_BUF)) ||
	    (flavours & ~(PL_FILTER_PKT | PL_FILTER_BUF | PL_FILTER_LIVE))) {
		snprintf(err, errlen, "filter '%s': flavours 0x%x: want PL_FILTER_PKT and/or PL_FILTER_BUF "
			 "(and PL_FILTER_LIVE)", name, flavours);
		errno = EINVAL;
		return NULL;
	}
	target = calloc(prog->bf_len, sizeof(*target));
	if (!target) {
		snprintf(err, errlen, "filter '%s': out of memory", name);
		errno = ENOMEM;
		return NULL;
	}
	if (check_prog(prog, flavours, target, &has_loop, uses_mem, err, errlen) < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "filter '%s': %s", expr ? expr : name, why);
		free(target);
		errno = EINVAL;
		return NULL;
	}

	bool live = flavours & PL_FILTER_LIVE;
	const char *anc = live ? ",\n\t\tconst struct pl_filter_anc *anc" : "";

	sb_printf(&b, "%s", preamble);
	emit_comment_expr(&b, name, expr);
	if (flavours & PL_FILTER_PKT) {
		sb_printf(&b, "static inline __always_inline int %s__%s(const void *data, const void *data_end,\n"
			  "\t\tunsigned int wirelen%s)\n{\n"
			  "\tconst unsigned char *p = (const unsigned char *)data;\n"
			  "\tconst unsigned char *e = (const unsigned char *)data_end;\n", name,
			  live ? "live" : "len", anc);
		emit_body(&b, PL_FILTER_PKT, live, prog, target, has_loop, uses_mem);
		sb_printf(&b, "}\n\n");
		if (!live)
			sb_printf(&b, "static inline __always_inline int %s(const void *data, const void *data_end)\n{\n"
				  "\treturn %s__len(data, data_end, (unsigned int)((const unsigned char *)data_end -\n"
				  "\t\t\t\t\t\t(const unsigned char *)data));\n}\n\n", name, name);
	}
	if (flavours & PL_FILTER_BUF) {
		sb_printf(&b, "static inline __always_inline int %s__%s(const unsigned char *buf,\n"
			  "\t\tconst unsigned int *caplen, unsigned int wirelen%s)\n{\n", name,
			  live ? "livebuf" : "buf", anc);
		sb_printf(&b, "\tif (*caplen > %uu)\n\t\treturn 0;\n", PL_FILTER_BUF_MAX);
		emit_body(&b, PL_FILTER_BUF, live, prog, target, has_loop, uses_mem);
		sb_printf(&b, "}\n\n");
	}
	free(target);
	if (b.oom) {
		free(b.s);
		snprintf(err, errlen, "filter '%s': out of memory", name);
		errno = ENOMEM;
		return NULL;
	}
	return b.s;
}

/* ---- without libpcap types ------------------------------------------------- */

char *pl_filter_expr_to_c(const char *expr, int linktype, uint32_t snaplen, const char *name,
			  unsigned flavours, char *err, size_t errlen)
{
	struct bpf_program prog;
	char *c;
	int ret;

	ret = pl_filter_compile(expr, linktype, snaplen, &prog, err, errlen);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	c = pl_filter_to_c(&prog, name, expr, flavours, err, errlen);
	ret = errno;
	pcap_freecode(&prog);
	errno = ret;
	return c;
}

int pl_filter_insns(const char *expr, int linktype, uint32_t snaplen,
		    struct pl_filter_insn **insns, size_t *n, char *err, size_t errlen)
{
	struct bpf_program prog;
	int ret;

	*insns = NULL;
	*n = 0;
	ret = pl_filter_compile(expr, linktype, snaplen, &prog, err, errlen);
	if (ret < 0)
		return ret;
	*insns = calloc(prog.bf_len ? prog.bf_len : 1, sizeof(**insns));
	if (!*insns) {
		pcap_freecode(&prog);
		snprintf(err, errlen, "filter '%s': out of memory", expr);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < prog.bf_len; i++) {
		(*insns)[i].code = prog.bf_insns[i].code;
		(*insns)[i].jt = prog.bf_insns[i].jt;
		(*insns)[i].jf = prog.bf_insns[i].jf;
		(*insns)[i].k = prog.bf_insns[i].k;
	}
	*n = prog.bf_len;
	pcap_freecode(&prog);
	return 0;
}

char *pl_filter_iface_to_c(const char *expr, const char *iface, uint32_t snaplen,
			   const char *name, unsigned flavours, bool foreign, uint32_t *netmask,
			   char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	bpf_u_int32 net = 0, mask = 0;
	struct bpf_program prog;
	pcap_t *p;
	char *c = NULL;
	int rc, e = 0;

	if (!snaplen)
		snaplen = PL_FILTER_BUF_MAX;
	/* A live handle, as tcpdump opens it: libpcap compiles `vlan` (and
	 * `inbound`/`outbound`) for Linux's ancillary data only on one. It
	 * opens a packet socket (with a small ring) for the time of the
	 * compile: nothing is read from it. */
	p = pcap_create(iface, ebuf);
	if (!p) {
		snprintf(err, errlen, "interface '%s': %s", iface, ebuf);
		errno = ENODEV;
		return NULL;
	}
	pcap_set_snaplen(p, (int)snaplen);
	pcap_set_buffer_size(p, 64 * 1024);
	rc = pcap_activate(p);
	if (rc < 0) {
		snprintf(err, errlen, "interface '%s': %s", iface,
			 rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface" :
			 rc == PCAP_ERROR_PERM_DENIED ? "permission denied (capture needs root)" :
			 rc == PCAP_ERROR_IFACE_NOT_UP ? "it is down (ip link set IFACE up)" :
			 pcap_geterr(p));
		e = rc == PCAP_ERROR_NO_SUCH_DEVICE ? ENODEV : rc == PCAP_ERROR_PERM_DENIED ? EPERM : EIO;
		goto out;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		snprintf(err, errlen, "interface '%s' does not carry Ethernet frames (link type %s)", iface,
			 pcap_datalink_val_to_name(pcap_datalink(p)) ?: "unknown");
		e = EPROTONOSUPPORT;
		goto out;
	}
	/* tcpdump 4.99 looks the netmask up only for -f ("foreign"), and
	 * passes it to pcap_compile() as pcap_lookupnet() gives it (network
	 * byte order); it stays 0 otherwise, and when the lookup fails (an
	 * interface without IPv4). */
	if (foreign && pcap_lookupnet(iface, &net, &mask, ebuf) < 0)
		mask = 0;
	if (netmask)
		*netmask = mask;
	rc = pl_filter_pcap_compile_mask(p, expr, mask, &prog, err, errlen);
	if (rc) {
		e = -rc;
		goto out;
	}
	c = pl_filter_to_c(&prog, name, expr, flavours, err, errlen);
	e = c ? 0 : errno;
	pcap_freecode(&prog);
out:
	pcap_close(p);
	errno = e;
	return c;
}
