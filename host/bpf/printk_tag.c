/* printk_tag.c — bpf_printk lines told apart by process (printk_tag.h). */
#include "bpf/printk_tag.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

int pl_printk_tag__fill(struct bpf_object *obj, int pid)
{
	static const char holder[] = PL_PRINTK_TAG_HOLDER;
	const size_t hlen = PL_PRINTK_TAG_LEN;
	struct bpf_map *map;
	char digits[9];
	int n = 0;

	snprintf(digits, sizeof(digits), "%08x", (unsigned)pid);
	bpf_object__for_each_map(map, obj) {
		size_t size;
		char *img;

		if (!bpf_map__is_internal(map) || !(bpf_map__map_flags(map) & BPF_F_RDONLY_PROG))
			continue;
		img = (char *)bpf_map__initial_value(map, &size);
		for (char *p = img; p && size >= hlen && p <= img + size - hlen; p++) {
			p = memchr(p, '{', img + size - hlen + 1 - p);
			if (!p)
				break;
			if (!memcmp(p, holder, hlen)) {
				memcpy(p + 8, digits, 8);    /* "{pktlua:" then the digits */
				n++;
			}
		}
	}
	return n;
}

bool pl_printk__used(struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		const struct bpf_insn *in = bpf_program__insns(prog);
		size_t cnt = bpf_program__insn_cnt(prog);

		for (size_t i = 0; in && i < cnt; i++)
			if (in[i].code == (BPF_JMP | BPF_CALL) && in[i].src_reg == 0 &&
			    (in[i].imm == BPF_FUNC_trace_printk || in[i].imm == BPF_FUNC_trace_vprintk))
				return true;
	}
	return false;
}

static int hex_value(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + (unsigned)d;
	}
	*out = v;
	return 0;
}

const char *pl_printk_tag__mine(const char *msg, size_t *len, int pid)
{
	unsigned tag;

	if (*len < PL_PRINTK_TAG_LEN || memcmp(msg, "{pktlua:", 8) || msg[16] != '}' ||
	    hex_value(msg + 8, 8, &tag))
		return msg;                              /* untagged: keep */
	if (tag != (unsigned)pid && tag != 0)
		return NULL;                             /* another process's */
	*len -= PL_PRINTK_TAG_LEN;
	return msg + PL_PRINTK_TAG_LEN;
}
