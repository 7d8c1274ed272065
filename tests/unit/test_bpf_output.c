/* test_bpf_output.c — the host side of output from BPF, without loading
 * anything (no root): bpf_printk's tag filled in the object's read-only data
 * and told apart in trace lines; pktlua_printf's ring created only in
 * objects that use it. */
#include "harness.h"

#include "bpf/loader.h"
#include "bpf/printk_tag.h"
#include "compile/compiler.h"

#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct bpf_object *open_src(const char *src)
{
	struct pl_compile_opts copts = { .filename = "test_bpf_output.c" };
	struct pl_compile_result res;
	struct bpf_object *obj = NULL;
	char *msg = NULL;

	int err = pl_compile(src, strlen(src), &copts, &res);
	CHECK_MSG(err == 0, "compile: %d\n%s", err, pl_test_str(res.diag));
	if (!err) {
		err = pl_object_open(res.obj, res.obj_len, &(struct pl_load_opts){ .name = "o" },
				     &obj, &msg);
		CHECK_MSG(err == 0, "open: %d %s", err, pl_test_str(msg));
	}
	free(msg);
	pl_compile_result__free(&res);
	return obj;
}

static bool image_has(struct bpf_object *obj, const char *needle)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		size_t size;
		const char *img = bpf_map__initial_value(map, &size);
		if (img && bpf_map__is_internal(map) && memmem(img, size, needle, strlen(needle)))
			return true;
	}
	return false;
}

static void printk_tag_filled(void)
{
	struct bpf_object *obj = open_src(
		"#include <pktlua/bpf.h>\n"
		"SEC(\"xdp\") int f(struct xdp_md *ctx) { bpf_printk(\"a %d\", 1);\n"
		"bpf_printk(\"b %d %d %d %d\", 1, 2, 3, 4); return XDP_PASS; }\n");
	if (!obj)
		return;
	CHECK(image_has(obj, "{pktlua:00000000}a %d"));
	CHECK(pl_printk_tag__fill(obj, 0x1234) == 2);    /* bpf_printk and its vprintk form */
	CHECK(image_has(obj, "{pktlua:00001234}a %d"));
	CHECK(image_has(obj, "{pktlua:00001234}b %d %d %d %d"));
	CHECK(!image_has(obj, "{pktlua:00000000}"));
	bpf_object__close(obj);
}

static void printk_lines_told_apart(void)
{
	const char *m;
	size_t len;

	len = strlen("{pktlua:00001234}hello");
	m = pl_printk_tag__mine("{pktlua:00001234}hello", &len, 0x1234);
	CHECK(m && len == 5 && !memcmp(m, "hello", 5));
	len = strlen("{pktlua:00004321}hello");
	CHECK(pl_printk_tag__mine("{pktlua:00004321}hello", &len, 0x1234) == NULL);
	len = strlen("plain line");
	m = pl_printk_tag__mine("plain line", &len, 0x1234);
	CHECK(m && len == strlen("plain line"));
	len = strlen("{pktlua:0000zz34}x");                 /* not a tag: kept whole */
	m = pl_printk_tag__mine("{pktlua:0000zz34}x", &len, 0x1234);
	CHECK(m && len == strlen("{pktlua:0000zz34}x"));
}

static void printf_ring_only_where_used(void)
{
	struct bpf_object *with = open_src(
		"#include <pktlua/bpf.h>\n"
		"SEC(\"xdp\") int f(struct xdp_md *ctx) { pktlua_printf(\"x %d\\n\", 1); return XDP_PASS; }\n");
	struct bpf_object *without = open_src(
		"#include <pktlua/bpf.h>\n#include <pktlua/events.h>\n"
		"PKTLUA_HASH(mine, __u32, __u64, 4);\n"
		"SEC(\"xdp\") int f(struct xdp_md *ctx) { return XDP_PASS; }\n");
	if (!with || !without)
		return;
	struct bpf_map *m;
	m = bpf_object__find_map_by_name(with, "pktlua_printf_ring");
	CHECK(m && bpf_map__autocreate(m));
	m = bpf_object__find_map_by_name(with, "pktlua_printf_lost");
	CHECK(m && bpf_map__autocreate(m));
	m = bpf_object__find_map_by_name(without, "pktlua_printf_ring");
	CHECK(m && !bpf_map__autocreate(m));
	m = bpf_object__find_map_by_name(without, "pktlua_lost");      /* events.h, unused */
	CHECK(m && !bpf_map__autocreate(m));
	m = bpf_object__find_map_by_name(without, "mine");             /* the user's: always */
	CHECK(m && bpf_map__autocreate(m));
	bpf_object__close(with);
	bpf_object__close(without);
}

int main(void)
{
	if (pl_compiler_set_shim_dir(PKTLUA_TEST_BINDIR))
		return fprintf(stderr, "cannot find the compiler shim\n"), 1;
	RUN(printk_tag_filled);
	RUN(printk_lines_told_apart);
	RUN(printf_ring_only_where_used);
	return pl_test_summary();
}
