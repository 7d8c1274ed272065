/* test_headers.c — the headers pktlua serves to clang: the kernel's UAPI
 * headers with no flags, next to vmlinux.h (pruned and whole), a snippet's
 * own types of kernel names, the BTF of record types only used locally, and
 * the user's -I directories before the built-in ones.
 *
 * Needs the shim library (built next to the pktlua binary) and, for the
 * vmlinux.h cases, /sys/kernel/btf/vmlinux (no root); without it those are
 * skipped and, if everything else passed, the test exits 77. */
#include "harness.h"

#include "compile/compiler.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int skipped;

static int compile(const char *src, const struct pl_compile_opts *opts,
		   struct pl_compile_result *res)
{
	return pl_compile(src, strlen(src), opts, res);
}

static int have_btf(void)
{
	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		return 1;
	skipped = 1;
	fprintf(stderr, "SKIPPED (part): no readable /sys/kernel/btf/vmlinux\n");
	return 0;
}

/* The object's BTF id of KIND called NAME (> 0), or <= 0; *VLEN its members. */
static int btf_find(const void *obj, size_t len, const char *name, __u32 kind, int *vlen)
{
	struct bpf_object *o = bpf_object__open_mem(obj, len, NULL);
	int id = -1;

	if (!o)
		return -errno;
	struct btf *btf = bpf_object__btf(o);
	if (btf) {
		id = btf__find_by_name_kind(btf, name, kind);
		if (id > 0 && vlen)
			*vlen = btf_vlen(btf__type_by_id(btf, id));
	}
	bpf_object__close(o);
	return id;
}

/* XDP code as the tutorials write it: UAPI headers, libbpf's bpf_endian.h,
 * the macros and the types of the headers. */
static const char uapi_xdp[] =
	"#include <linux/bpf.h>\n"
	"#include <linux/if_ether.h>\n"
	"#include <linux/ip.h>\n"
	"#include <linux/in.h>\n"
	"#include <linux/udp.h>\n"
	"#include <linux/pkt_cls.h>\n"
	"#include <asm/byteorder.h>\n"
	"#include <asm-generic/errno.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"#include <bpf/bpf_endian.h>\n"
	"SEC(\"xdp\") int udp_only(struct xdp_md *ctx)\n"
	"{\n"
	"	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;\n"
	"	struct ethhdr *eth = data;\n"
	"	struct iphdr *ip = (void *)(eth + 1);\n"
	"	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))\n"
	"		return XDP_PASS;\n"
	"	return ip->protocol == IPPROTO_UDP ? XDP_PASS : (TC_ACT_SHOT + EOPNOTSUPP) & 1;\n"
	"}\n";

static void test_uapi_alone(void)
{
	struct pl_compile_result res;

	int err = compile(uapi_xdp, NULL, &res);
	CHECK_MSG(err == 0, "err %d: %s", err, res.diag);
	/* Served from memory: nothing for the cache to re-read. */
	CHECK_MSG(!res.deps, "real files read: %s", pl_test_str(res.deps));
	pl_compile_result__free(&res);

	/* Every UAPI tree the package has, not only linux/; a typedef of a
	 * tagged struct, which the guarding splits in two. */
	err = compile("#include <linux/capability.h>\n#include <rdma/ib_user_verbs.h>\n"
		      "__attribute__((section(\"xdp\"), used)) int f(void *c)\n"
		      "{ cap_user_header_t h = 0; struct __user_cap_header_struct s = { 1, 2 };\n"
		      "  return (h == 0) + s.pid; }\n",
		      NULL, &res);
	CHECK_MSG(err == 0, "err %d: %s", err, res.diag);
	pl_compile_result__free(&res);

	/* A header that is not there says so, as clang says it. */
	err = compile("#include <linux/no_such_header.h>\n", NULL, &res);
	CHECK(err == -EINVAL);
	CHECK_STR_CONTAINS(res.diag, "'linux/no_such_header.h' file not found");
	pl_compile_result__free(&res);
}

/* vmlinux.h first, then UAPI headers: the kernel's types, the headers'
 * macros, no redefinition; with the pruned header and with the whole one. */
static void test_uapi_after_vmlinux(void)
{
	static const char *const srcs[] = {
		"#include <vmlinux.h>\n"
		"#include <linux/if_ether.h>\n"
		"#include <linux/pkt_cls.h>\n"
		"#include <bpf/bpf_helpers.h>\n"
		"#include <bpf/bpf_endian.h>\n"
		"SEC(\"tc\") int tc_prog(struct __sk_buff *skb)\n"
		"{ return skb->protocol == bpf_htons(ETH_P_IP) ? TC_ACT_OK : TC_ACT_SHOT; }\n",

		/* Types of both, enum constants, the macros beside them. */
		"#include \"vmlinux.h\"\n"
		"#include <linux/if_ether.h>\n"
		"#include <linux/ip.h>\n"
		"#include <linux/in.h>\n"
		"#include <linux/bpf.h>\n"
		"#include <asm-generic/errno.h>\n"
		"#include <bpf/bpf_helpers.h>\n"
		"#include <bpf/bpf_endian.h>\n"
		"#ifndef IPPROTO_UDP\n#error IPPROTO_UDP is a macro too\n#endif\n"
		"SEC(\"xdp\") int x(struct xdp_md *ctx)\n"
		"{\n"
		"	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;\n"
		"	struct ethhdr *eth = data;\n"
		"	struct iphdr *ip = (void *)(eth + 1);\n"
		"	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))\n"
		"		return XDP_PASS;\n"
		"	return ip->protocol == IPPROTO_UDP && ENOENT == 2 ? XDP_DROP : XDP_PASS;\n"
		"}\n",

		/* pktlua's own headers, then UAPI ones. */
		"#include <pktlua/xdp.h>\n"
		"#include <linux/if_ether.h>\n"
		"#include <linux/pkt_cls.h>\n"
		"#include <linux/ipv6.h>\n"
		"SEC(\"xdp\") int y(struct xdp_md *ctx)\n"
		"{ return ETH_P_IPV6 == 0x86DD && TC_ACT_OK == 0 ? XDP_PASS : XDP_DROP; }\n",
	};
	static const char *const modes[] = { "pruned", "full" };

	if (!have_btf())
		return;
	for (size_t m = 0; m < 2; m++) {
		setenv("PKTLUA_VMLINUX", modes[m], 1);
		for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
			struct pl_compile_result res;
			int err = compile(srcs[i], NULL, &res);

			CHECK_MSG(err == 0, "%s vmlinux.h, source %zu: err %d: %s", modes[m], i, err,
				  res.diag);
			pl_compile_result__free(&res);
		}
	}
	unsetenv("PKTLUA_VMLINUX");
}

/* A snippet's own struct key and struct event (the kernel has a struct key)
 * and enumerators: the snippet's win, in the pruned and the whole header,
 * and its struct key is not the kernel's (no CO-RE relocation against it:
 * the object's struct key is the snippet's, with its two members). */
static void test_own_kernel_names(void)
{
	static const char src[] =
		"#include \"vmlinux.h\"\n"
		"#include <bpf/bpf_helpers.h>\n"
		"#include <bpf/bpf_core_read.h>\n"
		"struct key { __u32 pid; char comm[16]; };\n"
		"struct event { __u32 pid; __u64 ts; };\n"
		"enum { TASK_COMM_LEN = 16 };\n"
		"struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 8);\n"
		"	 __type(key, struct key); __type(value, struct event); } m SEC(\".maps\");\n"
		"SEC(\"tp_btf/sched_switch\") int s(__u64 *ctx)\n"
		"{\n"
		"	struct task_struct *t = (void *)bpf_get_current_task();\n"
		"	struct key k = { .pid = BPF_CORE_READ(t, cred, uid.val) };\n"
		"	struct event e = { .pid = k.pid + TASK_COMM_LEN };\n"
		"	bpf_map_update_elem(&m, &k, &e, BPF_ANY);\n"
		"	return 0;\n"
		"}\n";
	static const char *const modes[] = { "pruned", "full" };

	if (!have_btf())
		return;
	for (size_t m = 0; m < 2; m++) {
		struct pl_compile_result res;
		int vlen = -1;

		setenv("PKTLUA_VMLINUX", modes[m], 1);
		int err = compile(src, NULL, &res);
		CHECK_MSG(err == 0, "%s vmlinux.h: err %d: %s", modes[m], err, res.diag);
		if (!err) {
			CHECK(btf_find(res.obj, res.obj_len, "key", BTF_KIND_STRUCT, &vlen) > 0);
			CHECK_MSG(vlen == 2, "%s: struct key has %d members", modes[m], vlen);
		}
		pl_compile_result__free(&res);
	}
	unsetenv("PKTLUA_VMLINUX");
}

/* A record only ever used through a local pointer still has its BTF in the
 * object (bpf.on decodes it by name), kernel-less or with vmlinux.h. */
static void test_local_record_btf(void)
{
	static const char src[] =
		"#include <linux/bpf.h>\n"
		"#include <bpf/bpf_helpers.h>\n"
		"struct event { __u32 pid; __u64 ts; char comm[16]; };\n"
		"union __attribute__((packed)) u { int a; char b; };\n"
		"struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(\".maps\");\n"
		"/* struct in_comment { int x; }; */\n"
		"SEC(\"socket\") int f(void *ctx)\n"
		"{\n"
		"	struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);\n"
		"	union u *v = (void *)0;\n"
		"	if (!e)\n"
		"		return 0;\n"
		"	e->pid = 1 + (v != 0);\n"
		"	bpf_ringbuf_submit(e, 0);\n"
		"	return 0;\n"
		"}\n";
	struct pl_compile_result res;
	int vlen = -1;

	int err = compile(src, NULL, &res);
	CHECK_MSG(err == 0, "err %d: %s", err, res.diag);
	if (!err) {
		CHECK(btf_find(res.obj, res.obj_len, "event", BTF_KIND_STRUCT, &vlen) > 0 && vlen == 3);
		CHECK(btf_find(res.obj, res.obj_len, "u", BTF_KIND_UNION, &vlen) > 0 && vlen == 2);
		CHECK(btf_find(res.obj, res.obj_len, "in_comment", BTF_KIND_STRUCT, NULL) <= 0);
		CHECK(btf_find(res.obj, res.obj_len, "packed", BTF_KIND_STRUCT, NULL) <= 0);
		/* libbpf makes no map of the section that holds the references. */
		struct bpf_object *o = bpf_object__open_mem(res.obj, res.obj_len, NULL);
		struct bpf_map *map;
		int nmaps = 0;
		CHECK(o);
		bpf_object__for_each_map(map, o)
			nmaps++;
		CHECK_MSG(nmaps == 1, "%d maps", nmaps);
		bpf_object__close(o);
	}
	pl_compile_result__free(&res);
}

/* The user's -I directories come before pktlua's own <bpf/...> (a project
 * with newer libbpf headers gets its own), and the file clang took is a
 * dependency the cache watches. */
static void test_user_include_first(void)
{
	char dir[] = "/tmp/pktlua-test-hdr-XXXXXX", sub[128], path[160], flag[160];
	struct pl_compile_result res;

	CHECK(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/bpf", dir);
	snprintf(path, sizeof(path), "%s/bpf_endian.h", sub);
	snprintf(flag, sizeof(flag), "-I%s", dir);
	CHECK(!mkdir(sub, 0700));
	FILE *f = fopen(path, "w");
	CHECK(f);
	if (!f)
		return;
	fputs("#define MY_OWN_ENDIAN 7\n", f);
	fclose(f);
	const char *cflags[] = { flag, NULL };
	struct pl_compile_opts opts = { .cflags = cflags };
	int err = compile("#include <bpf/bpf_endian.h>\n"
			  "__attribute__((section(\"xdp\"), used)) int f(void *c) { return MY_OWN_ENDIAN; }\n",
			  &opts, &res);
	CHECK_MSG(err == 0, "err %d: %s", err, res.diag);
	CHECK(res.deps && memmem(res.deps, res.deps_len, path, strlen(path)));
	pl_compile_result__free(&res);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	/* The shim is built next to the pktlua binary, not next to tests. */
	if (pl_compiler_set_shim_dir(PKTLUA_TEST_BINDIR))
		return 1;
	RUN(test_uapi_alone);
	RUN(test_uapi_after_vmlinux);
	RUN(test_own_kernel_names);
	RUN(test_local_record_btf);
	RUN(test_user_include_first);
	pl_compiler_set_shim_dir(NULL);
	int rc = pl_test_summary();
	return rc == 0 && skipped ? 77 : rc;
}
