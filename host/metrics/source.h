/* source.h — a BPF map read as the samples of one metric family.
 *
 * The plan is made once, from the map's BTF (bpf/codec.h): which bytes of
 * the key become which labels (a struct key labels by its field names,
 * nested structs as outer_inner; a scalar key by the one name given), how
 * each is decoded (decode.h), and which bytes of the value are the sample
 * (an integer, a float, or the named field of a struct value). At scrape
 * time every entry is read in batches, per-CPU values are summed, and
 * entries whose labels come out the same add up into one series.
 *
 * Histograms (<pktlua/hist.h> maps): the key is the bucket index (or a
 * struct with a bucket field beside its label fields), the value the count;
 * buckets are written cumulative, le being the largest integer a bucket
 * holds (times opts.scale):
 *   log2:   bucket 0 (negatives) le="-1", 1 le="0", k >= 2 le=2^(k-1)-1
 *   linear: bucket 0 (below min) le=min-1, i le=min+i*step-1, the last +Inf
 * log2 buckets are written from the lowest to the highest ever non-empty
 * (so the set only grows), linear ones all. _sum counts each observation at
 * the smallest value its bucket holds (negatives/below min: the largest),
 * a lower bound of the true sum.
 *
 * Plain C, no Lua. */
#ifndef PKTLUA_METRICS_SOURCE_H
#define PKTLUA_METRICS_SOURCE_H

#include "metrics/decode.h"
#include "metrics/expo.h"

#include <stdbool.h>
#include <stdint.h>

struct bpf_map;
struct btf;
struct pl_msource;

/* A decoder written by the caller (a Lua function, say): append the text of
 * FIELD (SIZE bytes that read as KIND; a bitfield comes as 8 bytes) to OUT.
 * Returns 0 or -errno with a message in OUT (the scrape fails with it). */
typedef int (*pl_mdecode_fn)(void *ctx, enum pl_mfield_kind kind, const void *field,
			     uint32_t size, struct pl_mbuf *out);

struct pl_mlabel_decode {
	const char *label;        /* a label name (a field name of a struct key) */
	enum pl_mdecode decode;
	pl_mdecode_fn fn;         /* PL_MDECODE_FN */
	void *fn_ctx;
};

struct pl_msource_opts {
	enum pl_metric_type type;
	/* Labels: NULL for every field of a struct key; else these names, in
	 * this order (a subset of a struct key's fields, summed over the rest;
	 * one name for a scalar key; none at all sums every entry). */
	const char *const *labels;
	int nlabels;
	const struct pl_mlabel_decode *decode;
	int ndecode;
	const char *value;        /* the field of a struct value ("a.b" nested) */
	/* Histograms */
	const char *bucket;       /* the bucket field of a struct key; NULL: "bucket" */
	bool linear;              /* else log2 */
	int64_t min, max, step;   /* linear */
	double scale;             /* le and _sum multiplied by it; 0: 1 */
};

/* Plan MAP (its fd open, BTF from BTF) for a family. Returns NULL with a
 * message in ERR naming the field and the reason. */
struct pl_msource *pl_msource__new(const struct bpf_map *map, const struct btf *btf,
				   const struct pl_msource_opts *opts, char *err, size_t errlen);
void pl_msource__free(struct pl_msource *src);

/* Write the samples of family NAME (no HELP/TYPE lines) read from the map
 * now. Returns 0, or -errno with a message in ERR (a map that cannot be
 * read, a decoder callback that failed). */
int pl_msource__write(struct pl_msource *src, const char *name, struct pl_mdecoders *dec,
		      struct pl_mbuf *out, char *err, size_t errlen);

/* Entries read by the last write (for pktlua_map_entries), and the map. */
uint64_t pl_msource__entries(const struct pl_msource *src);
const char *pl_msource__map_name(const struct pl_msource *src);

/* The label names of the plan, for messages and tests: "proto,dport". */
const char *pl_msource__describe(const struct pl_msource *src);

#endif
