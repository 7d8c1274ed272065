/* source.c — a BPF map read as a metric family's samples (see source.h). */
#include "metrics/source.h"

#include "bpf/codec.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_ENTRIES 4096      /* entries per BPF_MAP_LOOKUP_BATCH */
#define MAX_LEAVES 64           /* label fields of one key */
#define LOG2_SLOTS 66           /* <pktlua/hist.h>: PKTLUA_HIST_SLOTS */

/* One field of the key or value: where its bytes are and how they read. */
struct leaf {
	char name[128];             /* label name; "" for a scalar key */
	uint32_t offset, size;      /* bytes (a bitfield: size of its type) */
	uint8_t bit_offset, bit_size;
	enum pl_mfield_kind kind;
	enum pl_mdecode decode;
	pl_mdecode_fn fn;
	void *fn_ctx;
};

struct pl_msource {
	int fd;
	char map_name[64];
	enum pl_metric_type type;
	enum bpf_map_type map_type;
	uint32_t key_size, value_size, max_entries;
	int ncpus;
	uint32_t stride;            /* bytes per CPU slot of a value */
	struct pl_codec *key_codec, *value_codec;

	struct leaf labels[MAX_LEAVES];
	int nlabels;
	struct leaf value;          /* kind UINT, INT or FLOAT */
	bool has_bucket;            /* histograms */
	struct leaf bucket;

	/* histograms */
	bool linear;
	uint32_t nbuckets;
	char (*le)[32];             /* nbuckets le texts */
	double *low;                /* nbuckets: the value _sum counts each at (unscaled) */
	double scale;
	uint32_t hist_lo, hist_hi;  /* log2: the lowest and highest buckets ever non-empty */

	/* read buffers, kept between scrapes */
	char *keys, *values;
	uint32_t cap;
	char token[8];
	uint64_t entries;

	struct pl_series_set set;
	struct pl_mbuf scratch, text;
	char describe[512];
};

/* ---- planning --------------------------------------------------------------------- */

static enum pl_mfield_kind kind_of(const struct pl_codec *c)
{
	switch (c->kind) {
	case PL_CODEC_INT:
	case PL_CODEC_ENUM:
		return c->size > 8 ? PL_MFIELD_BYTES : c->is_signed ? PL_MFIELD_INT : PL_MFIELD_UINT;
	case PL_CODEC_BOOL:
		return PL_MFIELD_BOOL;
	case PL_CODEC_FLOAT:
		return PL_MFIELD_FLOAT;
	case PL_CODEC_CHARS:
		return PL_MFIELD_CHARS;
	default:
		return PL_MFIELD_BYTES;
	}
}

static const struct pl_mlabel_decode *find_decode(const struct pl_msource_opts *o,
						  const char *name)
{
	for (int i = 0; i < o->ndecode; i++)
		if (!strcmp(o->decode[i].label, name))
			return &o->decode[i];
	return NULL;
}

/* Every leaf of struct C at OFFSET, named PREFIX_field: nested structs are
 * walked unless a decoder names them whole. */
static int flatten(const struct pl_codec *c, uint32_t offset, const char *prefix,
		   const struct pl_msource_opts *o, struct leaf *out, int *n,
		   char *err, size_t errlen)
{
	for (uint32_t i = 0; i < c->nfields; i++) {
		const struct pl_codec_field *f = &c->fields[i];
		char name[128];
		int len = snprintf(name, sizeof(name), "%s%s%s", prefix,
				   prefix[0] && f->name[0] ? "_" : "", f->name);
		if (len < 0 || (size_t)len >= sizeof(name)) {
			snprintf(err, errlen, "field name '%s...' is too long", prefix);
			return -ENAMETOOLONG;
		}
		if (f->type->kind == PL_CODEC_STRUCT && !f->type->is_union && !f->bit_size &&
		    !(name[0] && find_decode(o, name))) {
			int e = flatten(f->type, offset + f->offset, name, o, out, n, err, errlen);
			if (e)
				return e;
			continue;
		}
		if (!f->name[0] && !prefix[0])
			continue;           /* an anonymous union at the top: no name to give */
		if (*n == MAX_LEAVES) {
			snprintf(err, errlen, "key has more than %d fields", MAX_LEAVES);
			return -E2BIG;
		}
		struct leaf *l = &out[(*n)++];
		memset(l, 0, sizeof(*l));
		snprintf(l->name, sizeof(l->name), "%s", name);
		l->offset = offset + f->offset;
		l->size = f->type->size;
		l->bit_offset = f->bit_offset;
		l->bit_size = f->bit_size;
		l->kind = kind_of(f->type);
	}
	return 0;
}

static void list_names(const struct leaf *l, int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", l[i].name);
}

/* The value: a number, or the field opts.value names in a struct. */
static int plan_value(struct pl_msource *s, const struct pl_msource_opts *o, char *err,
		      size_t errlen)
{
	const struct pl_codec *c = s->value_codec;
	uint32_t offset = 0;
	uint8_t bit_offset = 0, bit_size = 0;

	if (o->value) {
		if (c->kind != PL_CODEC_STRUCT) {
			snprintf(err, errlen, "value = '%s': the value is %s, not a struct",
				 o->value, c->type_name);
			return -EINVAL;
		}
		const char *p = o->value;
		while (*p) {
			size_t n = strcspn(p, ".");
			const struct pl_codec_field *hit = NULL;
			for (uint32_t i = 0; c->kind == PL_CODEC_STRUCT && i < c->nfields; i++)
				if (strlen(c->fields[i].name) == n &&
				    !strncmp(c->fields[i].name, p, n))
					hit = &c->fields[i];
			if (!hit) {
				snprintf(err, errlen, "value = '%s': %s has no field '%.*s'", o->value,
					 c->type_name, (int)n, p);
				return -ENOENT;
			}
			offset += hit->offset;
			bit_offset = hit->bit_offset;
			bit_size = hit->bit_size;
			c = hit->type;
			p += n;
			if (*p == '.')
				p++;
		}
	} else if (c->kind == PL_CODEC_STRUCT) {
		char names[256] = "";
		size_t used = 0;
		for (uint32_t i = 0; i < c->nfields && used < sizeof(names); i++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 i ? ", " : "", c->fields[i].name);
		snprintf(err, errlen, "the value is %s: pick the sample with value = \"FIELD\" "
			 "(one of %s)", c->type_name, names);
		return -EINVAL;
	}
	enum pl_mfield_kind k = kind_of(c);
	bool number = (k == PL_MFIELD_UINT || k == PL_MFIELD_INT || k == PL_MFIELD_BOOL ||
		       k == PL_MFIELD_FLOAT);
	if (!number || (s->type == PL_METRIC_HISTOGRAM && k == PL_MFIELD_FLOAT)) {
		snprintf(err, errlen, "the value%s%s is %s, not %s", o->value ? " " : "",
			 o->value ? o->value : "", c->type_name,
			 s->type == PL_METRIC_HISTOGRAM ? "an integer count" : "a number");
		return -EINVAL;
	}
	s->value = (struct leaf){ .offset = offset, .size = c->size, .bit_offset = bit_offset,
				  .bit_size = bit_size, .kind = k == PL_MFIELD_BOOL ? PL_MFIELD_UINT : k };
	return 0;
}

static int plan_labels(struct pl_msource *s, const struct pl_msource_opts *o, char *err,
		       size_t errlen)
{
	struct leaf all[MAX_LEAVES];
	int nall = 0, e;
	const struct pl_codec *k = s->key_codec;
	bool scalar = k->kind != PL_CODEC_STRUCT || k->is_union;
	bool hist = s->type == PL_METRIC_HISTOGRAM;
	const char *bucket = o->bucket ? o->bucket : "bucket";
	char names[512];

	if (scalar) {
		all[0] = (struct leaf){ .size = k->size, .kind = kind_of(k) };
		nall = 1;
	} else if ((e = flatten(k, 0, "", o, all, &nall, err, errlen))) {
		return e;
	}
	/* A histogram's bucket: the scalar key, or the bucket field. */
	if (hist) {
		int b = -1;
		for (int i = 0; i < nall && !scalar; i++)
			if (!strcmp(all[i].name, bucket))
				b = i;
		if (!scalar && b < 0) {
			list_names(all, nall, names, sizeof(names));
			snprintf(err, errlen, "the key %s has no bucket field '%s' (fields: %s; "
				 "bucket = \"FIELD\" names another)", k->type_name, bucket, names);
			return -ENOENT;
		}
		if (scalar)
			b = 0;
		if (all[b].kind != PL_MFIELD_UINT && all[b].kind != PL_MFIELD_INT) {
			snprintf(err, errlen, "the bucket %s%s is not an integer", all[b].name,
				 scalar ? k->type_name : "");
			return -EINVAL;
		}
		s->bucket = all[b];
		s->has_bucket = true;
		memmove(&all[b], &all[b + 1], (size_t)(nall - b - 1) * sizeof(all[0]));
		nall--;
		scalar = false;     /* what is left are named fields, if any */
	}
	if (!o->labels) {
		if (scalar) {
			snprintf(err, errlen, "the key is %s: name its label with labels = "
				 "{\"NAME\"} (or labels = {} to sum every entry)", k->type_name);
			return -EINVAL;
		}
		memcpy(s->labels, all, (size_t)nall * sizeof(all[0]));
		s->nlabels = nall;
	} else if (scalar) {
		if (o->nlabels > 1) {
			snprintf(err, errlen, "the key is %s: one label, not %d", k->type_name,
				 o->nlabels);
			return -EINVAL;
		}
		if (o->nlabels == 1) {
			s->labels[0] = all[0];
			snprintf(s->labels[0].name, sizeof(s->labels[0].name), "%s", o->labels[0]);
			s->nlabels = 1;
		}
	} else {
		for (int i = 0; i < o->nlabels; i++) {
			int hit = -1;
			for (int j = 0; j < nall; j++)
				if (!strcmp(all[j].name, o->labels[i]))
					hit = j;
			if (hit < 0) {
				list_names(all, nall, names, sizeof(names));
				snprintf(err, errlen, "labels: the key %s has no field '%s' "
					 "(fields: %s)", k->type_name, o->labels[i],
					 nall ? names : "none");
				return -ENOENT;
			}
			for (int j = 0; j < s->nlabels; j++)
				if (!strcmp(s->labels[j].name, o->labels[i])) {
					snprintf(err, errlen, "labels: '%s' is named twice",
						 o->labels[i]);
					return -EINVAL;
				}
			s->labels[s->nlabels++] = all[hit];
		}
	}
	for (int i = 0; i < s->nlabels; i++) {
		struct leaf *l = &s->labels[i];
		if (!pl_metrics__valid_label(l->name) || (hist && !strcmp(l->name, "le"))) {
			snprintf(err, errlen, "'%s' cannot be a label name (%s)", l->name,
				 hist && !strcmp(l->name, "le") ? "a histogram's buckets use le"
				 : "[a-zA-Z_][a-zA-Z0-9_]*, not starting with __");
			return -EINVAL;
		}
		const struct pl_mlabel_decode *d = find_decode(o, l->name);
		if (!d)
			continue;
		const char *why = d->decode == PL_MDECODE_FN || l->bit_size ? NULL
				  : pl_mdecode__check(d->decode, l->kind, l->size);
		if (l->bit_size && d->decode != PL_MDECODE_FN && d->decode != PL_MDECODE_IFNAME &&
		    d->decode != PL_MDECODE_ERRNO)
			why = "cannot read a bitfield";
		if (why) {
			snprintf(err, errlen, "decode.%s = \"%s\": %s, and '%s' is %u bytes",
				 l->name, pl_mdecode__name(d->decode), why, l->name, l->size);
			return -EINVAL;
		}
		l->decode = d->decode;
		l->fn = d->fn;
		l->fn_ctx = d->fn_ctx;
	}
	for (int i = 0; i < o->ndecode; i++) {
		bool found = false;
		for (int j = 0; j < s->nlabels; j++)
			found |= !strcmp(s->labels[j].name, o->decode[i].label);
		if (!found) {
			list_names(s->labels, s->nlabels, names, sizeof(names));
			snprintf(err, errlen, "decode.%s: there is no label '%s' (labels: %s)",
				 o->decode[i].label, o->decode[i].label,
				 s->nlabels ? names : "none");
			return -ENOENT;
		}
	}
	return 0;
}

/* le texts and _sum weights of every bucket. */
static int plan_buckets(struct pl_msource *s, const struct pl_msource_opts *o, char *err,
			size_t errlen)
{
	double scale = o->scale ? o->scale : 1;
	struct pl_mbuf b = { 0 };

	s->linear = o->linear;
	s->scale = scale;
	s->hist_lo = UINT32_MAX;
	if (o->linear) {
		if (o->step <= 0 || o->max <= o->min || (o->max - o->min) / o->step > 100000) {
			snprintf(err, errlen, "linear buckets need min < max and step > 0 "
				 "(and at most 100000 buckets)");
			return -EINVAL;
		}
		s->nbuckets = (uint32_t)((o->max - o->min) / o->step + 2);
	} else {
		s->nbuckets = LOG2_SLOTS;
	}
	s->le = calloc(s->nbuckets, sizeof(*s->le));
	s->low = calloc(s->nbuckets, sizeof(*s->low));
	if (!s->le || !s->low)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nbuckets; i++) {
		int64_t le = 0;
		uint64_t ule = 0;
		bool u = false;
		if (o->linear) {
			le = i == 0 ? o->min - 1 : o->min + (int64_t)i * o->step - 1;
			s->low[i] = i == 0 ? (double)(o->min - 1)
				    : i == s->nbuckets - 1 ? (double)o->max
				    : (double)(o->min + (int64_t)(i - 1) * o->step);
		} else if (i == 0) {
			le = -1;
			s->low[i] = -1;
		} else if (i == 1) {
			le = 0;
			s->low[i] = 0;
		} else {
			u = true;
			ule = i - 1 == 64 ? UINT64_MAX : (1ull << (i - 1)) - 1;
			s->low[i] = ldexp(1, (int)i - 2);
		}
		pl_mbuf__reset(&b);
		if (o->linear && i == s->nbuckets - 1)
			pl_mbuf__puts(&b, "+Inf");
		else if (scale != 1)   /* 15 digits: 3 * 1e-9 is 3e-09, not 3.0000000000000004e-09 */
			pl_mbuf__printf(&b, "%.15g", (u ? (double)ule : (double)le) * scale);
		else if (u)
			pl_mbuf__printf(&b, "%llu", (unsigned long long)ule);
		else
			pl_mbuf__printf(&b, "%lld", (long long)le);
		if (b.failed) {
			pl_mbuf__free(&b);
			return -ENOMEM;
		}
		snprintf(s->le[i], sizeof(s->le[i]), "%s", b.data);
	}
	pl_mbuf__free(&b);
	(void)err;
	(void)errlen;
	return 0;
}

struct pl_msource *pl_msource__new(const struct bpf_map *map, const struct btf *btf,
				   const struct pl_msource_opts *o, char *err, size_t errlen)
{
	struct pl_msource *s = calloc(1, sizeof(*s));
	int e = 0;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->type = o->type;
	s->fd = bpf_map__fd(map);
	snprintf(s->map_name, sizeof(s->map_name), "%s", bpf_map__name(map));
	s->map_type = bpf_map__type(map);
	s->key_size = bpf_map__key_size(map);
	s->value_size = bpf_map__value_size(map);
	s->max_entries = bpf_map__max_entries(map);
	s->ncpus = 1;
	s->stride = s->value_size;
	switch (s->map_type) {
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		s->ncpus = libbpf_num_possible_cpus();
		s->stride = (s->value_size + 7) & ~7u;    /* the kernel's per-CPU slot */
		break;
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_LRU_HASH:
		break;
	default: {
		const char *t = libbpf_bpf_map_type_str(s->map_type);
		snprintf(err, errlen, "map '%s' is a %s: only hash and array maps (per-CPU "
			 "too) hold metrics", s->map_name, t ? t : "map of an unknown type");
		e = -EINVAL;
		goto fail;
	}
	}
	if (s->ncpus < 1) {
		snprintf(err, errlen, "cannot count the possible CPUs");
		e = -EINVAL;
		goto fail;
	}
	s->key_codec = pl_codec__new(btf, bpf_map__btf_key_type_id(map), s->key_size);
	s->value_codec = pl_codec__new(btf, bpf_map__btf_value_type_id(map), s->value_size);
	if (!s->key_codec || !s->value_codec) {
		snprintf(err, errlen, "cannot plan its key and value: %s", strerror(errno));
		e = -ENOMEM;
		goto fail;
	}
	if ((e = plan_labels(s, o, err, errlen)) || (e = plan_value(s, o, err, errlen)))
		goto fail;
	if (s->type == PL_METRIC_HISTOGRAM && (e = plan_buckets(s, o, err, errlen))) {
		if (e == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->cap = s->max_entries < BATCH_ENTRIES ? s->max_entries : BATCH_ENTRIES;
	if (!s->cap)
		s->cap = 1;
	s->keys = malloc((size_t)s->cap * s->key_size);
	s->values = malloc((size_t)s->cap * s->stride * s->ncpus);
	if (!s->keys || !s->values) {
		snprintf(err, errlen, "out of memory");
		e = -ENOMEM;
		goto fail;
	}
	list_names(s->labels, s->nlabels, s->describe, sizeof(s->describe));
	return s;
fail:
	pl_msource__free(s);
	errno = -e;
	return NULL;
}

void pl_msource__free(struct pl_msource *s)
{
	if (!s)
		return;
	pl_codec__free(s->key_codec);
	pl_codec__free(s->value_codec);
	free(s->le);
	free(s->low);
	free(s->keys);
	free(s->values);
	pl_series_set__free(&s->set);
	pl_mbuf__free(&s->scratch);
	pl_mbuf__free(&s->text);
	free(s);
}

uint64_t pl_msource__entries(const struct pl_msource *s)
{
	return s->entries;
}

const char *pl_msource__map_name(const struct pl_msource *s)
{
	return s->map_name;
}

const char *pl_msource__describe(const struct pl_msource *s)
{
	return s->describe;
}

/* ---- reading --------------------------------------------------------------------- */

struct reader {
	bool started, done, use_batch;
	bool have_key;
};

/* The next chunk of entries into s->keys / s->values; 0 when done, or
 * -errno with a message in ERR. */
static int read_chunk(struct pl_msource *s, struct reader *r, uint32_t *count, char *err,
		      size_t errlen)
{
	size_t vsize = (size_t)s->stride * s->ncpus;

	*count = 0;
	while (!r->done && r->use_batch) {
		__u32 n = s->cap;
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		int rc = bpf_map_lookup_batch(s->fd, r->started ? s->token : NULL, s->token,
					      s->keys, s->values, &n, &opts);
		int e = rc ? errno : 0;
		if (rc && e == ENOSPC && n == 0 && s->cap < (1u << 20)) {
			/* A hash bucket holds more entries than the chunk. */
			uint32_t cap = s->cap * 4;
			char *k = realloc(s->keys, (size_t)cap * s->key_size);
			if (k)
				s->keys = k;
			char *v = k ? realloc(s->values, cap * vsize) : NULL;
			if (v)
				s->values = v;
			if (!k || !v) {
				snprintf(err, errlen, "map '%s': out of memory", s->map_name);
				return -ENOMEM;
			}
			s->cap = cap;
			continue;
		}
		if (rc && e != ENOENT) {
			if (!r->started && (e == EINVAL || e == ENOTSUP || e == EOPNOTSUPP ||
					    e == 524 /* ENOTSUPP */)) {
				r->use_batch = false;
				break;
			}
			snprintf(err, errlen, "map '%s': batch lookup failed: %s", s->map_name,
				 strerror(e));
			return -e;
		}
		r->started = true;
		r->done = rc != 0;           /* ENOENT: that was the last chunk */
		*count = n;
		if (n)
			return 0;
	}
	if (r->use_batch)
		return 0;
	/* One entry at a time; the previous key is the last one of the chunk. */
	char *prev = s->keys + (size_t)(s->cap - 1) * s->key_size;
	while (!r->done && *count < s->cap - 1) {
		char *key = s->keys + (size_t)*count * s->key_size;
		if (bpf_map_get_next_key(s->fd, r->have_key ? prev : NULL, key)) {
			if (errno != ENOENT) {
				snprintf(err, errlen, "map '%s': iteration failed: %s", s->map_name,
					 strerror(errno));
				return -errno;
			}
			r->done = true;
			break;
		}
		r->have_key = true;
		memcpy(prev, key, s->key_size);
		if (bpf_map_lookup_elem(s->fd, key, s->values + (size_t)*count * vsize))
			continue;            /* deleted under us */
		(*count)++;
	}
	if (s->cap == 1 && !r->done) {
		/* A one-entry chunk has no room for the previous key beside it. */
		if (bpf_map_get_next_key(s->fd, NULL, s->keys) ||
		    bpf_map_lookup_elem(s->fd, s->keys, s->values)) {
			r->done = true;
			return 0;
		}
		*count = 1;
		r->done = true;
	}
	return 0;
}

/* ---- writing --------------------------------------------------------------------- */

static struct pl_mval read_value(const struct pl_msource *s, const char *v)
{
	struct pl_mval sum = { .kind = s->value.kind == PL_MFIELD_INT ? PL_MVAL_I64
				       : s->value.kind == PL_MFIELD_FLOAT ? PL_MVAL_F64 : PL_MVAL_U64 };

	for (int cpu = 0; v && cpu < s->ncpus; cpu++) {   /* V NULL: zero */
		const char *p = v + (size_t)cpu * s->stride + s->value.offset;
		if (sum.kind == PL_MVAL_F64) {
			sum.f += pl_mfield__f64(p, s->value.size);
			continue;
		}
		uint64_t x = pl_mfield__u64(p, s->value.size, s->value.bit_offset,
					    s->value.bit_size, sum.kind == PL_MVAL_I64);
		sum.u += x;   /* two's complement: the signed sum too */
	}
	return sum;
}

/* The label text of KEY into s->scratch: a="1",b="x". */
static int label_text(struct pl_msource *s, const char *key, struct pl_mdecoders *dec,
		      char *err, size_t errlen)
{
	struct pl_mbuf *b = &s->scratch;

	pl_mbuf__reset(b);
	for (int i = 0; i < s->nlabels; i++) {
		const struct leaf *l = &s->labels[i];
		const char *field = key + l->offset;
		if (i)
			pl_mbuf__putc(b, ',');
		pl_mbuf__puts(b, l->name);
		pl_mbuf__add(b, "=\"", 2);
		if (!l->decode && !l->bit_size &&
		    (l->kind == PL_MFIELD_UINT || l->kind == PL_MFIELD_INT) && l->size <= 8) {
			/* The common case: digits need no escaping. */
			pl_mfield__text(l->kind, field, l->size, b);
			pl_mbuf__putc(b, '"');
			continue;
		}
		b->len -= 1;            /* the quote: label_value writes its own */
		pl_mbuf__reset(&s->text);
		if (l->bit_size && l->decode != PL_MDECODE_FN) {
			uint64_t v = pl_mfield__u64(field, l->size, l->bit_offset, l->bit_size,
						    l->kind == PL_MFIELD_INT);
			if (l->decode)
				pl_mdecoders__run(dec, l->decode, PL_MFIELD_INT, &v, 8, &s->text);
			else if (l->kind == PL_MFIELD_BOOL)
				pl_mbuf__puts(&s->text, v ? "true" : "false");
			else
				pl_mfield__text(l->kind == PL_MFIELD_INT ? PL_MFIELD_INT
						: PL_MFIELD_UINT, &v, 8, &s->text);
		} else if (l->decode == PL_MDECODE_FN) {
			uint64_t bits;
			const void *p = field;
			uint32_t size = l->size;
			enum pl_mfield_kind kind = l->kind;
			if (l->bit_size) {
				bits = pl_mfield__u64(field, l->size, l->bit_offset, l->bit_size,
						      l->kind == PL_MFIELD_INT);
				p = &bits;
				size = 8;
				kind = l->kind == PL_MFIELD_INT ? PL_MFIELD_INT : PL_MFIELD_UINT;
			}
			int e = l->fn(l->fn_ctx, kind, p, size, &s->text);
			if (e) {
				snprintf(err, errlen, "decode.%s: %s", l->name,
					 s->text.len ? s->text.data : strerror(-e));
				return e;
			}
		} else if (l->decode) {
			pl_mdecoders__run(dec, l->decode, l->kind, field, l->size, &s->text);
		} else {
			pl_mfield__text(l->kind, field, l->size, &s->text);
		}
		pl_expo__label_value(b, s->text.data ? s->text.data : "", s->text.len);
	}
	if (b->failed || s->text.failed) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void write_hist(struct pl_msource *s, const char *name, struct pl_mbuf *out)
{
	struct pl_series_set *set = &s->set;
	uint32_t lo = 0, hi = s->nbuckets - 2;   /* linear: all but the overflow */

	if (!s->linear) {
		hi = s->hist_hi > 1 ? s->hist_hi : 1;
		if (hi >= s->nbuckets - 1)
			hi = s->nbuckets - 2;   /* 2^64-1 and above: +Inf alone says it */
		lo = s->hist_lo < hi ? s->hist_lo : hi;
	}
	for (uint32_t i = 0; i < set->count; i++) {
		const struct pl_series *se = &set->series[i];
		const char *labels = pl_series_set__labels(set, se);
		const uint64_t *bk = pl_series_set__buckets(set, se);
		uint64_t cum = 0, total = 0;
		double sum = 0;
		for (uint32_t k = 0; k < s->nbuckets; k++) {
			total += bk[k];
			sum += (double)bk[k] * s->low[k];
		}
		for (uint32_t k = 0; k <= hi; k++) {
			cum += bk[k];
			if (k < lo)
				continue;
			pl_mbuf__printf(out, "%s_bucket{%.*s%sle=\"%s\"} %llu\n", name,
					(int)se->labels_len, labels, se->labels_len ? "," : "",
					s->le[k], (unsigned long long)cum);
		}
		pl_mbuf__printf(out, "%s_bucket{%.*s%sle=\"+Inf\"} %llu\n", name,
				(int)se->labels_len, labels, se->labels_len ? "," : "",
				(unsigned long long)total);
		pl_mbuf__printf(out, "%s_sum%s%.*s%s ", name, se->labels_len ? "{" : "",
				(int)se->labels_len, labels, se->labels_len ? "}" : "");
		if (s->scale != 1)
			pl_mbuf__printf(out, "%.15g", sum * s->scale);   /* as the le texts */
		else
			pl_expo__double(out, sum);
		pl_mbuf__printf(out, "\n%s_count%s%.*s%s %llu\n", name, se->labels_len ? "{" : "",
				(int)se->labels_len, labels, se->labels_len ? "}" : "",
				(unsigned long long)total);
	}
}

int pl_msource__write(struct pl_msource *s, const char *name, struct pl_mdecoders *dec,
		      struct pl_mbuf *out, char *err, size_t errlen)
{
	struct reader r = { .use_batch = true };
	size_t vsize = (size_t)s->stride * s->ncpus;
	bool hist = s->type == PL_METRIC_HISTOGRAM;
	uint32_t n;
	int e;

	s->entries = 0;
	pl_series_set__begin(&s->set, hist ? s->nbuckets : 0);
	for (;;) {
		if ((e = read_chunk(s, &r, &n, err, errlen)))
			return e;
		if (!n)
			break;
		s->entries += n;
		for (uint32_t i = 0; i < n; i++) {
			const char *key = s->keys + (size_t)i * s->key_size;
			struct pl_mval v = read_value(s, s->values + i * vsize);
			uint64_t bucket = 0;
			if (hist) {
				bucket = pl_mfield__u64(key + s->bucket.offset, s->bucket.size,
							s->bucket.bit_offset, s->bucket.bit_size,
							false);
				if (bucket >= s->nbuckets) {
					if (!s->linear)
						continue;   /* not a pktlua_log2() bucket */
					bucket = s->nbuckets - 1;
				}
				if (!v.u)
					continue;
			}
			if ((e = label_text(s, key, dec, err, errlen)))
				return e;
			uint32_t before = s->set.count;
			struct pl_series *se = pl_series_set__get(&s->set, s->scratch.data ? s->scratch.data : "",
								  s->scratch.len);
			if (!se) {
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			if (hist) {
				pl_series_set__buckets(&s->set, se)[bucket] += v.u;
				if (!s->linear && bucket < s->hist_lo)
					s->hist_lo = (uint32_t)bucket;
				if (!s->linear && bucket > s->hist_hi)
					s->hist_hi = (uint32_t)bucket;
			} else {
				se->value = s->set.count > before ? v : pl_mval__add(se->value, v);
			}
		}
		if (r.done)
			break;
	}
	if (!s->nlabels && !s->set.count) {
		/* No labels: the one series exists from the first scrape, at 0. */
		struct pl_series *se = pl_series_set__get(&s->set, "", 0);
		if (se)
			se->value = read_value(s, NULL);
	}
	if (hist) {
		write_hist(s, name, out);
	} else {
		for (uint32_t i = 0; i < s->set.count; i++) {
			const struct pl_series *se = &s->set.series[i];
			pl_expo__sample(out, name, pl_series_set__labels(&s->set, se), se->labels_len,
					se->value);
		}
	}
	if (out->failed) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}
