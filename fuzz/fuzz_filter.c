/* fuzz_filter.c — the classic BPF → C translator (filter.c) on arbitrary
 * programs: each is refused with a message or translated into C that
 * compiles (clang in the compiler child, as bpf.load runs it). */
#define _GNU_SOURCE
#include "compile/cache.h"
#include "compile/compiler.h"
#include "packets/filter.h"

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INSNS 512

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pl_cache_set_enabled(false);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpf_insn insns[MAX_INSNS];
	struct bpf_program prog;
	char err[1024] = "";
	size_t n = size / sizeof(struct bpf_insn);

	if (n == 0 || n > MAX_INSNS)
		return 0;
	memcpy(insns, data, n * sizeof(struct bpf_insn));
	prog.bf_len = (unsigned)n;
	prog.bf_insns = insns;
	char *c = pl_filter_to_c(&prog, "f", NULL, PL_FILTER_PKT | PL_FILTER_BUF, err, sizeof(err));
	if (!c) {
		if (!err[0] || strncmp(err, "filter '", 8))
			abort();                      /* refused without a message */
		return 0;
	}
	/* Both flavours used, so both are generated code, not just parsed. */
	char *src = NULL;
	if (asprintf(&src, "#include <pktlua/xdp.h>\n%s\n"
		     "struct fv { unsigned int caplen; unsigned char buf[%d]; };\n"
		     "struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);\n"
		     "  __type(key, __u32); __type(value, struct fv); } m SEC(\".maps\");\n"
		     "SEC(\"xdp\") int x(struct xdp_md *ctx) {\n"
		     "  void *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;\n"
		     "  __u32 k = 0; struct fv *v = bpf_map_lookup_elem(&m, &k);\n"
		     "  if (!v) return 0;\n"
		     "  return (f(d, e) != 0) + (f__buf(v->buf, &v->caplen, 64) != 0); }\n",
		     c, PL_FILTER_BUF_MAX) < 0)
		abort();
	free(c);
	struct pl_compile_opts o = { .filename = "fuzz_filter.c", .first_line = 1 };
	struct pl_compile_result res;
	int rc = pl_compile(src, strlen(src), &o, &res);
	if (rc) {
		fprintf(stderr, "the generated C does not compile:\n%s\n%s\n", res.diag, src);
		abort();
	}
	pl_compile_result__free(&res);
	free(src);
	return 0;
}
