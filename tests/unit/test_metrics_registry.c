/* test_metrics_registry.c — families without maps (callbacks), name rules,
 * the order of an exposition and pktlua's own families in it, and the label
 * decoders on raw bytes. No root, no kernel. */
#include "metrics/decode.h"
#include "metrics/registry.h"
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int forty_two(void *ctx, struct pl_mval *v, struct pl_mbuf *err)
{
	(void)ctx;
	(void)err;
	*v = (struct pl_mval){ .kind = PL_MVAL_I64, .i = 42 };
	return 0;
}

static int absent(void *ctx, struct pl_mval *v, struct pl_mbuf *err)
{
	(void)ctx;
	(void)v;
	(void)err;
	return 1;
}

static int broken(void *ctx, struct pl_mval *v, struct pl_mbuf *err)
{
	(void)ctx;
	(void)v;
	pl_mbuf__puts(err, "no luck");
	return -EIO;
}

static int extra(void *ctx, enum pl_expo_format fmt, struct pl_mbuf *out, struct pl_mbuf *err)
{
	(void)ctx;
	(void)err;
	pl_expo__family(out, fmt, "pktlua_events_lost_total", "lost", PL_METRIC_COUNTER);
	pl_mbuf__puts(out, "pktlua_events_lost_total{map=\"e\"} 3\n");
	return 0;
}

static void names(void)
{
	struct pl_metrics *m = pl_metrics__new();
	char err[256];

	CHECK(!pl_metrics__check_name(m, "x_total", PL_METRIC_COUNTER));
	CHECK_STR_CONTAINS(pl_metrics__check_name(m, "x", PL_METRIC_COUNTER), "ends in _total");
	CHECK_STR_CONTAINS(pl_metrics__check_name(m, "_total", PL_METRIC_COUNTER), "ends in _total");
	CHECK_STR_CONTAINS(pl_metrics__check_name(m, "x_total", PL_METRIC_GAUGE),
			   "only a counter's name ends in _total");
	CHECK_STR_CONTAINS(pl_metrics__check_name(m, "x_count", PL_METRIC_HISTOGRAM), "_bucket");
	CHECK(!pl_metrics__check_name(m, "x_count", PL_METRIC_GAUGE));
	CHECK_STR_CONTAINS(pl_metrics__check_name(m, "x y", PL_METRIC_GAUGE), "not a metric name");
	CHECK_STR_CONTAINS(pl_metrics__check_name(m, "pktlua_map_entries", PL_METRIC_GAUGE),
			   "pktlua's own");
	CHECK(pl_metrics__add_fn(m, "a", "A.", PL_METRIC_GAUGE, forty_two, NULL, err,
				 sizeof(err)) == 0);
	CHECK(pl_metrics__add_fn(m, "a", "A.", PL_METRIC_GAUGE, forty_two, NULL, err,
				 sizeof(err)) == -EEXIST);
	CHECK_STR_CONTAINS(err, "metric 'a': a metric of that name is already registered");
	CHECK(pl_metrics__add_fn(m, "h", "H.", PL_METRIC_HISTOGRAM, forty_two, NULL, err,
				 sizeof(err)) == -EINVAL);
	CHECK(pl_metrics__remove(m, "a") == 0);
	CHECK(pl_metrics__remove(m, "a") == -ENOENT);
	CHECK(pl_metrics__name(m, 0) == NULL);
	pl_metrics__free(m);
}

static void exposition(void)
{
	struct pl_metrics *m = pl_metrics__new();
	struct pl_mbuf out = { 0 };
	char err[256];

	CHECK(!pl_metrics__add_fn(m, "b_total", "B.", PL_METRIC_COUNTER, forty_two, NULL, err,
				  sizeof(err)));
	CHECK(!pl_metrics__add_fn(m, "a", "A.", PL_METRIC_GAUGE, absent, NULL, err, sizeof(err)));
	pl_metrics__set_extra(m, extra, NULL);
	CHECK(pl_metrics__render(m, PL_EXPO_TEXT, &out) == 0);
	const char *want =
		"# HELP b_total B.\n# TYPE b_total counter\nb_total 42\n"
		"# HELP a A.\n# TYPE a gauge\n"
		"# HELP pktlua_events_lost_total lost\n# TYPE pktlua_events_lost_total counter\n"
		"pktlua_events_lost_total{map=\"e\"} 3\n"
		"# HELP pktlua_map_entries ";
	CHECK_MSG(out.data && !strncmp(out.data, want, strlen(want)), "%s", out.data);
	CHECK_STR_CONTAINS(out.data, "pktlua_build_info{version=\"");
	const char *last = out.data ? strstr(out.data, "\npktlua_scrape_duration_seconds ") : NULL;
	CHECK(last && strchr(last + 1, '\n') == out.data + out.len - 1);  /* the last line */
	CHECK(pl_metrics__scrapes(m) == 1);
	CHECK(pl_metrics__last_duration(m) > 0);

	pl_mbuf__reset(&out);
	CHECK(pl_metrics__render(m, PL_EXPO_OPENMETRICS, &out) == 0);
	CHECK_STR_CONTAINS(out.data, "# TYPE b counter\nb_total 42\n");
	CHECK(out.len > 6 && !strcmp(out.data + out.len - 6, "# EOF\n"));

	/* A failing family fails the exposition with its message. */
	CHECK(!pl_metrics__add_fn(m, "c", "C.", PL_METRIC_GAUGE, broken, NULL, err, sizeof(err)));
	pl_mbuf__reset(&out);
	CHECK(pl_metrics__render(m, PL_EXPO_TEXT, &out) == -EIO);
	CHECK(out.data && !strcmp(out.data, "metric 'c': no luck"));
	CHECK(pl_metrics__scrapes(m) == 2);
	pl_mbuf__free(&out);
	pl_metrics__free(m);
}

static char *decoded(struct pl_mdecoders *d, enum pl_mdecode dec, enum pl_mfield_kind kind,
		     const void *p, uint32_t size)
{
	static struct pl_mbuf b;

	pl_mbuf__reset(&b);
	pl_mdecoders__run(d, dec, kind, p, size, &b);
	pl_mbuf__putc(&b, '\0');
	return b.data;
}

static void decoders(void)
{
	struct pl_mdecoders *d = pl_mdecoders__new();
	uint8_t v4[4] = { 198, 18, 0, 1 }, v6[16] = { 0x20, 1, 0xd, 0xb8 }, mapped[16] = { 10, 0, 0, 9 };
	uint16_t port = htons(8080);
	int32_t e = -ENOENT, z = 0, lo = 1, me = (int32_t)getpid(), nobody = 0x7ffffff0;
	char comm[16] = "bash";

	v6[15] = 1;
	pl_mdecoders__begin_scrape(d);
	CHECK(!strcmp(decoded(d, PL_MDECODE_IP, PL_MFIELD_BYTES, v4, 4), "198.18.0.1"));
	CHECK(!strcmp(decoded(d, PL_MDECODE_IP, PL_MFIELD_BYTES, v6, 16), "2001:db8::1"));
	CHECK(!strcmp(decoded(d, PL_MDECODE_IP, PL_MFIELD_BYTES, mapped, 16), "10.0.0.9"));
	CHECK(!strcmp(decoded(d, PL_MDECODE_PORT, PL_MFIELD_UINT, &port, 2), "8080"));
	CHECK(!strcmp(decoded(d, PL_MDECODE_ERRNO, PL_MFIELD_INT, &e, 4), "ENOENT"));
	CHECK(!strcmp(decoded(d, PL_MDECODE_ERRNO, PL_MFIELD_INT, &z, 4), "0"));
	CHECK(!strcmp(decoded(d, PL_MDECODE_IFNAME, PL_MFIELD_UINT, &lo, 4), "lo"));
	CHECK(!strcmp(decoded(d, PL_MDECODE_IFNAME, PL_MFIELD_UINT, &nobody, 4), "2147483632"));
	CHECK(!strcmp(decoded(d, PL_MDECODE_COMM, PL_MFIELD_CHARS, comm, 16), "bash"));
	CHECK(!strcmp(decoded(d, PL_MDECODE_COMM, PL_MFIELD_INT, &me, 4),
		      "test_metrics_re"));   /* comm: 15 characters of the name */
	CHECK(!strcmp(decoded(d, PL_MDECODE_COMM, PL_MFIELD_INT, &nobody, 4), "2147483632"));
	uint64_t far = 1;   /* below every kernel symbol */
	CHECK(!strcmp(decoded(d, PL_MDECODE_KSYM, PL_MFIELD_UINT, &far, 8), "0x1"));

	CHECK(pl_mdecode__parse("ip") == PL_MDECODE_IP);
	CHECK(pl_mdecode__parse("function") == PL_MDECODE_NONE);
	CHECK(pl_mdecode__parse("nope") == PL_MDECODE_NONE);
	CHECK(!pl_mdecode__check(PL_MDECODE_IP, PL_MFIELD_UINT, 4));
	CHECK(pl_mdecode__check(PL_MDECODE_IP, PL_MFIELD_UINT, 8));
	CHECK(pl_mdecode__check(PL_MDECODE_PORT, PL_MFIELD_UINT, 4));
	CHECK(pl_mdecode__check(PL_MDECODE_IFNAME, PL_MFIELD_CHARS, 16));
	CHECK(!pl_mdecode__check(PL_MDECODE_COMM, PL_MFIELD_CHARS, 16));
	pl_mdecoders__free(d);
}

static void fields(void)
{
	struct pl_mbuf b = { 0 };
	uint8_t bits[2] = { 0xb5, 0x01 };   /* 0b1_1011_0101 */
	int8_t neg = -3;
	uint8_t raw[3] = { 0xde, 0xad, 0x01 };
	char chars[8] = "ab\0cd";

	CHECK(pl_mfield__u64(bits, 2, 2, 3, false) == 5);        /* bits 2..4: 101 */
	CHECK(pl_mfield__u64(bits, 2, 2, 3, true) == (uint64_t)-3);
	CHECK(pl_mfield__u64(bits, 2, 4, 5, false) == 0x1b);     /* bits 4..8 */
	CHECK(pl_mfield__u64(&neg, 1, 0, 0, true) == (uint64_t)-3);
	pl_mfield__text(PL_MFIELD_INT, &neg, 1, &b);
	pl_mbuf__putc(&b, ' ');
	pl_mfield__text(PL_MFIELD_BYTES, raw, 3, &b);
	pl_mbuf__putc(&b, ' ');
	pl_mfield__text(PL_MFIELD_CHARS, chars, 8, &b);
	pl_mbuf__putc(&b, ' ');
	pl_mfield__text(PL_MFIELD_BOOL, raw, 1, &b);
	CHECK_MSG(!strcmp(b.data, "-3 dead01 ab true"), "%s", b.data);
	pl_mbuf__free(&b);
}

int main(void)
{
	RUN(names);
	RUN(exposition);
	RUN(decoders);
	RUN(fields);
	return pl_test_summary();
}
