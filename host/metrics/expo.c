/* expo.c — Prometheus text 0.0.4 and OpenMetrics 1.0.0 writing. See expo.h. */
#include "metrics/expo.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- buffer -------------------------------------------------------------- */

bool pl_mbuf__reserve(struct pl_mbuf *b, size_t n)
{
	return b->len + n + 1 <= b->cap ? !b->failed : pl_mbuf__grow(b, n);
}

bool pl_mbuf__grow(struct pl_mbuf *b, size_t n)
{
	if (b->failed)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void pl_mbuf__printf(struct pl_mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (b->data && (size_t)n < b->cap - b->len) {
		b->len += (size_t)n;
		return;
	}
	if (!pl_mbuf__reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void pl_mbuf__reset(struct pl_mbuf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

void pl_mbuf__free(struct pl_mbuf *b)
{
	free(b->data);
	*b = (struct pl_mbuf){ 0 };
}

/* ---- names --------------------------------------------------------------- */

static bool name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

bool pl_metrics__valid_name(const char *name)
{
	if (!name || !*name)
		return false;
	for (const char *p = name; *p; p++)
		if (!name_char(*p, p == name, true))
			return false;
	return true;
}

bool pl_metrics__valid_label(const char *name)
{
	if (!name || !*name || !strncmp(name, "__", 2))
		return false;
	for (const char *p = name; *p; p++)
		if (!name_char(*p, p == name, false))
			return false;
	return true;
}

/* ---- content negotiation --------------------------------------------------- */

/* Trim spaces and tabs off both ends of [*s, *e). */
static void trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

static bool span_is(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(e - s) == n && !strncasecmp(s, word, n);
}

/* The q of one media range's parameters [s, e) (after its type): 1 unless
 * a parseable q= says otherwise. */
static double range_q(const char *s, const char *e)
{
	double q = 1;

	while (s < e) {
		const char *semi = memchr(s, ';', (size_t)(e - s));
		const char *pe = semi ? semi : e, *ps = s;
		trim(&ps, &pe);
		if (pe - ps > 2 && (ps[0] == 'q' || ps[0] == 'Q') && ps[1] == '=') {
			char tmp[16];
			size_t n = (size_t)(pe - ps - 2);
			if (n < sizeof(tmp)) {
				char *end;
				memcpy(tmp, ps + 2, n);
				tmp[n] = '\0';
				double v = strtod(tmp, &end);
				if (end != tmp && *end == '\0' && v >= 0 && v <= 1)
					q = v;
			}
		}
		s = semi ? semi + 1 : e;
	}
	return q;
}

enum pl_expo_format pl_expo__negotiate(const char *accept)
{
	double om = -1, text = -1;

	if (!accept)
		return PL_EXPO_TEXT;
	const char *s = accept, *end = accept + strlen(accept);
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *re = comma ? comma : end;
		const char *semi = memchr(s, ';', (size_t)(re - s));
		const char *ts = s, *te = semi ? semi : re;
		trim(&ts, &te);
		double q = range_q(semi ? semi + 1 : re, re);
		if (span_is(ts, te, "application/openmetrics-text")) {
			if (q > om)
				om = q;
		} else if (span_is(ts, te, "text/plain") || span_is(ts, te, "text/*") ||
			   span_is(ts, te, "*/*")) {
			if (q > text)
				text = q;
		}
		s = comma ? comma + 1 : end;
	}
	return om > 0 && om >= text ? PL_EXPO_OPENMETRICS : PL_EXPO_TEXT;
}

const char *pl_expo__content_type(enum pl_expo_format fmt)
{
	return fmt == PL_EXPO_OPENMETRICS
		? "application/openmetrics-text; version=1.0.0; charset=utf-8"
		: "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- lines --------------------------------------------------------------- */

static const char *type_name(enum pl_metric_type t)
{
	switch (t) {
	case PL_METRIC_COUNTER:
		return "counter";
	case PL_METRIC_HISTOGRAM:
		return "histogram";
	default:
		return "gauge";
	}
}

void pl_expo__family(struct pl_mbuf *b, enum pl_expo_format fmt, const char *name,
		     const char *help, enum pl_metric_type type)
{
	size_t n = strlen(name);

	/* OpenMetrics names the counter family without the sample's suffix. */
	if (fmt == PL_EXPO_OPENMETRICS && type == PL_METRIC_COUNTER && n > 6 &&
	    !strcmp(name + n - 6, "_total"))
		n -= 6;
	pl_mbuf__puts(b, "# HELP ");
	pl_mbuf__add(b, name, n);
	pl_mbuf__putc(b, ' ');
	for (const char *p = help ? help : ""; *p; p++) {
		if (*p == '\\')
			pl_mbuf__add(b, "\\\\", 2);
		else if (*p == '\n')
			pl_mbuf__add(b, "\\n", 2);
		else if (*p == '"' && fmt == PL_EXPO_OPENMETRICS)
			pl_mbuf__add(b, "\\\"", 2);
		else
			pl_mbuf__putc(b, *p);
	}
	pl_mbuf__puts(b, "\n# TYPE ");
	pl_mbuf__add(b, name, n);
	pl_mbuf__putc(b, ' ');
	pl_mbuf__puts(b, type_name(type));
	pl_mbuf__putc(b, '\n');
}

/* Length of the valid UTF-8 sequence at S (at most N bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void pl_expo__label_value(struct pl_mbuf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	if (!pl_mbuf__reserve(b, n + 2))
		return;
	pl_mbuf__putc(b, '"');
	while (p < end) {
		/* Runs of plain bytes in one copy. */
		const unsigned char *run = p;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '\\' && *p != '"')
			p++;
		if (p > run)
			pl_mbuf__add(b, (const char *)run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p == '\\' || *p == '"') {
			char esc[2] = { '\\', (char)*p };
			pl_mbuf__add(b, esc, 2);
			p++;
		} else if (*p == '\n') {
			pl_mbuf__add(b, "\\n", 2);
			p++;
		} else if (*p < 0x80) {
			pl_mbuf__putc(b, (char)*p);    /* other control bytes are allowed */
			p++;
		} else {
			size_t len = utf8_len(p, (size_t)(end - p));
			if (len) {
				pl_mbuf__add(b, (const char *)p, len);
				p += len;
			} else {
				pl_mbuf__add(b, "\xef\xbf\xbd", 3);
				p++;
			}
		}
	}
	pl_mbuf__putc(b, '"');
}

void pl_expo__label(struct pl_mbuf *b, const char *name, const char *value, size_t n)
{
	if (b->len)
		pl_mbuf__putc(b, ',');
	pl_mbuf__puts(b, name);
	pl_mbuf__putc(b, '=');
	pl_expo__label_value(b, value, n);
}

static void put_u64(struct pl_mbuf *b, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	pl_mbuf__add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void pl_expo__double(struct pl_mbuf *b, double d)
{
	char tmp[32];

	if (isnan(d)) {
		pl_mbuf__puts(b, "NaN");
		return;
	}
	if (isinf(d)) {
		pl_mbuf__puts(b, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* The shortest of %.15g and %.17g that reads back as D. */
	snprintf(tmp, sizeof(tmp), "%.15g", d);
	if (strtod(tmp, NULL) != d)
		snprintf(tmp, sizeof(tmp), "%.17g", d);
	pl_mbuf__puts(b, tmp);
}

void pl_expo__value(struct pl_mbuf *b, struct pl_mval v)
{
	switch (v.kind) {
	case PL_MVAL_U64:
		put_u64(b, v.u);
		break;
	case PL_MVAL_I64:
		if (v.i < 0) {
			pl_mbuf__putc(b, '-');
			put_u64(b, (uint64_t)0 - (uint64_t)v.i);
		} else {
			put_u64(b, (uint64_t)v.i);
		}
		break;
	default:
		pl_expo__double(b, v.f);
		break;
	}
}

void pl_expo__sample(struct pl_mbuf *b, const char *name, const char *labels,
		     size_t labels_len, struct pl_mval v)
{
	pl_mbuf__puts(b, name);
	if (labels_len) {
		pl_mbuf__putc(b, '{');
		pl_mbuf__add(b, labels, labels_len);
		pl_mbuf__putc(b, '}');
	}
	pl_mbuf__putc(b, ' ');
	pl_expo__value(b, v);
	pl_mbuf__putc(b, '\n');
}

void pl_expo__end(struct pl_mbuf *b, enum pl_expo_format fmt)
{
	if (fmt == PL_EXPO_OPENMETRICS)
		pl_mbuf__puts(b, "# EOF\n");
}

double pl_mval__double(struct pl_mval v)
{
	switch (v.kind) {
	case PL_MVAL_U64:
		return (double)v.u;
	case PL_MVAL_I64:
		return (double)v.i;
	default:
		return v.f;
	}
}

struct pl_mval pl_mval__add(struct pl_mval a, struct pl_mval b)
{
	if (a.kind == b.kind) {
		switch (a.kind) {
		case PL_MVAL_U64:
			a.u += b.u;          /* wraps as the kernel's __u64 counters do */
			return a;
		case PL_MVAL_I64:
			a.i = (int64_t)((uint64_t)a.i + (uint64_t)b.i);
			return a;
		default:
			a.f += b.f;
			return a;
		}
	}
	return (struct pl_mval){ .kind = PL_MVAL_F64,
				 .f = pl_mval__double(a) + pl_mval__double(b) };
}

/* ---- series by labels ----------------------------------------------------- */

/* Eight bytes a step, multiply and fold (label texts are tens of bytes:
 * FNV-1a's byte loop was a tenth of a 10,000-series scrape). */
static uint32_t hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return (uint32_t)h;
}

void pl_series_set__begin(struct pl_series_set *s, uint32_t nbuckets)
{
	pl_mbuf__reset(&s->text);
	pl_mbuf__reserve(&s->text, 256);   /* data is never NULL below */
	s->count = 0;
	s->nbuckets = nbuckets;
	if (s->slots)
		memset(s->slots, 0, s->nslots * sizeof(*s->slots));
}

static bool grow_slots(struct pl_series_set *s)
{
	uint32_t n = s->nslots ? s->nslots * 2 : 64;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return false;
	for (uint32_t i = 0; i < s->count; i++) {
		struct pl_series *se = &s->series[i];
		uint32_t h = hash(s->text.data + se->labels_off, se->labels_len) & (n - 1);
		while (slots[h])
			h = (h + 1) & (n - 1);
		slots[h] = i + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = n;
	return true;
}

static bool grow_series(struct pl_series_set *s)
{
	uint32_t cap = s->cap ? s->cap * 2 : 64;
	struct pl_series *n = realloc(s->series, cap * sizeof(*n));

	if (!n)
		return false;
	s->series = n;
	s->cap = cap;
	return true;
}

struct pl_series *pl_series_set__get(struct pl_series_set *s, const char *labels, size_t len)
{
	/* Keep the table at most half full. */
	if (!s->text.data || ((s->count + 1) * 2 > s->nslots && !grow_slots(s)))
		return NULL;
	uint32_t mask = s->nslots - 1, h = hash(labels, len) & mask;
	for (; s->slots[h]; h = (h + 1) & mask) {
		struct pl_series *se = &s->series[s->slots[h] - 1];
		if (se->labels_len == len && !memcmp(s->text.data + se->labels_off, labels, len))
			return se;
	}
	if (s->count == s->cap && !grow_series(s))
		return NULL;
	if (s->nbuckets && s->count >= s->bucket_cap) {
		uint32_t cap = s->bucket_cap ? s->bucket_cap * 2 : 16;
		while (cap <= s->count)
			cap *= 2;
		uint64_t *m = realloc(s->bucket_mem, (size_t)cap * s->nbuckets * sizeof(*m));
		if (!m)
			return NULL;
		s->bucket_mem = m;
		s->bucket_cap = cap;
	}
	size_t off = s->text.len;
	pl_mbuf__add(&s->text, labels, len);
	if (s->text.failed)
		return NULL;
	struct pl_series *se = &s->series[s->count];
	*se = (struct pl_series){ .labels_off = (uint32_t)off, .labels_len = (uint32_t)len };
	if (s->nbuckets)
		memset(s->bucket_mem + (size_t)s->count * s->nbuckets, 0,
		       s->nbuckets * sizeof(uint64_t));
	s->slots[h] = ++s->count;
	return se;
}

void pl_series_set__free(struct pl_series_set *s)
{
	pl_mbuf__free(&s->text);
	free(s->series);
	free(s->slots);
	free(s->bucket_mem);
	*s = (struct pl_series_set){ 0 };
}
