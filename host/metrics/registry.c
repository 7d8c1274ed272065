/* registry.c — the families of a run as one exposition (see registry.h). */
#include "metrics/registry.h"

#include "metrics/decode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct family {
	char *name, *help;
	enum pl_metric_type type;
	struct pl_msource *src;      /* or: */
	pl_metric_fn fn;
	void *ctx;
};

struct pl_metrics {
	struct family *fam;
	int n, cap;
	pl_metrics_extra_fn extra;
	void *extra_ctx;
	struct pl_mdecoders *dec;
	struct pl_series_set entries;   /* pktlua_map_entries, by map */
	unsigned long long scrapes;
	double last_duration;
};

/* pktlua's own families: no script may take these names. */
static const char *const own_names[] = {
	"pktlua_build_info",
	"pktlua_events_lost_total",
	"pktlua_map_entries",
	"pktlua_prog_run_seconds_total",
	"pktlua_prog_run_total",
	"pktlua_scrape_duration_seconds",
};

struct pl_metrics *pl_metrics__new(void)
{
	struct pl_metrics *m = calloc(1, sizeof(*m));

	if (m && !(m->dec = pl_mdecoders__new())) {
		free(m);
		return NULL;
	}
	return m;
}

static void family_free(struct family *f)
{
	free(f->name);
	free(f->help);
	pl_msource__free(f->src);
}

void pl_metrics__free(struct pl_metrics *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n; i++)
		family_free(&m->fam[i]);
	free(m->fam);
	pl_mdecoders__free(m->dec);
	pl_series_set__free(&m->entries);
	free(m);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

const char *pl_metrics__check_name(const struct pl_metrics *m, const char *name,
				   enum pl_metric_type type)
{
	if (!pl_metrics__valid_name(name))
		return "not a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*";
	if (type == PL_METRIC_COUNTER && (!ends_with(name, "_total") || !strcmp(name, "_total")))
		return "a counter's name ends in _total";
	if (type != PL_METRIC_COUNTER && ends_with(name, "_total"))
		return "only a counter's name ends in _total";
	if (type == PL_METRIC_HISTOGRAM &&
	    (ends_with(name, "_bucket") || ends_with(name, "_count") || ends_with(name, "_sum")))
		return "a histogram's name cannot end in _bucket, _count or _sum (its series do)";
	for (size_t i = 0; i < sizeof(own_names) / sizeof(own_names[0]); i++)
		if (!strcmp(name, own_names[i]))
			return "pktlua's own metric has that name";
	for (int i = 0; m && i < m->n; i++)
		if (!strcmp(m->fam[i].name, name))
			return "a metric of that name is already registered";
	return NULL;
}

static int add(struct pl_metrics *m, const char *name, const char *help,
	       enum pl_metric_type type, struct pl_msource *src, pl_metric_fn fn, void *ctx,
	       char *err, size_t errlen)
{
	const char *why = pl_metrics__check_name(m, name, type);

	if (why) {
		snprintf(err, errlen, "metric '%s': %s", name, why);
		pl_msource__free(src);
		return strstr(why, "already") ? -EEXIST : -EINVAL;
	}
	if (m->n == m->cap) {
		int cap = m->cap ? m->cap * 2 : 16;
		struct family *f = realloc(m->fam, (size_t)cap * sizeof(*f));
		if (!f)
			goto oom;
		m->fam = f;
		m->cap = cap;
	}
	struct family *f = &m->fam[m->n];
	*f = (struct family){ .name = strdup(name), .help = strdup(help ? help : ""),
			      .type = type, .src = src, .fn = fn, .ctx = ctx };
	if (!f->name || !f->help) {
		family_free(f);
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	}
	m->n++;
	return 0;
oom:
	pl_msource__free(src);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

int pl_metrics__add_source(struct pl_metrics *m, const char *name, const char *help,
			   enum pl_metric_type type, struct pl_msource *src,
			   char *err, size_t errlen)
{
	return add(m, name, help, type, src, NULL, NULL, err, errlen);
}

int pl_metrics__add_fn(struct pl_metrics *m, const char *name, const char *help,
		       enum pl_metric_type type, pl_metric_fn fn, void *ctx,
		       char *err, size_t errlen)
{
	if (type == PL_METRIC_HISTOGRAM) {
		snprintf(err, errlen, "metric '%s': a histogram reads a map", name);
		return -EINVAL;
	}
	return add(m, name, help, type, NULL, fn, ctx, err, errlen);
}

int pl_metrics__remove(struct pl_metrics *m, const char *name)
{
	for (int i = 0; i < m->n; i++) {
		if (strcmp(m->fam[i].name, name))
			continue;
		family_free(&m->fam[i]);
		memmove(&m->fam[i], &m->fam[i + 1], (size_t)(m->n - i - 1) * sizeof(m->fam[0]));
		m->n--;
		return 0;
	}
	return -ENOENT;
}

const char *pl_metrics__name(const struct pl_metrics *m, int i)
{
	return i >= 0 && i < m->n ? m->fam[i].name : NULL;
}

void pl_metrics__set_extra(struct pl_metrics *m, pl_metrics_extra_fn fn, void *ctx)
{
	m->extra = fn;
	m->extra_ctx = ctx;
}

unsigned long long pl_metrics__scrapes(const struct pl_metrics *m)
{
	return m->scrapes;
}

double pl_metrics__last_duration(const struct pl_metrics *m)
{
	return m->last_duration;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The exposition fails: the message replaces what was written. */
static int fail(struct pl_mbuf *out, int e, const char *fmt, const char *name, const char *msg)
{
	pl_mbuf__reset(out);
	pl_mbuf__printf(out, fmt, name, msg);
	return e;
}

int pl_metrics__render(void *arg, enum pl_expo_format fmt, struct pl_mbuf *out)
{
	struct pl_metrics *m = arg;
	double t0 = now();
	char err[512];
	struct pl_mbuf msg = { 0 };
	int e = 0;

	pl_mdecoders__begin_scrape(m->dec);
	pl_series_set__begin(&m->entries, 0);
	for (int i = 0; i < m->n && !e; i++) {
		struct family *f = &m->fam[i];
		pl_expo__family(out, fmt, f->name, f->help, f->type);
		if (f->src) {
			err[0] = '\0';
			e = pl_msource__write(f->src, f->name, m->dec, out, err, sizeof(err));
			if (e) {
				e = fail(out, e, "metric '%s': %s", f->name, err);
				break;
			}
			const char *map = pl_msource__map_name(f->src);
			pl_mbuf__reset(&msg);
			pl_expo__label(&msg, "map", map, strlen(map));
			struct pl_series *se = msg.failed ? NULL
					       : pl_series_set__get(&m->entries, msg.data, msg.len);
			if (se)
				se->value = (struct pl_mval){ .kind = PL_MVAL_U64,
							      .u = pl_msource__entries(f->src) };
			continue;
		}
		struct pl_mval v;
		pl_mbuf__reset(&msg);
		e = f->fn(f->ctx, &v, &msg);
		if (e < 0) {
			e = fail(out, e, "metric '%s': %s", f->name, msg.len ? msg.data : strerror(-e));
			break;
		}
		if (e == 0)
			pl_expo__sample(out, f->name, "", 0, v);
		e = 0;
	}
	if (!e && m->extra) {
		pl_mbuf__reset(&msg);
		e = m->extra(m->extra_ctx, fmt, out, &msg);
		if (e)
			e = fail(out, e, "%s%s", "", msg.len ? msg.data : strerror(-e));
	}
	if (!e) {
		pl_expo__family(out, fmt, "pktlua_map_entries",
				"Entries in each map that backs a metric, as the last scrape read them.",
				PL_METRIC_GAUGE);
		for (uint32_t i = 0; i < m->entries.count; i++) {
			const struct pl_series *se = &m->entries.series[i];
			pl_expo__sample(out, "pktlua_map_entries",
					pl_series_set__labels(&m->entries, se), se->labels_len,
					se->value);
		}
		pl_expo__family(out, fmt, "pktlua_build_info", "pktlua's version.",
				PL_METRIC_GAUGE);
		pl_mbuf__puts(out, "pktlua_build_info{version=\"" PKTLUA_VERSION "\"} 1\n");
		pl_expo__family(out, fmt, "pktlua_scrape_duration_seconds",
				"Time spent writing this exposition, up to this line.",
				PL_METRIC_GAUGE);
		m->last_duration = now() - t0;
		pl_mbuf__puts(out, "pktlua_scrape_duration_seconds ");
		pl_expo__double(out, m->last_duration);
		pl_mbuf__putc(out, '\n');
		pl_expo__end(out, fmt);
		m->scrapes++;
	}
	pl_mbuf__free(&msg);
	return e;
}
