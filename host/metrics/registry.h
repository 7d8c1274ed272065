/* registry.h — the metric families of a run, written as one exposition.
 *
 * A family is a map source (source.h) or a callback that returns one value,
 * with a name, a help text and a type. Names are checked when added:
 * Prometheus's syntax, "_total" at the end of a counter (and nowhere else),
 * no "_bucket"/"_count"/"_sum" at the end of a histogram, no name twice, none
 * of pktlua's own.
 *
 * An exposition is the families in the order they were added, then
 * pktlua's own metrics: what the extra callback writes (the Lua side: lost
 * events, program run counts), pktlua_map_entries for each map read,
 * pktlua_build_info, and pktlua_scrape_duration_seconds last (the time spent
 * writing everything before it).
 *
 * Plain C, no Lua. */
#ifndef PKTLUA_METRICS_REGISTRY_H
#define PKTLUA_METRICS_REGISTRY_H

#include "metrics/expo.h"
#include "metrics/source.h"

#include <stdbool.h>

struct pl_metrics;

/* One value of a callback family: 0 with *V set, 1 for "no sample now", or
 * -errno with a message in ERR (the scrape fails with it). */
typedef int (*pl_metric_fn)(void *ctx, struct pl_mval *v, struct pl_mbuf *err);
/* More families at the end (pktlua's own): write them into OUT; 0 or
 * -errno with a message in ERR. */
typedef int (*pl_metrics_extra_fn)(void *ctx, enum pl_expo_format fmt, struct pl_mbuf *out,
				   struct pl_mbuf *err);

struct pl_metrics *pl_metrics__new(void);
void pl_metrics__free(struct pl_metrics *m);

/* Is NAME usable for a family of TYPE (and not taken)? NULL if so, else why
 * not, as a message ("counter names end in _total"). */
const char *pl_metrics__check_name(const struct pl_metrics *m, const char *name,
				   enum pl_metric_type type);

/* Add a family. The registry owns SRC from then on (freed on error too).
 * Returns 0, or -EINVAL/-EEXIST/-ENOMEM with the reason in ERR. */
int pl_metrics__add_source(struct pl_metrics *m, const char *name, const char *help,
			   enum pl_metric_type type, struct pl_msource *src,
			   char *err, size_t errlen);
int pl_metrics__add_fn(struct pl_metrics *m, const char *name, const char *help,
		       enum pl_metric_type type, pl_metric_fn fn, void *ctx,
		       char *err, size_t errlen);
/* Remove family NAME (its source freed). Returns 0 or -ENOENT. */
int pl_metrics__remove(struct pl_metrics *m, const char *name);
/* Family names in order: the I-th, or NULL past the end. */
const char *pl_metrics__name(const struct pl_metrics *m, int i);

void pl_metrics__set_extra(struct pl_metrics *m, pl_metrics_extra_fn fn, void *ctx);

/* The exposition in FMT (a pl_metrics_render_fn, server.h): 0, or -errno
 * with the message in OUT (OUT's exposition is dropped). */
int pl_metrics__render(void *m, enum pl_expo_format fmt, struct pl_mbuf *out);

/* Scrapes written so far, and the duration of the last one in seconds. */
unsigned long long pl_metrics__scrapes(const struct pl_metrics *m);
double pl_metrics__last_duration(const struct pl_metrics *m);

#endif
