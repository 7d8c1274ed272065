/* expo.h — the Prometheus exposition formats, written into a growing buffer.
 *
 * Two formats: Prometheus text 0.0.4 (what every scraper reads) and
 * OpenMetrics 1.0.0 (what Prometheus asks for first). They differ in a few
 * places only, all handled here: a counter's family is named without its
 * "_total" in OpenMetrics, HELP text escapes '"' too, and the exposition
 * ends with "# EOF".
 *
 * A pl_series_set gathers the samples of one family keyed by their label
 * text, so two map entries that decode to the same labels add up into one
 * series (Prometheus rejects duplicates).
 *
 * Plain C, no Lua; no I/O. */
#ifndef PKTLUA_METRICS_EXPO_H
#define PKTLUA_METRICS_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing byte buffer. After an allocation failure .failed is set and
 * appends that no longer fit are dropped: check it once, at the end. */
struct pl_mbuf {
	char *data;       /* NUL-terminated when len > 0 */
	size_t len, cap;
	bool failed;
};

/* Room for N more bytes (and the NUL) the slow way; false when out of memory. */
bool pl_mbuf__grow(struct pl_mbuf *b, size_t n);

/* Appends: inline, as a scrape makes millions of them. */
static inline void pl_mbuf__add(struct pl_mbuf *b, const char *s, size_t n)
{
	if (!n || (b->len + n + 1 > b->cap && !pl_mbuf__grow(b, n)))
		return;
	__builtin_memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void pl_mbuf__puts(struct pl_mbuf *b, const char *s)
{
	pl_mbuf__add(b, s, __builtin_strlen(s));
}

static inline void pl_mbuf__putc(struct pl_mbuf *b, char c)
{
	if (b->len + 2 > b->cap && !pl_mbuf__grow(b, 1))
		return;
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}
void pl_mbuf__printf(struct pl_mbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Make room for N more bytes; false (and .failed) when out of memory. */
bool pl_mbuf__reserve(struct pl_mbuf *b, size_t n);
void pl_mbuf__reset(struct pl_mbuf *b);      /* len = 0, memory kept */
void pl_mbuf__free(struct pl_mbuf *b);

enum pl_expo_format {
	PL_EXPO_TEXT,          /* text/plain; version=0.0.4 */
	PL_EXPO_OPENMETRICS,   /* application/openmetrics-text; version=1.0.0 */
};

enum pl_metric_type {
	PL_METRIC_COUNTER,
	PL_METRIC_GAUGE,
	PL_METRIC_HISTOGRAM,
};

/* A sample value: sums stay exact in the type they were read as. */
enum pl_mval_kind { PL_MVAL_U64, PL_MVAL_I64, PL_MVAL_F64 };
struct pl_mval {
	enum pl_mval_kind kind;
	union {
		uint64_t u;
		int64_t i;
		double f;
	};
};

/* Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*. Label names: [a-zA-Z_][a-zA-Z0-9_]*,
 * not starting with "__" (reserved for Prometheus). */
bool pl_metrics__valid_name(const char *name);
bool pl_metrics__valid_label(const char *name);

/* The format a scraper's Accept header asks for (NULL or junk: text), and
 * the Content-Type to answer with. */
enum pl_expo_format pl_expo__negotiate(const char *accept);
const char *pl_expo__content_type(enum pl_expo_format fmt);

/* "# HELP" and "# TYPE" lines of a family. NAME is the full metric name
 * (a counter's ends in "_total"). */
void pl_expo__family(struct pl_mbuf *b, enum pl_expo_format fmt, const char *name,
		     const char *help, enum pl_metric_type type);
/* A label value between quotes, escaped (\\, \", \n); invalid UTF-8 bytes
 * become U+FFFD, since a scraper refuses the whole exposition otherwise. */
void pl_expo__label_value(struct pl_mbuf *b, const char *s, size_t n);
/* NAME="VALUE" with a leading comma when the buffer already holds labels
 * (LEN > 0 on entry). */
void pl_expo__label(struct pl_mbuf *b, const char *name, const char *value, size_t n);
/* A sample value as text: integers exactly, floats shortest round-trip,
 * NaN, +Inf, -Inf. */
void pl_expo__value(struct pl_mbuf *b, struct pl_mval v);
void pl_expo__double(struct pl_mbuf *b, double d);
/* One sample line: NAME{LABELS} VALUE (LABELS: the text between the
 * braces, or empty). */
void pl_expo__sample(struct pl_mbuf *b, const char *name, const char *labels,
		     size_t labels_len, struct pl_mval v);
/* The end of the exposition: "# EOF" in OpenMetrics, nothing in text. */
void pl_expo__end(struct pl_mbuf *b, enum pl_expo_format fmt);

/* Add two values of the same kind (mixed kinds add as doubles). */
struct pl_mval pl_mval__add(struct pl_mval a, struct pl_mval b);
double pl_mval__double(struct pl_mval v);

/* ---- samples keyed by their labels --------------------------------------- */

struct pl_series {
	uint32_t labels_off, labels_len;   /* into the set's label text */
	struct pl_mval value;
};

struct pl_series_set {
	struct pl_mbuf text;               /* every series' label text */
	struct pl_series *series;
	uint32_t count, cap;
	uint32_t *slots;                   /* open addressing: series index + 1 */
	uint32_t nslots;
	uint32_t nbuckets;                 /* histograms: counts per series */
	uint64_t *bucket_mem;
	uint32_t bucket_cap;               /* series the bucket memory holds */
};

/* Start a family's set (kept memory is reused). NBUCKETS: 0 for counters
 * and gauges, the bucket count of a histogram. */
void pl_series_set__begin(struct pl_series_set *s, uint32_t nbuckets);
/* The series whose label text is LABELS (added, zero, if new), or NULL when
 * out of memory. Pointers are valid until the next call. */
struct pl_series *pl_series_set__get(struct pl_series_set *s, const char *labels,
				     size_t len);
static inline const char *pl_series_set__labels(const struct pl_series_set *s,
						const struct pl_series *se)
{
	return s->text.data + se->labels_off;
}
/* A histogram series' NBUCKETS counts. */
static inline uint64_t *pl_series_set__buckets(const struct pl_series_set *s,
					       const struct pl_series *se)
{
	return s->bucket_mem + (size_t)(se - s->series) * s->nbuckets;
}
void pl_series_set__free(struct pl_series_set *s);

#endif
