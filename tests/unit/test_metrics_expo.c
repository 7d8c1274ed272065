/* test_metrics_expo.c — the exposition formats: names, escaping, values,
 * families in both formats, content negotiation, series keyed by labels. */
#include "metrics/expo.h"
#include "harness.h"

#include <math.h>
#include <stdlib.h>

static void names(void)
{
	CHECK(pl_metrics__valid_name("pktlua_events_lost_total"));
	CHECK(pl_metrics__valid_name("job:rate5m"));
	CHECK(pl_metrics__valid_name("_x9"));
	CHECK(!pl_metrics__valid_name(""));
	CHECK(!pl_metrics__valid_name("9lives"));
	CHECK(!pl_metrics__valid_name("has-dash"));
	CHECK(!pl_metrics__valid_name("sp ace"));
	CHECK(!pl_metrics__valid_name(NULL));
	CHECK(pl_metrics__valid_label("saddr"));
	CHECK(pl_metrics__valid_label("_x"));
	CHECK(!pl_metrics__valid_label("__name__"));
	CHECK(!pl_metrics__valid_label("a:b"));
	CHECK(!pl_metrics__valid_label("1a"));
}

static void negotiation(void)
{
	/* What Prometheus 2.42 sends. */
	CHECK(pl_expo__negotiate("application/openmetrics-text;version=1.0.0,"
				 "application/openmetrics-text;version=0.0.1;q=0.75,"
				 "text/plain;version=0.0.4;q=0.5,*/*;q=0.1") == PL_EXPO_OPENMETRICS);
	CHECK(pl_expo__negotiate(NULL) == PL_EXPO_TEXT);
	CHECK(pl_expo__negotiate("") == PL_EXPO_TEXT);
	CHECK(pl_expo__negotiate("*/*") == PL_EXPO_TEXT);
	CHECK(pl_expo__negotiate("text/plain") == PL_EXPO_TEXT);
	CHECK(pl_expo__negotiate("text/plain;q=0.9, application/openmetrics-text") ==
	      PL_EXPO_OPENMETRICS);
	CHECK(pl_expo__negotiate("application/openmetrics-text;q=0.2, text/plain") ==
	      PL_EXPO_TEXT);
	CHECK(pl_expo__negotiate("application/openmetrics-text;q=0") == PL_EXPO_TEXT);
	CHECK(pl_expo__negotiate(" APPLICATION/OpenMetrics-Text ; version=1.0.0") ==
	      PL_EXPO_OPENMETRICS);
	CHECK(pl_expo__negotiate(";;;,,,q=,=;q=x") == PL_EXPO_TEXT);
	CHECK_STR_CONTAINS(pl_expo__content_type(PL_EXPO_TEXT), "text/plain; version=0.0.4");
	CHECK_STR_CONTAINS(pl_expo__content_type(PL_EXPO_OPENMETRICS),
			   "application/openmetrics-text; version=1.0.0");
}

static void families(void)
{
	struct pl_mbuf b = { 0 };

	pl_expo__family(&b, PL_EXPO_TEXT, "x_total", "Packets \"seen\", by\\proto\nok",
			PL_METRIC_COUNTER);
	CHECK(!strcmp(b.data, "# HELP x_total Packets \"seen\", by\\\\proto\\nok\n"
			      "# TYPE x_total counter\n"));
	pl_mbuf__reset(&b);
	pl_expo__family(&b, PL_EXPO_OPENMETRICS, "x_total", "say \"hi\"", PL_METRIC_COUNTER);
	CHECK(!strcmp(b.data, "# HELP x say \\\"hi\\\"\n# TYPE x counter\n"));
	pl_mbuf__reset(&b);
	pl_expo__family(&b, PL_EXPO_OPENMETRICS, "lat_seconds", "h", PL_METRIC_HISTOGRAM);
	CHECK(!strcmp(b.data, "# HELP lat_seconds h\n# TYPE lat_seconds histogram\n"));
	pl_mbuf__reset(&b);
	pl_expo__end(&b, PL_EXPO_TEXT);
	CHECK(b.len == 0);
	pl_expo__end(&b, PL_EXPO_OPENMETRICS);
	CHECK(!strcmp(b.data, "# EOF\n"));
	pl_mbuf__free(&b);
}

static void labels_and_values(void)
{
	struct pl_mbuf b = { 0 };

	pl_expo__label(&b, "a", "x\"y\\z\nw", 7);
	pl_expo__label(&b, "b", "caf\xc3\xa9", 5);
	pl_expo__label(&b, "c", "bad\xff\xc3(", 6);  /* invalid UTF-8 -> U+FFFD */
	CHECK_MSG(!strcmp(b.data, "a=\"x\\\"y\\\\z\\nw\",b=\"caf\xc3\xa9\","
				  "c=\"bad\xef\xbf\xbd\xef\xbf\xbd(\""), "%s", b.data);
	pl_mbuf__reset(&b);
	pl_expo__label(&b, "s", "\xed\xa0\x80", 3);  /* a surrogate is not UTF-8 */
	CHECK(!strcmp(b.data, "s=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));

	pl_mbuf__reset(&b);
	pl_expo__sample(&b, "m", "k=\"1\"", 5, (struct pl_mval){ .kind = PL_MVAL_U64,
								 .u = UINT64_MAX });
	pl_expo__sample(&b, "m", "", 0, (struct pl_mval){ .kind = PL_MVAL_I64, .i = INT64_MIN });
	pl_expo__sample(&b, "m", "", 0, (struct pl_mval){ .kind = PL_MVAL_F64, .f = 0.1 });
	pl_expo__sample(&b, "m", "", 0, (struct pl_mval){ .kind = PL_MVAL_F64, .f = 1e-9 * 1023 });
	pl_expo__sample(&b, "m", "", 0, (struct pl_mval){ .kind = PL_MVAL_F64, .f = INFINITY });
	pl_expo__sample(&b, "m", "", 0, (struct pl_mval){ .kind = PL_MVAL_F64, .f = -INFINITY });
	pl_expo__sample(&b, "m", "", 0, (struct pl_mval){ .kind = PL_MVAL_F64, .f = NAN });
	CHECK_MSG(!strcmp(b.data, "m{k=\"1\"} 18446744073709551615\n"
				  "m -9223372036854775808\n"
				  "m 0.1\n"
				  "m 1.023e-06\n"
				  "m +Inf\nm -Inf\nm NaN\n"), "%s", b.data);
	struct pl_mval s = pl_mval__add((struct pl_mval){ .kind = PL_MVAL_U64, .u = 2 },
					(struct pl_mval){ .kind = PL_MVAL_U64, .u = 3 });
	CHECK(s.kind == PL_MVAL_U64 && s.u == 5);
	s = pl_mval__add((struct pl_mval){ .kind = PL_MVAL_I64, .i = -2 },
			 (struct pl_mval){ .kind = PL_MVAL_F64, .f = 0.5 });
	CHECK(s.kind == PL_MVAL_F64 && s.f == -1.5);
	pl_mbuf__free(&b);
}

static void buffer_growth(void)
{
	struct pl_mbuf b = { 0 };

	for (int i = 0; i < 100000; i++)
		pl_mbuf__printf(&b, "%d,", i);
	CHECK(!b.failed);
	CHECK(b.len == strlen(b.data));
	CHECK(!strncmp(b.data, "0,1,2,", 6));
	CHECK_STR_CONTAINS(b.data, ",99999,");
	pl_mbuf__free(&b);
}

static void series_set(void)
{
	struct pl_series_set s = { 0 };
	char label[32];

	for (int round = 0; round < 2; round++) {  /* the second reuses the memory */
		pl_series_set__begin(&s, round ? 3 : 0);
		for (int i = 0; i < 5000; i++) {
			int n = snprintf(label, sizeof(label), "k=\"%d\"", i % 2500);
			struct pl_series *se = pl_series_set__get(&s, label, (size_t)n);
			CHECK(se);
			if (!se)
				break;
			if (se->value.kind == PL_MVAL_U64 && !se->value.u && i < 2500)
				se->value = (struct pl_mval){ .kind = PL_MVAL_U64 };
			se->value = pl_mval__add(se->value,
						 (struct pl_mval){ .kind = PL_MVAL_U64, .u = 1 });
			if (round)
				pl_series_set__buckets(&s, se)[i % 3]++;
		}
		CHECK(s.count == 2500);
		bool all_two = true;
		for (uint32_t i = 0; i < s.count; i++)
			all_two &= s.series[i].value.u == 2;
		CHECK(all_two);
		CHECK(!strncmp(pl_series_set__labels(&s, &s.series[7]), "k=\"7\"", 5));
		if (round) {
			uint64_t *bk = pl_series_set__buckets(&s, &s.series[0]);
			CHECK(bk[0] + bk[1] + bk[2] == 2);
		}
	}
	pl_series_set__begin(&s, 0);
	struct pl_series *empty = pl_series_set__get(&s, "", 0);
	CHECK(empty && s.count == 1 && pl_series_set__get(&s, "", 0) == empty);
	pl_series_set__free(&s);
}

int main(void)
{
	RUN(names);
	RUN(negotiation);
	RUN(families);
	RUN(labels_and_values);
	RUN(buffer_growth);
	RUN(series_set);
	return pl_test_summary();
}
