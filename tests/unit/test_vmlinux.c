/* test_vmlinux.c — the pruned vmlinux.h and the process's one kernel BTF.
 *
 * Reads /sys/kernel/btf/vmlinux (no root needed); without it the test exits
 * 77 (skipped). The compile checks need the shim library, as test_compiler. */
#include "harness.h"

#include "bpf/kernel_btf.h"
#include "compile/compiler.h"
#include "compile/vmlinux.h"

#include <bpf/btf.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The pruned header for one text; malloc'd. */
static char *prune(const char *src, size_t *len)
{
	struct pl_vmlinux_text t = { src, strlen(src) };
	char *h = pl_vmlinux_h_pruned(&t, 1, len);

	CHECK_MSG(h, "pruning failed: %s", strerror(errno));
	return h;
}

static int has(const char *h, const char *needle)
{
	return h && strstr(h, needle);
}

static void test_deterministic(void)
{
	static const char src[] = "#include <pktlua/bpf.h>\nstruct task_struct *t; int x = BPF_ANY;\n";
	size_t a_len = 0, b_len = 0;
	char *a = prune(src, &a_len), *b = prune(src, &b_len);

	CHECK(a && b && a_len == b_len && !memcmp(a, b, a_len));
	CHECK(a && strlen(a) == a_len);
	free(a);
	free(b);
}

static void test_preamble(void)
{
	size_t full_len = 0, len = 0;
	const char *full = pl_vmlinux_h(&full_len);
	char *h = prune("int x;", &len);
	static const char start[] =
		"#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
		"#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n";
	static const char end[] = "#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n";

	CHECK(full && full_len > 1000000);
	CHECK(h && !strncmp(h, start, strlen(start)) && !strncmp(full, start, strlen(start)));
	CHECK(h && len > strlen(end) && !strcmp(h + len - strlen(end), end));
	CHECK(full && !strcmp(full + full_len - strlen(end), end));
	/* Nothing named: nothing but the frame. */
	CHECK_MSG(h && len < 400, "%zu bytes for no types", len);
	free(h);
}

static void test_named_only(void)
{
	char *h = prune("struct task_struct *t; /* struct sk_buff *skb; */\n"
			"// struct sk_buff\nint f(void) { return t->pid; }\n", NULL);

	CHECK(has(h, "struct task_struct {"));
	CHECK(!has(h, "struct sk_buff {"));     /* named only in comments */
	free(h);
	h = prune("struct task_struct *t; struct sk_buff *skb;", NULL);
	CHECK(has(h, "struct task_struct {") && has(h, "struct sk_buff {"));
	free(h);
}

static void test_pointer_members(void)
{
	/* mm_struct is only pointed to by task_struct: forward-declared, unless
	 * the member name is used (t->mm->..., BPF_CORE_READ(t, mm, ...)). */
	char *h = prune("struct task_struct *t;", NULL);

	CHECK(has(h, "struct mm_struct;") && !has(h, "struct mm_struct {"));
	free(h);
	h = prune("struct task_struct *t; long b = BPF_CORE_READ(t, mm, mmap_base);", NULL);
	CHECK(has(h, "struct mm_struct {"));
	free(h);
	/* Two steps: task_struct -> mm_struct -> file. */
	h = prune("struct task_struct *t; long x = t->mm->exe_file->f_flags;", NULL);
	CHECK(has(h, "struct mm_struct {") && has(h, "struct file {"));
	free(h);
}

static void test_enums_typedefs(void)
{
	char *h = prune("int a = BPF_ANY, b = XDP_PASS; u32 c; __u64 d; __be16 e;", NULL);

	CHECK(has(h, "BPF_ANY = 0"));
	CHECK(has(h, "enum xdp_action {") && has(h, "XDP_PASS = 2"));
	CHECK(has(h, "typedef __u32 u32;") && has(h, "typedef unsigned int __u32;"));
	CHECK(has(h, "typedef long long unsigned int __u64;") ||
	      has(h, "typedef unsigned long long __u64;"));
	CHECK(has(h, "typedef __u16 __be16;"));
	CHECK(!has(h, "struct task_struct {"));
	free(h);
	/* Numbers' letters are not identifiers: 0x1fULL names no type "fULL". */
	h = prune("long x = 0x10ULL + 1e5;", NULL);
	CHECK(h && strlen(h) < 400);
	free(h);
}

static void test_runtime_headers(void)
{
	/* Types the runtime headers use come with them. */
	char *h = prune("#include <pktlua/xdp.h>\n", NULL);

	CHECK(has(h, "struct xdp_md {") && has(h, "struct __sk_buff {"));
	/* bpf_helper_defs.h's prototypes need typedefs, not their structs. */
	CHECK(has(h, "typedef __u32 __wsum;"));
	CHECK(!has(h, "struct bpf_fib_lookup {"));
	CHECK(!has(h, "struct task_struct {"));
	free(h);
}

/* The code's own struct key (the kernel has one), enumerators: never
 * picked; a forward declaration of the tag stays outside the CO-RE pragma,
 * so the code's definition does not become preserve_access_index. */
static void test_own_types(void)
{
	static const char pop[] = "#pragma clang attribute pop\n#endif\nstruct key;\n#ifndef";
	char *h = prune("struct key { int a; }; struct cred *c; int x = c->user->uid.val;\n"
			"enum { BPF_ANY = 1 };\n", NULL);

	CHECK(h && !has(h, "struct key {"));
	CHECK(has(h, "struct cred {"));
	CHECK(!has(h, "BPF_ANY = 0"));          /* enum bpf_map_update flags */
	/* struct cred points to struct key: declared, outside the pragma. */
	CHECK_MSG(has(h, pop), "no plain forward declaration of struct key");
	free(h);

	/* The full header without them; as it is when the code has none. */
	struct pl_vmlinux_text t = { "struct key { int a; };", 22 };
	size_t len = 0, full_len = 0;
	char *owned = NULL;
	const char *full = pl_vmlinux_h(&full_len);
	const char *f = pl_vmlinux_h_full(&t, 1, &len, &owned);
	CHECK(f && owned == f && !has(f, "struct key {") && has(f, "struct task_struct {"));
	CHECK(has(f, pop));
	free(owned);
	t = (struct pl_vmlinux_text){ "struct mine { int a; };", 23 };
	f = pl_vmlinux_h_full(&t, 1, &len, &owned);
	CHECK(f == full && !owned && len == full_len);
}

static void test_kernel_btf_once(void)
{
	const struct btf *btf = pl_kernel_btf();
	/* What libbpf's PLT calls resolve to: ours, exported by the executable. */
	struct btf *(*load)(void) = (struct btf *(*)(void))dlsym(RTLD_DEFAULT, "btf__load_vmlinux_btf");

	CHECK(btf);
	CHECK_MSG(load && load() == btf, "btf__load_vmlinux_btf is not interposed");
	btf__free((struct btf *)btf);   /* as libbpf does after a load: ignored */
	CHECK(pl_kernel_btf() == btf && btf__type_cnt(btf) > 1000);
	CHECK(btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) > 0);
	CHECK(pl_kernel_btf_parses() == 1);
	/* Other BTFs are still freed (ASan would see a leak otherwise). */
	struct btf *other = btf__new_empty();
	CHECK(other);
	btf__free(other);
}

static const char tracepoint_counter[] =
	"#include <pktlua/bpf.h>\n"
	"PKTLUA_ARRAY(counts, __u64, 1);\n"
	"SEC(\"tracepoint/syscalls/sys_enter_openat\") int count(void *ctx)\n"
	"{ __u32 k = 0; PKTLUA_ADD(counts, &k, (__u64)1); return 0; }\n";

static const char core_mm[] =
	"#include <pktlua/bpf.h>\n"
	"SEC(\"tp_btf/sched_switch\") int BPF_PROG(sw, bool preempt, struct task_struct *prev)\n"
	"{ return BPF_CORE_READ(prev, mm, mmap_base) != 0; }\n";

static const char xdp_parse[] =
	"#include <pktlua/xdp.h>\n"
	"PKTLUA_HASH(bytes, __u8, __u64, 256);\n"
	"SEC(\"xdp\") int count(struct xdp_md *ctx) {\n"
	"	struct pkt pkt;\n"
	"	if (pkt_parse(ctx, &pkt) < 0) return XDP_PASS;\n"
	"	__u64 *v = bpf_map_lookup_elem(&bytes, &pkt.l4proto);\n"
	"	if (v) __sync_fetch_and_add(v, pkt.len);\n"
	"	return XDP_PASS;\n"
	"}\n";

/* A type the pruning cannot see: its name only exists after token pasting. */
static const char pasted[] =
	"#include <pktlua/bpf.h>\n"
	"#define KSTRUCT(a, b) struct a##b\n"
	"SEC(\"tp_btf/sched_switch\") int BPF_PROG(sw, bool preempt, KSTRUCT(task_, struct) *prev)\n"
	"{ return BPF_CORE_READ(prev, pid); }\n";

static int compile_with(const char *mode, const char *src, struct pl_compile_result *res)
{
	int err;

	setenv(PL_VMLINUX_ENV, mode, 1);
	err = pl_compile(src, strlen(src), NULL, res);
	unsetenv(PL_VMLINUX_ENV);
	return err;
}

static void test_compiles_pruned(void)
{
	const char *const srcs[] = { tracepoint_counter, core_mm, xdp_parse };
	struct pl_compile_result res;

	/* "pruned": no fallback to the full header, so success is the pruned one's. */
	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		int err = compile_with("pruned", srcs[i], &res);

		CHECK_MSG(err == 0, "snippet %zu: err %d: %s", i, err, res.diag);
		pl_compile_result__free(&res);
	}
}

static void test_fallback(void)
{
	struct pl_compile_result res;
	int err = compile_with("pruned", pasted, &res);

	/* The pruned header misses it ... */
	CHECK_MSG(err == -EINVAL, "err %d", err);
	CHECK_STR_CONTAINS(res.diag, "task_struct");
	pl_compile_result__free(&res);
	/* ... and the default falls back to the full one. */
	err = pl_compile(pasted, strlen(pasted), NULL, &res);
	CHECK_MSG(err == 0, "err %d: %s", err, res.diag);
	pl_compile_result__free(&res);
	/* Wrong code stays wrong, with the full header's diagnostics. */
	static const char bad[] = "#include <pktlua/bpf.h>\nint f(void) { return nope; }\n";
	err = pl_compile(bad, strlen(bad), NULL, &res);
	CHECK(err == -EINVAL);
	CHECK_STR_CONTAINS(res.diag, "use of undeclared identifier 'nope'");
	pl_compile_result__free(&res);
}

int main(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "skip: no readable /sys/kernel/btf/vmlinux: %s\n", strerror(errno));
		return 77;
	}
	if (pl_compiler_set_shim_dir(PKTLUA_TEST_BINDIR))
		return 1;
	unsetenv(PL_VMLINUX_ENV);
	RUN(test_deterministic);
	RUN(test_preamble);
	RUN(test_named_only);
	RUN(test_pointer_members);
	RUN(test_enums_typedefs);
	RUN(test_runtime_headers);
	RUN(test_own_types);
	RUN(test_kernel_btf_once);
	RUN(test_compiles_pruned);
	RUN(test_fallback);
	pl_compiler_set_shim_dir(NULL);
	return pl_test_summary();
}
