/* codec.c — BTF types flattened into conversion plans (codec.h).
 *
 * A plan is a tree of struct pl_codec built once from the BTF of a map's key
 * or value; everything it points to (child plans, field arrays, type names)
 * lives in one arena owned by the root and freed with it. Within one build,
 * plans are shared by BTF type id, so a type used by many fields is planned
 * once. */
#include "bpf/codec.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kernel refuses BTF nested deeper than this (MAX_RESOLVE_DEPTH); a
 * deeper chain can only be a corrupt or hostile object. */
#define MAX_DEPTH 32
#define CHUNK_SIZE 4096
#define NAME_MAX_LEN 256

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

/* What pl_codec__new returns points at .codec: pl_codec__free finds the
 * arena from it. */
struct plan_root {
	struct pl_codec codec;
	struct chunk *chunks;
};

struct memo {
	uint32_t id;
	const struct pl_codec *codec;
};

struct builder {
	const struct btf *btf;
	struct plan_root *root;
	struct memo *memo;
	size_t nmemo, capmemo;
};

/* ---- arena -------------------------------------------------------------- */

static void *arena_alloc(struct builder *b, size_t size)
{
	const size_t align = alignof(max_align_t);
	struct chunk *c = b->root->chunks;

	size = (size + align - 1) & ~(align - 1);
	if (!c || c->cap - c->used < size) {
		size_t cap = size > CHUNK_SIZE ? size : CHUNK_SIZE;
		struct chunk *n = malloc(sizeof(*n) + cap);

		if (!n)
			return NULL;
		n->used = 0;
		n->cap = cap;
		if (c && size > CHUNK_SIZE) {
			/* A big one-off block: keep filling the current chunk. */
			n->next = c->next;
			c->next = n;
		} else {
			n->next = c;
			b->root->chunks = n;
		}
		c = n;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

static const char *arena_strdup(struct builder *b, const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = arena_alloc(b, len);

	if (p)
		memcpy(p, s, len);
	return p;
}

/* ---- BTF helpers -------------------------------------------------------- */

static bool is_modifier(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return true;
	default:
		return false;
	}
}

/* ID with const/volatile/restrict/type_tag peeled off (typedefs kept);
 * with TYPEDEFS, typedefs peeled too. 0 (void) or an id whose type does
 * not exist stops the walk; *T gets the type (NULL for void or bad ids). */
static uint32_t peel(const struct btf *btf, uint32_t id, bool typedefs,
		     const struct btf_type **tp)
{
	const struct btf_type *t = NULL;

	for (int depth = 0; id && depth <= MAX_DEPTH; depth++) {
		t = btf__type_by_id(btf, id);
		if (!t || !(is_modifier(t) || (typedefs && btf_is_typedef(t))))
			break;
		id = t->type;
		t = NULL;
	}
	*tp = id ? t : NULL;
	return id;
}

static const char *name_of(const struct btf *btf, const struct btf_type *t)
{
	const char *s = btf__name_by_offset(btf, t->name_off);
	return s ? s : "";
}

/* snprintf for names: a name cut short is still a fine hint. */
__attribute__((format(printf, 3, 4)))
static void put(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* The C spelling of type ID ("struct key", "__u32", "char[16]", "int[2][3]",
 * "struct key *") into BUF, qualifiers left out. */
static void spell(const struct btf *btf, uint32_t id, char *buf, size_t len, int depth)
{
	const struct btf_type *t;
	const char *name, *tag = NULL;
	char inner[NAME_MAX_LEN];

	id = peel(btf, id, false, &t);
	if (depth > MAX_DEPTH) {
		put(buf, len, "?");
		return;
	}
	if (!id || !t) {
		put(buf, len, "void");
		return;
	}
	name = name_of(btf, t);
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPEDEF:
		put(buf, len, "%s", name);
		return;
	case BTF_KIND_STRUCT:
		tag = "struct";
		break;
	case BTF_KIND_UNION:
		tag = "union";
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		tag = "enum";
		break;
	case BTF_KIND_FWD:
		tag = btf_kflag(t) ? "union" : "struct";
		break;
	case BTF_KIND_DATASEC:
		tag = "section";
		break;
	case BTF_KIND_PTR: {
		const struct btf_type *pt;

		peel(btf, t->type, false, &pt);
		if (pt && btf_is_func_proto(pt))
			put(inner, sizeof(inner), "void");   /* function pointers */
		else
			spell(btf, t->type, inner, sizeof(inner), depth + 1);
		put(buf, len, "%s *", inner);
		return;
	}
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		const struct btf_type *et;
		char *br;

		peel(btf, a->type, false, &et);
		spell(btf, a->type, inner, sizeof(inner), depth + 1);
		br = strchr(inner, '[');
		if (et && btf_is_array(et) && br)   /* int[3] -> int[2][3] */
			put(buf, len, "%.*s[%u]%s", (int)(br - inner), inner, a->nelems, br);
		else
			put(buf, len, "%s[%u]", inner, a->nelems);
		return;
	}
	default:
		put(buf, len, "%s", *name ? name : "?");
		return;
	}
	put(buf, len, "%s %s", tag, *name ? name : "(anonymous)");
}

static bool is_plain_size(uint32_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* char, signed char, unsigned char, as written (not through a typedef):
 * arrays of them are strings, while __u8[N] stays a sequence of numbers. */
static bool is_char(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t;
	const char *name;

	peel(btf, id, false, &t);
	if (!t || !btf_is_int(t) || t->size != 1 || (btf_int_encoding(t) & BTF_INT_BOOL))
		return false;
	name = name_of(btf, t);
	return !strcmp(name, "char") || !strcmp(name, "signed char") ||
	       !strcmp(name, "unsigned char");
}

/* ---- building ----------------------------------------------------------- */

static const struct pl_codec *build(struct builder *b, uint32_t id, int depth);

static int memo_add(struct builder *b, uint32_t id, const struct pl_codec *c)
{
	if (b->nmemo == b->capmemo) {
		size_t cap = b->capmemo ? b->capmemo * 2 : 16;
		struct memo *m = realloc(b->memo, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		b->memo = m;
		b->capmemo = cap;
	}
	b->memo[b->nmemo].id = id;
	b->memo[b->nmemo].codec = c;
	b->nmemo++;
	return 0;
}

static const struct pl_codec *memo_find(struct builder *b, uint32_t id)
{
	for (size_t i = 0; i < b->nmemo; i++)
		if (b->memo[i].id == id)
			return b->memo[i].codec;
	return NULL;
}

static bool is_bitfield_kind(const struct pl_codec *c)
{
	return c->kind == PL_CODEC_INT || c->kind == PL_CODEC_ENUM || c->kind == PL_CODEC_BOOL;
}

/* One member of a struct/union at BIT_OFF (bit_size 0: not a bitfield) into
 * FIELDS[*N]; anonymous struct/union members have their fields inlined. With
 * FIELDS NULL, only count. */
static int add_member(struct builder *b, const struct btf_type *parent, const char *name,
		      uint32_t type_id, uint32_t bit_off, uint32_t bit_size,
		      struct pl_codec_field *fields, uint32_t *n, int depth)
{
	const struct pl_codec *mt = build(b, type_id, depth + 1);
	const struct btf_type *rt;

	if (!mt)
		return -errno;
	if (!bit_size && !btf_kflag(parent)) {
		/* Old-style bitfields: the member's int type carries the width. */
		peel(b->btf, type_id, true, &rt);
		if (rt && btf_is_int(rt) &&
		    (btf_int_offset(rt) || btf_int_bits(rt) != rt->size * 8)) {
			bit_off += btf_int_offset(rt);
			bit_size = btf_int_bits(rt);
		}
	}
	if (!bit_size && bit_off % 8) {
		if (!is_bitfield_kind(mt))
			return -EINVAL;
		bit_size = mt->size * 8;
	}
	if (!*name) {
		/* Anonymous: inline a struct/union's fields, skip `int :3` padding. */
		if (bit_size || mt->kind != PL_CODEC_STRUCT)
			return 0;
		if (bit_off / 8 + (uint64_t)mt->size > parent->size)
			return -EINVAL;
		for (uint32_t i = 0; i < mt->nfields; i++) {
			if (fields) {
				fields[*n] = mt->fields[i];
				fields[*n].offset += bit_off / 8;
			}
			(*n)++;
		}
		return 0;
	}
	if (bit_size) {
		if (bit_size > 64 || !is_bitfield_kind(mt) ||
		    ((uint64_t)bit_off + bit_size + 7) / 8 > parent->size)
			return -EINVAL;
	} else if (bit_off / 8 + (uint64_t)mt->size > parent->size) {
		return -EINVAL;
	}
	if (fields) {
		struct pl_codec_field *f = &fields[*n];

		f->name = arena_strdup(b, name);
		if (!f->name)
			return -ENOMEM;
		f->offset = bit_off / 8;
		f->bit_offset = bit_size ? bit_off % 8 : 0;
		f->bit_size = bit_size;
		f->type = mt;
	}
	(*n)++;
	return 0;
}

/* The members of a struct/union (or the variables of a data section), in two
 * passes: count, then fill (member plans come from the memo the second time). */
static int build_fields(struct builder *b, struct pl_codec *c, const struct btf_type *t, int depth)
{
	const bool datasec = btf_is_datasec(t);
	const uint16_t vlen = btf_vlen(t);
	struct pl_codec_field *fields = NULL;
	uint32_t n = 0;
	int err;

	for (int pass = 0; pass < 2; pass++) {
		n = 0;
		for (uint16_t i = 0; i < vlen; i++) {
			if (datasec) {
				const struct btf_var_secinfo *vs = btf_var_secinfos(t) + i;
				const struct btf_type *vt = btf__type_by_id(b->btf, vs->type);

				if (!vt || !btf_is_var(vt))
					continue;
				err = add_member(b, t, name_of(b->btf, vt), vt->type,
						 vs->offset * 8, 0, fields, &n, depth);
			} else {
				const struct btf_member *m = btf_members(t) + i;

				const char *mname = btf__name_by_offset(b->btf, m->name_off);

				err = add_member(b, t, mname ? mname : "", m->type, btf_member_bit_offset(t, i),
						 btf_member_bitfield_size(t, i), fields, &n, depth);
			}
			if (err)
				return err;
		}
		if (pass == 0 && n) {
			fields = arena_alloc(b, sizeof(*fields) * n);
			if (!fields)
				return -ENOMEM;
		}
	}
	c->fields = fields;
	c->nfields = n;
	return 0;
}

static const struct pl_codec *build(struct builder *b, uint32_t id, int depth)
{
	const struct pl_codec *done = memo_find(b, id);
	const struct btf_type *t;
	struct pl_codec *c;
	char name[NAME_MAX_LEN];
	int err = 0;

	if (done)
		return done;
	if (depth > MAX_DEPTH) {
		errno = ELOOP;
		return NULL;
	}
	c = arena_alloc(b, sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	spell(b->btf, id, name, sizeof(name), 0);
	c->type_name = arena_strdup(b, name);
	if (!c->type_name) {
		errno = ENOMEM;
		return NULL;
	}

	peel(b->btf, id, true, &t);
	c->kind = PL_CODEC_BYTES;
	if (!t) {
		/* void (or a dangling id): nothing to convert. */
		if (id && !btf__type_by_id(b->btf, id)) {
			errno = EINVAL;
			return NULL;
		}
		goto out;
	}
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		c->size = t->size;
		if (!is_plain_size(t->size))
			break;                                  /* __int128: bytes */
		if (btf_int_encoding(t) & BTF_INT_BOOL) {
			c->kind = PL_CODEC_BOOL;
		} else {
			c->kind = PL_CODEC_INT;
			c->is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		}
		break;
	case BTF_KIND_FLOAT:
		c->size = t->size;
		if (t->size == 4 || t->size == 8)
			c->kind = PL_CODEC_FLOAT;
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		c->size = t->size;
		if (!is_plain_size(t->size))
			break;
		c->kind = PL_CODEC_ENUM;
		/* kflag marks signed enums; older compilers leave it unset, but a
		 * negative enumerator says so too. */
		c->is_signed = btf_kflag(t);
		if (btf_is_enum(t))
			for (uint16_t i = 0; i < btf_vlen(t); i++)
				if (btf_enum(t)[i].val < 0)
					c->is_signed = true;
		break;
	case BTF_KIND_PTR: {
		__s64 sz = btf__resolve_size(b->btf, id);

		c->size = sz > 0 ? (uint32_t)sz : 8;
		if (is_plain_size(c->size))
			c->kind = PL_CODEC_INT;                 /* an address, unsigned */
		break;
	}
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		const struct pl_codec *elem = build(b, a->type, depth + 1);

		if (!elem)
			return NULL;
		if (elem->size && a->nelems > UINT32_MAX / elem->size) {
			errno = E2BIG;
			return NULL;
		}
		c->kind = is_char(b->btf, a->type) ? PL_CODEC_CHARS : PL_CODEC_ARRAY;
		c->elem = elem;
		c->nelems = a->nelems;
		c->size = a->nelems * elem->size;
		/* Elements of no size (struct {} x[1 << 31]) hold nothing: a
		 * sequence of two billion empty tables would only exhaust
		 * memory (found by fuzz_btf). An empty string says as much. */
		if (!elem->size && c->kind == PL_CODEC_ARRAY) {
			c->kind = PL_CODEC_BYTES;
			c->elem = NULL;
			c->nelems = 0;
		}
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:   /* global variables (.bss, .data, .rodata maps) */
		c->kind = PL_CODEC_STRUCT;
		c->is_union = btf_is_union(t);
		c->size = t->size;
		err = build_fields(b, c, t, depth);
		break;
	default: {
		/* fwd, func, var...: opaque */
		__s64 sz = btf__resolve_size(b->btf, id);

		c->size = sz > 0 ? (uint32_t)sz : 0;
		break;
	}
	}
out:
	err = err ?: memo_add(b, id, c);
	if (err) {
		errno = -err;
		return NULL;
	}
	return c;
}

/* ---- public ------------------------------------------------------------- */

static void untyped(struct pl_codec *c, uint32_t size, bool as_bytes)
{
	static const char *const uints[] = {
		[1] = "__u8", [2] = "__u16", [4] = "__u32", [8] = "__u64",
	};

	memset(c, 0, sizeof(*c));
	c->size = size;
	if (is_plain_size(size) && !as_bytes) {
		c->kind = PL_CODEC_INT;
		c->type_name = uints[size];
	} else {
		c->kind = PL_CODEC_BYTES;
		c->type_name = NULL;   /* set by the caller: it needs the arena */
	}
}

static struct pl_codec *codec_new(const struct btf *btf, uint32_t type_id, uint32_t size,
				  bool as_bytes)
{
	struct builder b = { .btf = btf };
	const struct pl_codec *c;
	char name[32];
	int err = 0;

	b.root = calloc(1, sizeof(*b.root));
	if (!b.root)
		return errno = ENOMEM, NULL;
	if (btf && type_id) {
		c = build(&b, type_id, 0);
		if (c && (!size || c->size == size)) {
			b.root->codec = *c;   /* nothing inside refers to the root */
			goto out;
		}
		/* With a SIZE to honour, a map's size that disagrees with its BTF
		 * or BTF this codec cannot follow still leaves the map usable,
		 * as raw integers or bytes: never read or write past the buffer
		 * the kernel fills. Out of memory stays an error. */
		if (!c && (errno == ENOMEM || !size)) {
			err = -errno;
			goto out;
		}
	}
	untyped(&b.root->codec, size, as_bytes);
	if (!b.root->codec.type_name) {
		snprintf(name, sizeof(name), "bytes[%u]", size);
		b.root->codec.type_name = arena_strdup(&b, name);
		if (!b.root->codec.type_name)
			err = -ENOMEM;
	}
out:
	free(b.memo);
	if (err) {
		pl_codec__free(&b.root->codec);
		errno = -err;
		return NULL;
	}
	return &b.root->codec;
}

void pl_codec__free(struct pl_codec *codec)
{
	struct plan_root *root = (struct plan_root *)codec;   /* codec is its first member */
	struct chunk *c, *next;

	if (!codec)
		return;
	for (c = root->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(root);
}

struct pl_codec *pl_codec__new(const struct btf *btf, uint32_t type_id, uint32_t size)
{
	return codec_new(btf, type_id, size, false);
}

struct pl_codec *pl_codec__new_bytes(uint32_t size)
{
	return codec_new(NULL, 0, size, true);
}
