/* test_compiler.c — pl_compile(): objects, diagnostics, headers, CO-RE, failures.
 *
 * Needs the shim library (built next to the pktlua binary). The CO-RE part
 * loads its objects into the kernel and needs root; without root it is
 * skipped and, if everything else passed, the test exits 77 (skipped). */
#include "harness.h"

#include "compile/compiler.h"

#include <bpf/libbpf.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int skipped;

static int compile(const char *src, const struct pl_compile_opts *opts,
		   struct pl_compile_result *res)
{
	return pl_compile(src, strlen(src), opts, res);
}

/* The section called NAME in the ELF object, or NULL; *LEN its size. */
static const void *elf_section(const void *obj, size_t obj_len, const char *name, size_t *len)
{
	const Elf64_Ehdr *eh = obj;

	if (obj_len < sizeof(*eh) || eh->e_shoff > obj_len ||
	    eh->e_shnum * sizeof(Elf64_Shdr) > obj_len - eh->e_shoff ||
	    eh->e_shstrndx >= eh->e_shnum)
		return NULL;
	const Elf64_Shdr *sh = (const void *)((const char *)obj + eh->e_shoff);
	const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
	if (strs->sh_offset > obj_len || strs->sh_size > obj_len - strs->sh_offset)
		return NULL;
	const char *names = (const char *)obj + strs->sh_offset;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_name >= strs->sh_size ||
		    strnlen(names + sh[i].sh_name, strs->sh_size - sh[i].sh_name) != strlen(name) ||
		    strcmp(names + sh[i].sh_name, name))
			continue;
		if (sh[i].sh_offset > obj_len || sh[i].sh_size > obj_len - sh[i].sh_offset)
			return NULL;
		*len = sh[i].sh_size;
		return (const char *)obj + sh[i].sh_offset;
	}
	return NULL;
}

static const char tiny_xdp[] =
	"struct xdp_md { unsigned int data, data_end; };\n"
	"__attribute__((section(\"xdp\"), used)) int pass(struct xdp_md *ctx)\n"
	"{\n"
	"	return ctx->data_end > ctx->data ? 2 : 1;\n"
	"}\n";

static void test_object(void)
{
	struct pl_compile_result res;
	const unsigned char *e;
	size_t len = 0;

	int err = compile(tiny_xdp, NULL, &res);
	CHECK_MSG(err == 0, "err %d: %s", err, res.diag);
	CHECK(res.diag && !strcmp(res.diag, ""));
	e = res.obj;
	CHECK(e && res.obj_len > sizeof(Elf64_Ehdr));
	if (!e)
		goto out;
	CHECK(!memcmp(e, ELFMAG, SELFMAG));
	CHECK(e[EI_CLASS] == ELFCLASS64 && e[EI_DATA] == ELFDATA2LSB);
	CHECK(((const Elf64_Ehdr *)e)->e_machine == EM_BPF);
	CHECK(elf_section(res.obj, res.obj_len, ".BTF", &len) && len > 0);
	CHECK(elf_section(res.obj, res.obj_len, ".BTF.ext", &len) && len > 0);
	CHECK(elf_section(res.obj, res.obj_len, "xdp", &len) && len > 0);
	/* No license in the snippet: GPL is added. */
	const char *lic = elf_section(res.obj, res.obj_len, "license", &len);
	CHECK(lic && len == 4 && !memcmp(lic, "GPL", 4));
out:
	pl_compile_result__free(&res);
	CHECK(!res.obj && !res.diag);
}

static void test_own_license(void)
{
	static const char src[] =
		"__attribute__((section(\"license\"), used)) char LICENSE[] = \"Dual BSD/GPL\";\n"
		"__attribute__((section(\"xdp\"), used)) int pass(void *ctx) { return 2; }\n";
	struct pl_compile_result res;
	size_t len = 0;

	int err = compile(src, NULL, &res);
	CHECK_MSG(err == 0, "err %d: %s", err, res.diag);
	const char *lic = res.obj ? elf_section(res.obj, res.obj_len, "license", &len) : NULL;
	CHECK(lic && len == sizeof("Dual BSD/GPL") && !strcmp(lic, "Dual BSD/GPL"));
	pl_compile_result__free(&res);
}

static void test_diag_lines(void)
{
	/* The error is on the third line of the snippet, which starts at line 12
	 * of x.lua: clang must name x.lua:14, and print nothing itself. */
	static const char src[] =
		"__attribute__((section(\"xdp\"), used)) int f(void *ctx)\n"
		"{\n"
		"	return undeclared_thing;\n"
		"}\n";
	struct pl_compile_opts opts = { .filename = "x.lua", .first_line = 12 };
	struct pl_compile_result res;
	char tmpl[] = "/tmp/pktlua-test-stderr-XXXXXX";
	int fd = mkstemp(tmpl), saved = dup(STDERR_FILENO);

	CHECK(fd >= 0 && saved >= 0);
	unlink(tmpl);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	int err = compile(src, &opts, &res);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);

	CHECK_MSG(err == -EINVAL, "err %d", err);
	CHECK(!res.obj);
	CHECK_STR_CONTAINS(res.diag, "x.lua:14: error: use of undeclared identifier 'undeclared_thing'");
	off_t printed = lseek(fd, 0, SEEK_END);
	CHECK_MSG(printed == 0, "the compiler wrote %lld bytes to stderr", (long long)printed);
	close(fd);
	pl_compile_result__free(&res);

	/* Errors in the prelude name "<generated>". */
	opts.prelude = "static int helper(void) { return nope; }";
	err = compile(tiny_xdp, &opts, &res);
	CHECK(err == -EINVAL);
	CHECK_STR_CONTAINS(res.diag, "<generated>:1: error: use of undeclared identifier 'nope'");
	pl_compile_result__free(&res);

	/* A warning alone does not fail the compile but is reported. */
	static const char warn[] =
		"__attribute__((section(\"xdp\"), used)) int f(void *ctx)\n"
		"{\n"
		"	int unused_var;\n"
		"	return 2;\n"
		"}\n";
	const char *const cflags[] = { "-Wunused-variable", NULL };
	struct pl_compile_opts wopts = { .filename = "w.lua", .first_line = 5, .cflags = cflags };
	err = compile(warn, &wopts, &res);
	CHECK_MSG(err == 0, "err %d: %s", err, res.diag);
	CHECK_STR_CONTAINS(res.diag, "w.lua:7: warning: unused variable 'unused_var'");
	pl_compile_result__free(&res);
}

static void test_quoted_include(void)
{
	/* #include "x.h" looks next to the script. */
	char dir[] = "/tmp/pktlua-test-inc-XXXXXX", path[64], script[64];
	struct pl_compile_result res;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/helper.h", dir);
	snprintf(script, sizeof(script), "%s/s.lua", dir);
	FILE *f = fopen(path, "w");
	CHECK(f);
	if (!f)
		return;
	fputs("#define FROM_HELPER 2\n", f);
	fclose(f);
	struct pl_compile_opts opts = { .filename = script, .first_line = 4 };
	int err = compile("#include \"helper.h\"\n"
			  "__attribute__((section(\"xdp\"), used)) int f(void *c) { return FROM_HELPER; }\n",
			  &opts, &res);
	CHECK_MSG(err == 0, "err %d: %s", err, res.diag);
	pl_compile_result__free(&res);
	unlink(path);
	rmdir(dir);
}

static void test_runtime_header(void)
{
	/* <pktlua/bpf.h> pulls vmlinux.h and libbpf's bpf_*.h from memory. */
	static const char src[] =
		"#include <pktlua/bpf.h>\n"
		"PKTLUA_HASH(counts, __u32, __u64, 64);\n"
		"SEC(\"xdp\") int count(struct xdp_md *ctx)\n"
		"{\n"
		"	__u32 key = ctx->ingress_ifindex;\n"
		"	__u64 one = 1;\n"
		"	PKTLUA_ADD(counts, &key, one);\n"
		"	return XDP_PASS;\n"
		"}\n";
	struct pl_compile_result res;
	size_t len = 0;

	int err = compile(src, NULL, &res);
	CHECK_MSG(err == 0, "err %d: %s", err, res.diag);
	CHECK(res.obj && elf_section(res.obj, res.obj_len, ".maps", &len));
	pl_compile_result__free(&res);
}

/* CO-RE: BPF_CORE_READ through task_struct. In LLVM 19 the second such
 * compile in one process crashes (BPFAbstractMemberAccess's static
 * GEPGlobals map): pl_compile() compiles in a fresh child each time, so all
 * three must succeed, and each object must load. */
static void test_core_thrice(void)
{
	static const char src[] =
		"#include <pktlua/bpf.h>\n"
		"__u64 seen_ppid;\n"
		"SEC(\"tp/syscalls/sys_enter_getpid\")\n"
		"int on_getpid(void *ctx)\n"
		"{\n"
		"	struct task_struct *t = (struct task_struct *)bpf_get_current_task();\n"
		"	seen_ppid = BPF_CORE_READ(t, real_parent, tgid);\n"
		"	return 0;\n"
		"}\n";
	struct pl_compile_opts opts = { .filename = "core.lua", .first_line = 3 };

	for (int i = 0; i < 3; i++) {
		struct pl_compile_result res;
		size_t len = 0;

		int err = compile(src, &opts, &res);
		CHECK_MSG(err == 0, "round %d: err %d: %s", i, err, res.diag);
		CHECK(res.obj && elf_section(res.obj, res.obj_len, ".BTF.ext", &len) && len > 0);
		if (err || geteuid() != 0) {
			if (!err && i == 0) {
				fprintf(stderr, "skip: loading CO-RE objects needs root\n");
				skipped++;
			}
			pl_compile_result__free(&res);
			continue;
		}
		LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "core");
		struct bpf_object *obj = bpf_object__open_mem(res.obj, res.obj_len, &oo);
		CHECK_MSG(obj, "round %d: open: %s", i, strerror(errno));
		if (obj) {
			err = bpf_object__load(obj);
			CHECK_MSG(err == 0, "round %d: load: %s", i, strerror(-err));
			bpf_object__close(obj);
		}
		pl_compile_result__free(&res);
	}
}

static void test_backend_errors(void)
{
	struct pl_compile_opts opts = { .filename = "b.lua", .first_line = 1 };
	struct pl_compile_result res;

	/* LLVM 19's BPF backend cannot select an atomic NAND: report_fatal_error()
	 * ("Cannot select"), which must end only the compiler child. */
	static const char nand[] =
		"__attribute__((section(\"xdp\"), used)) int f(void *ctx)\n"
		"{\n"
		"	static long v;\n"
		"	return __sync_fetch_and_nand(&v, 1);\n"
		"}\n";
	int err = compile(nand, &opts, &res);
	CHECK_MSG(err == -ECHILD, "err %d: %s", err, res.diag);
	CHECK(!res.obj);
	CHECK_STR_CONTAINS(res.diag, "b.lua: compiler failed (LLVM fatal error)\n");
	CHECK_STR_CONTAINS(res.diag, "error in backend: Cannot select");
	pl_compile_result__free(&res);

	/* Six arguments to a real BPF function: an error diagnostic at codegen. */
	static const char six[] =
		"struct xdp_md { unsigned int data, data_end; };\n"
		"__attribute__((noinline)) int six(int a, int b, int c, int d, int e, int f)\n"
		"{\n"
		"	return a * b + c * d + e * f;\n"
		"}\n"
		"__attribute__((section(\"xdp\"), used)) int many(struct xdp_md *ctx)\n"
		"{\n"
		"	int x = ctx->data;\n"
		"	return six(x, x + 1, x + 2, x + 3, x + 4, x + 5);\n"
		"}\n";
	err = compile(six, &opts, &res);
	CHECK_MSG(err == -EINVAL, "err %d: %s", err, res.diag);
	CHECK(!res.obj);
	CHECK_STR_CONTAINS(res.diag, "too many arguments");
	/* On the line of the call, not on the function (see line_file). */
	CHECK_STR_CONTAINS(res.diag, "b.lua:9: error:");
	CHECK(!strstr(res.diag, "could not determine the original source location"));
	pl_compile_result__free(&res);

	/* The stack limit, and -mllvm reaching the backend to lift it. */
	static const char big[] =
		"struct xdp_md { unsigned int data, data_end; };\n"
		"__attribute__((section(\"xdp\"), used)) int big(struct xdp_md *ctx)\n"
		"{\n"
		"	volatile char buf[1024];\n"
		"	buf[ctx->data & 1023] = 1;\n"
		"	return buf[ctx->data_end & 1023];\n"
		"}\n";
	err = compile(big, &opts, &res);
	CHECK_MSG(err == -EINVAL, "err %d: %s", err, res.diag);
	CHECK_STR_CONTAINS(res.diag, "b.lua:2: error: Looks like the BPF stack limit is exceeded");
	pl_compile_result__free(&res);
	const char *const mllvm[] = { "-mllvm", "-bpf-stack-size=2048", NULL };
	struct pl_compile_opts mopts = { .cflags = mllvm };
	err = compile(big, &mopts, &res);
	CHECK_MSG(err == 0, "err %d: %s", err, res.diag);
	pl_compile_result__free(&res);

	/* Still alive, still compiling. */
	err = compile(tiny_xdp, NULL, &res);
	CHECK(err == 0);
	pl_compile_result__free(&res);
}

static void test_defines(void)
{
	static const char src[] =
		"_Static_assert(FOO == 3, \"FOO\");\n"
		"_Static_assert(BAR == 1, \"BAR\");\n"
		"_Static_assert(BAZ == 7, \"BAZ\");\n"
		"__attribute__((section(\"xdp\"), used)) int f(void *ctx) { return FOO; }\n";
	const char *const defines[] = { "FOO=3", "BAR", NULL };
	const char *const cflags[] = { "-DBAZ=7", "-O1", NULL };
	struct pl_compile_opts opts = { .defines = defines, .cflags = cflags };
	struct pl_compile_result res;

	int err = compile(src, &opts, &res);
	CHECK_MSG(err == 0, "err %d: %s", err, res.diag);
	pl_compile_result__free(&res);

	/* Without them the asserts fire: the macros really came from opts. */
	err = compile(src, NULL, &res);
	CHECK(err == -EINVAL);
	CHECK_STR_CONTAINS(res.diag, "<snippet>:1: error: use of undeclared identifier 'FOO'");
	pl_compile_result__free(&res);

	/* An unknown flag is the user's error, reported as such. */
	const char *const bad[] = { "-fno-such-flag", NULL };
	struct pl_compile_opts bopts = { .cflags = bad };
	err = compile(tiny_xdp, &bopts, &res);
	CHECK_MSG(err == -EINVAL, "err %d", err);
	CHECK_STR_CONTAINS(res.diag, "unknown argument: '-fno-such-flag'");
	pl_compile_result__free(&res);
}

static void test_no_shim(void)
{
	struct pl_compile_result res;

	setenv("PKTLUA_CC_SHIM", "/nonexistent/libpktlua-cc.so", 1);
	int err = compile(tiny_xdp, NULL, &res);
	unsetenv("PKTLUA_CC_SHIM");
	CHECK_MSG(err == -ENOENT, "err %d", err);
	CHECK(!res.obj);
	CHECK_STR_CONTAINS(res.diag, "cannot load the compiler (PKTLUA_CC_SHIM=/nonexistent/");
	pl_compile_result__free(&res);
}

int main(void)
{
	/* The shim is built next to the pktlua binary, not next to tests. */
	if (pl_compiler_set_shim_dir(PKTLUA_TEST_BINDIR))
		return 1;
	RUN(test_object);
	RUN(test_own_license);
	RUN(test_diag_lines);
	RUN(test_quoted_include);
	RUN(test_runtime_header);
	RUN(test_core_thrice);
	RUN(test_backend_errors);
	RUN(test_defines);
	RUN(test_no_shim);
	pl_compiler_set_shim_dir(NULL);
	int rc = pl_test_summary();
	return rc == 0 && skipped ? 77 : rc;
}
