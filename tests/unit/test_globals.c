/* test_globals.c — global variables of an opened object (no root: nothing
 * is loaded): which variables are found, in which sections, and that a
 * write before load lands in libbpf's initial image. */
#include "harness.h"

#include "bpf/globals.h"
#include "bpf/loader.h"
#include "compile/compiler.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char src[] =
	"#include <pktlua/bpf.h>\n"
	"const volatile __u32 targ_pid = 3;\n"
	"__u64 counter;\n"
	"int knob = 7;\n"
	"__u32 tuned SEC(\".data.tuning\") = 5;\n"
	"SEC(\"tracepoint/syscalls/sys_enter_openat\") int f(void *ctx)\n"
	"{ counter += targ_pid + knob + tuned; return 0; }\n";

static struct bpf_object *opened;

static int collect(const struct pl_global *g, void *ctx)
{
	char *names = ctx;

	strcat(names, g->name);
	strcat(names, "@");
	strcat(names, g->section);
	strcat(names, g->rodata ? "(ro) " : " ");
	return 0;
}

static void open_object(void)
{
	struct pl_compile_opts copts = { .filename = "test_globals.c" };
	struct pl_compile_result res;
	char *msg = NULL;

	int err = pl_compile(src, strlen(src), &copts, &res);
	CHECK_MSG(err == 0, "compile: %d\n%s", err, pl_test_str(res.diag));
	if (!err) {
		err = pl_object_open(res.obj, res.obj_len, &(struct pl_load_opts){ .name = "g" },
				     &opened, &msg);
		CHECK_MSG(err == 0, "open: %d %s", err, pl_test_str(msg));
	}
	free(msg);
	pl_compile_result__free(&res);
}

static void finds_every_section(void)
{
	char names[512] = "";

	if (!opened)
		return;
	CHECK(pl_globals__for_each(opened, collect, names) == 0);
	CHECK_STR_CONTAINS(names, "targ_pid@.rodata(ro) ");
	CHECK_STR_CONTAINS(names, "counter@.bss ");
	CHECK_STR_CONTAINS(names, "knob@.data ");
	CHECK_STR_CONTAINS(names, "tuned@.data.tuning ");
	struct pl_global g;
	CHECK(pl_global__find(opened, "nosuch", &g) == -ENOENT);
}

static void write_before_load(void)
{
	struct pl_global g;
	uint32_t v = 0;
	int32_t k = 0;

	if (!opened)
		return;
	CHECK(pl_global__find(opened, "targ_pid", &g) == 0);
	CHECK(g.size == 4);
	CHECK(pl_global__read(&g, &v) == 0 && v == 3);
	v = 4242;
	CHECK(pl_global__write(&g, &v) == 0);   /* .rodata is writable before load */
	v = 0;
	CHECK(pl_global__read(&g, &v) == 0 && v == 4242);
	size_t size;
	const char *img = bpf_map__initial_value(g.map, &size);
	CHECK(img && g.offset + 4 <= size && !memcmp(img + g.offset, &(uint32_t){ 4242 }, 4));

	CHECK(pl_global__find(opened, "knob", &g) == 0);
	CHECK(pl_global__read(&g, &k) == 0 && k == 7);
}

int main(void)
{
	if (pl_compiler_set_shim_dir(PKTLUA_TEST_BINDIR))
		return fprintf(stderr, "cannot find the compiler shim\n"), 1;
	open_object();
	RUN(finds_every_section);
	RUN(write_before_load);
	bpf_object__close(opened);
	return pl_test_summary();
}
