/* vmlinux.c — vmlinux.h text from the running kernel's BTF (libbpf btf_dump):
 * the whole of it, or pruned to the types a translation unit can name. */
#include "compile/vmlinux.h"

#include "base/embedded.h"
#include "base/log.h"
#include "bpf/kernel_btf.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *text;
static size_t text_len;
static int text_err;    /* positive errno of a failed generation, remembered */

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void print_cb(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/* Same preamble and epilogue as bpftool's "format c" dump: CO-RE relocations
 * need preserve_access_index on every kernel record. */
static const char preamble[] =
	"#ifndef __VMLINUX_H__\n"
	"#define __VMLINUX_H__\n"
	"\n"
	"#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
	"#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
	"#endif\n"
	"\n";
static const char epilogue[] =
	"\n"
	"#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
	"#pragma clang attribute pop\n"
	"#endif\n"
	"\n"
	"#endif /* __VMLINUX_H__ */\n";

struct idents;
static bool idents_has(const struct idents *set, const char *s);

/* Copy the btf_dump text S[0, LEN) to OUT, but declare the structs and
 * unions named in PLAIN outside the preserve_access_index region.
 *
 * Why: btf_dump forward-declares what a picked type only points to
 * ("struct key;"), and under vmlinux.h's #pragma clang attribute that
 * declaration carries preserve_access_index, which the code's own later
 * definition of struct key then inherits: its field accesses would become
 * CO-RE relocations against the kernel's struct key, and fail to load. */
static void copy_body(FILE *out, const char *s, size_t len, const struct idents *plain)
{
	for (const char *p = s, *end = s + len; p < end;) {
		const char *eol = memchr(p, '\n', end - p);
		size_t n = (eol ? eol + 1 : end) - p;
		const char *name = NULL;

		if (plain && n > 8 && p[n - 2] == ';' && p[n - 1] == '\n') {
			if (!memcmp(p, "struct ", 7))
				name = p + 7;
			else if (!memcmp(p, "union ", 6))
				name = p + 6;
		}
		if (name) {
			char tag[256];
			size_t k = (size_t)(p + n - 2 - name);

			snprintf(tag, sizeof(tag), "%.*s", (int)k, name);
			if (k < sizeof(tag) && !strchr(tag, ' ') && idents_has(plain, tag)) {
				fputs("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n", out);
				fwrite(p, 1, n, out);
				fputs("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push "
				      "(__attribute__((preserve_access_index)), apply_to = record)\n#endif\n", out);
				p += n;
				continue;
			}
		}
		fwrite(p, 1, n, out);
		p += n;
	}
}

/* The header for BTF: every type (PICK NULL) or those whose bit is set in
 * PICK, in id order, as bpftool does; btf_dump emits each type's
 * dependencies first and each type once. The tags in PLAIN (may be NULL) are
 * declared without preserve_access_index (copy_body). *OUT is malloc'd. */
static int dump(const struct btf *btf, const uint8_t *pick, const struct idents *plain,
		char **out, size_t *out_len)
{
	struct btf_dump *d = NULL;
	char *body = NULL, *buf = NULL;
	size_t body_len = 0, len = 0;
	__u32 n = btf__type_cnt(btf);
	int err = 0;
	FILE *f = open_memstream(&body, &body_len), *o = NULL;

	if (!f)
		return -errno;
	d = btf_dump__new(btf, print_cb, f, NULL);
	if (!d) {
		err = -errno;
		goto out;
	}
	for (__u32 id = 1; id < n && !err; id++)
		if (!pick || (pick[id / 8] & (1u << (id % 8))))
			err = btf_dump__dump_type(d, id);
	if (err)
		goto out;
	if (fclose(f)) {        /* body and body_len are final now */
		f = NULL;
		err = -ENOMEM;
		goto out;
	}
	f = NULL;
	o = open_memstream(&buf, &len);
	if (!o) {
		err = -errno;
		goto out;
	}
	fputs(preamble, o);
	copy_body(o, body ?: "", body_len, plain);
	fputs(epilogue, o);
	if (fflush(o) || ferror(o))
		err = -ENOMEM;
out:
	if (f)
		fclose(f);
	if (o)
		fclose(o);      /* buf and len are final (or buf NULL) after this */
	free(body);
	btf_dump__free(d);
	if (err || !buf) {
		free(buf);
		return err ?: -ENOMEM;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

static int generate(void)
{
	const struct btf *btf;
	struct timespec t0;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	btf = pl_kernel_btf();
	if (!btf)
		return -errno;
	err = dump(btf, NULL, NULL, &text, &text_len);
	if (err)
		return err;
	pl_log(PL_LOG_DEBUG, "vmlinux.h: %zu bytes, %u types, in %.1f ms", text_len,
	       btf__type_cnt(btf) - 1, ms_since(&t0));
	return 0;
}

const char *pl_vmlinux_h(size_t *len)
{
	if (!text && !text_err) {
		int err = generate();

		if (err)
			text_err = -err;
	}
	if (!text) {
		errno = text_err;
		return NULL;
	}
	if (len)
		*len = text_len;
	return text;
}

/* --- pruning -------------------------------------------------------------- */

/* The identifiers of the texts: an open-addressing hash set of spans into
 * them (the texts outlive it). */
struct ident {
	const char *s;
	uint32_t len;
	uint32_t hash;
};

struct idents {
	struct ident *slot;
	size_t cap, n;          /* cap a power of two, kept at least 2n */
	/* The first two bytes of every identifier in the set, one bit each:
	 * most of the ~200k kernel type and enumerator names a prune looks up
	 * start with a pair no identifier of a snippet has, and are turned
	 * away here without a strlen() or a hash. */
	uint8_t pair[65536 / 8];
	const void **scanned;   /* embedded headers already scanned (shared) */
	size_t *nscanned;
	struct idents *typedefs; /* where bpf_helper_defs.h's identifiers go */
	struct defs *defs;      /* what the texts define themselves (shared) */
};

/* Types the scanned texts define themselves: struct/union/enum tags and
 * enumerators. A snippet may have its own struct key or struct event while
 * including vmlinux.h; the kernel's type of that name is then left out (as
 * long as no kernel type it does use holds it by value). */
struct defs {
	struct idents tags, enumerators;
};

static uint32_t hash_span(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static uint16_t pair_of(char a, char b)
{
	return (uint16_t)((unsigned char)a << 8 | (unsigned char)b);
}

static int idents_add(struct idents *set, const char *s, size_t len)
{
	uint32_t h = hash_span(s, len);
	size_t i;

	if (2 * (set->n + 1) > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 512;
		struct ident *slot = calloc(cap, sizeof(*slot));

		if (!slot)
			return -ENOMEM;
		for (size_t j = 0; j < set->cap; j++) {
			if (!set->slot[j].s)
				continue;
			for (i = set->slot[j].hash & (cap - 1); slot[i].s; i = (i + 1) & (cap - 1))
				;
			slot[i] = set->slot[j];
		}
		free(set->slot);
		set->slot = slot;
		set->cap = cap;
	}
	for (i = h & (set->cap - 1); set->slot[i].s; i = (i + 1) & (set->cap - 1))
		if (set->slot[i].hash == h && set->slot[i].len == len &&
		    !memcmp(set->slot[i].s, s, len))
			return 0;
	set->slot[i] = (struct ident){ s, (uint32_t)len, h };
	set->n++;
	uint16_t pair = pair_of(s[0], len > 1 ? s[1] : 0);
	set->pair[pair / 8] |= (uint8_t)(1u << (pair % 8));
	return 0;
}

static bool idents_has(const struct idents *set, const char *s)
{
	if (!s[0] || !set->cap)
		return false;
	uint16_t pair = pair_of(s[0], s[1]);
	if (!(set->pair[pair / 8] & (1u << (pair % 8))))
		return false;

	size_t len = strlen(s);
	uint32_t h = hash_span(s, len);

	for (size_t i = h & (set->cap - 1); set->slot[i].s; i = (i + 1) & (set->cap - 1))
		if (set->slot[i].hash == h && set->slot[i].len == len &&
		    !memcmp(set->slot[i].s, s, len))
			return true;
	return false;
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static int scan(struct idents *set, const char *dir, const char *s, size_t len);

#define MAX_SCANNED 64

/* S[0..LEN) follows "#include": scan the embedded header it names ("x.h"
 * next to DIR first, as the preprocessor does), once. bpf_helper_defs.h only
 * forward-declares the structs of helper prototypes (task_struct & co.) but
 * needs the typedefs they use (__wsum, __be16): its identifiers name
 * typedefs only. */
static int scan_include(struct idents *set, const char *dir, const char *s, size_t len)
{
	const struct pl_embedded_file *e = NULL;
	char name[256];
	size_t i = 0, n = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len || (s[i] != '<' && s[i] != '"'))
		return 0;      /* #include MACRO: not followed, the fallback copes */
	char close = s[i] == '<' ? '>' : '"';
	const char *path = s + ++i;
	while (i + n < len && path[n] != close && path[n] != '\n')
		n++;
	if (close == '"' && dir && snprintf(name, sizeof(name), "%s%.*s", dir, (int)n, path) <
	    (int)sizeof(name))
		e = pl_embedded_find(name);
	if (!e && snprintf(name, sizeof(name), "include/%.*s", (int)n, path) < (int)sizeof(name))
		e = pl_embedded_find(name);
	if (!e)
		return 0;
	for (size_t k = 0; k < *set->nscanned; k++)
		if (set->scanned[k] == e)
			return 0;
	if (*set->nscanned == MAX_SCANNED)
		return 0;      /* more headers than exist today: the fallback copes */
	set->scanned[(*set->nscanned)++] = e;
	if (set->typedefs && !strcmp(e->name, "include/bpf/bpf_helper_defs.h"))
		set = set->typedefs;
	/* Its directory, for its own "..." includes. */
	const char *slash = strrchr(e->name, '/');
	snprintf(name, sizeof(name), "%.*s", (int)(slash - e->name + 1), e->name);
	return scan(set, name, (const char *)e->data, e->len);
}

/* Add the identifiers of S, skipping comments and the letters of numbers
 * (0x1fULL); follow the embedded headers it #includes. DIR: the embedded
 * directory S lives in ("include/bpf/"), NULL for the user's text. */
/* The definition state of a scan: "struct NAME {" and the enumerators of
 * "enum [NAME] { A, B = (1 << 2), ... }". */
struct def_scan {
	int after_kw;           /* 1: after struct/union/enum, 2: and a name */
	bool kw_enum;
	const char *name;       /* the tag after the keyword */
	size_t name_len;
	int enum_depth;         /* brace depth inside an enum body; 0: not in one */
	int paren;              /* parentheses inside the enum body */
	bool element_start;     /* the next identifier names an enumerator */
};

static int def_ident(struct idents *set, struct def_scan *d, const char *s, size_t n)
{
	bool kw = (n == 6 && !memcmp(s, "struct", 6)) || (n == 5 && !memcmp(s, "union", 5)) ||
		  (n == 4 && !memcmp(s, "enum", 4));
	int err = 0;

	if (d->enum_depth == 1 && d->element_start && !d->paren && set->defs) {
		err = idents_add(&set->defs->enumerators, s, n);
		d->element_start = false;
	}
	if (kw) {
		d->after_kw = 1;
		d->kw_enum = n == 4;
		d->name = NULL;
	} else if (d->after_kw == 1) {
		d->after_kw = 2;
		d->name = s;
		d->name_len = n;
	} else {
		d->after_kw = 0;
	}
	return err;
}

static int def_punct(struct idents *set, struct def_scan *d, char c)
{
	int err = 0;

	if (c == '{') {
		if (d->after_kw == 2 && set->defs)
			err = idents_add(&set->defs->tags, d->name, d->name_len);
		if (d->enum_depth)
			d->enum_depth++;
		else if (d->after_kw && d->kw_enum) {
			d->enum_depth = 1;
			d->paren = 0;
			d->element_start = true;
		}
	} else if (c == '}' && d->enum_depth) {
		d->enum_depth--;
	} else if (d->enum_depth == 1) {
		if (c == '(')
			d->paren++;
		else if (c == ')' && d->paren)
			d->paren--;
		else if (c == ',' && !d->paren)
			d->element_start = true;
	}
	if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
		d->after_kw = 0;
	return err;
}

static int scan(struct idents *set, const char *dir, const char *s, size_t len)
{
	struct def_scan d = {0};
	size_t i = 0;
	int err = 0;

	while (i < len && !err) {
		char c = s[i];

		if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			const char *end = memmem(s + i + 2, len - i - 2, "*/", 2);
			i = end ? (size_t)(end - s) + 2 : len;
		} else if (c == '/' && i + 1 < len && s[i + 1] == '/') {
			const char *end = memchr(s + i, '\n', len - i);
			i = end ? (size_t)(end - s) + 1 : len;
		} else if (c >= '0' && c <= '9') {
			while (i < len && (is_ident_char(s[i]) || s[i] == '.'))
				i++;
		} else if (is_ident_start(c)) {
			size_t start = i, b = start;

			while (i < len && is_ident_char(s[i]))
				i++;
			err = idents_add(set, s + start, i - start);
			err = err ?: def_ident(set, &d, s + start, i - start);
			while (b > 0 && (s[b - 1] == ' ' || s[b - 1] == '\t'))
				b--;
			if (!err && i - start == 7 && !memcmp(s + start, "include", 7) && b > 0 &&
			    s[b - 1] == '#')
				err = scan_include(set, dir, s + i, len - i);
		} else {
			err = def_punct(set, &d, c);
			i++;
		}
	}
	return err;
}

static bool is_composite(const struct btf_type *t)
{
	return t && (btf_is_struct(t) || btf_is_union(t));
}

/* ID without modifiers, typedefs and (with ARRAYS) array dimensions. */
static __u32 strip(const struct btf *btf, __u32 id, bool arrays)
{
	for (int depth = 0; depth < 64; depth++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t)
			return 0;
		if (btf_is_mod(t) || btf_is_typedef(t) || btf_is_type_tag(t))
			id = t->type;
		else if (arrays && btf_is_array(t))
			id = btf_array(t)->type;
		else
			return id;
	}
	return 0;
}

struct prune {
	const struct btf *btf;
	const struct idents *set;
	const struct idents *typedefs; /* names that pick typedefs only */
	const struct defs *defs;       /* never pick what the texts define */
	uint8_t *pick;          /* bit per type id: dump it */
	uint8_t *walked;        /* bit per type id: members looked at */
	__u32 *stack;
	size_t nstack;
	__u32 npicked;
};

static bool bit(const uint8_t *bits, __u32 id)
{
	return bits[id / 8] & (1u << (id % 8));
}

static void set_bit(uint8_t *bits, __u32 id)
{
	bits[id / 8] |= 1u << (id % 8);
}

/* Each id is pushed at most once (walked is set on push): the stack never
 * holds more than the number of types. */
static void push(struct prune *p, __u32 id)
{
	id = strip(p->btf, id, true);
	if (!id || bit(p->walked, id) || !is_composite(btf__type_by_id(p->btf, id)))
		return;
	set_bit(p->walked, id);
	p->stack[p->nstack++] = id;
}

/* Does a scanned text define a type of T's name (a struct/union/enum tag, an
 * enumerator of T)? */
static bool defined_here(const struct btf *btf, const struct defs *defs, const struct btf_type *t)
{
	if (!defs || !(btf_is_composite(t) || btf_is_any_enum(t)))
		return false;
	if (t->name_off && idents_has(&defs->tags, btf__name_by_offset(btf, t->name_off)))
		return true;
	for (__u16 i = 0; btf_is_any_enum(t) && i < btf_vlen(t); i++) {
		__u32 off = btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;
		if (idents_has(&defs->enumerators, btf__name_by_offset(btf, off)))
			return true;
	}
	return false;
}

static void pick(struct prune *p, __u32 id)
{
	if (defined_here(p->btf, p->defs, btf__type_by_id(p->btf, id)))
		return;
	if (!bit(p->pick, id)) {
		set_bit(p->pick, id);
		p->npicked++;
	}
	push(p, id);
}

/* Walk what the picked types hold by value; pick the record behind every
 * pointer member whose name the code uses (t->mm, BPF_CORE_READ(t, mm, ...)),
 * and walk that too, until nothing new comes. */
static void follow_members(struct prune *p)
{
	while (p->nstack) {
		const struct btf_type *t = btf__type_by_id(p->btf, p->stack[--p->nstack]);
		const struct btf_member *m = btf_members(t);

		for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
			__u32 mid = strip(p->btf, m->type, true);
			const struct btf_type *mt = btf__type_by_id(p->btf, mid);

			if (is_composite(mt)) {
				push(p, mid);   /* by value: btf_dump defines it anyway */
			} else if (mt && btf_is_ptr(mt) &&
				   idents_has(p->set, btf__name_by_offset(p->btf, m->name_off))) {
				__u32 to = strip(p->btf, mt->type, false);
				const struct btf_type *tt = btf__type_by_id(p->btf, to);

				if (is_composite(tt) && tt->name_off)
					pick(p, to);
			}
		}
	}
}

/* Pick the types the identifiers name, then follow pointer members. */
static int choose(struct prune *p)
{
	const struct btf *btf = p->btf;
	__u32 n = btf__type_cnt(btf);

	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		bool named;

		switch (btf_kind(t)) {
		case BTF_KIND_TYPEDEF:
			if (t->name_off && idents_has(p->typedefs, btf__name_by_offset(btf, t->name_off)))
				pick(p, id);
			/* fallthrough */
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			if (t->name_off && idents_has(p->set, btf__name_by_offset(btf, t->name_off)))
				pick(p, id);
			break;
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			named = t->name_off &&
				idents_has(p->set, btf__name_by_offset(btf, t->name_off));
			for (__u16 i = 0; !named && i < btf_vlen(t); i++) {
				__u32 off = btf_is_enum(t) ? btf_enum(t)[i].name_off
							   : btf_enum64(t)[i].name_off;
				named = idents_has(p->set, btf__name_by_offset(btf, off));
			}
			if (named)
				pick(p, id);
			break;
		default:
			break;
		}
	}
	follow_members(p);
	return 0;
}

/* Pick every named type but those the texts define themselves; false if
 * there are none of those (the full header as it is will do). Only the kinds
 * btf_dump writes something for: dumping a modifier, pointer, array or
 * function makes it define what that refers to ("const struct key" would
 * bring struct key back). */
static bool choose_all_but_defined(struct prune *p)
{
	__u32 n = btf__type_cnt(p->btf);
	bool any = false;

	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(p->btf, id);

		if (!btf_is_composite(t) && !btf_is_any_enum(t) && !btf_is_typedef(t) &&
		    !btf_is_fwd(t))
			continue;
		if (defined_here(p->btf, p->defs, t)) {
			any = true;
		} else {
			set_bit(p->pick, id);
			p->npicked++;
		}
	}
	return any;
}

/* pl_vmlinux_h_pruned(), or with FULL every type but those TEXTS define
 * (NULL with errno 0 when they define none of the kernel's). */
static char *make(const struct pl_vmlinux_text *texts, size_t n, bool full, size_t *len)
{
	const void *scanned[MAX_SCANNED];
	size_t nscanned = 0;
	struct defs defs = {0};
	struct idents typedefs = { .scanned = scanned, .nscanned = &nscanned, .defs = &defs };
	struct idents set = { .scanned = scanned, .nscanned = &nscanned, .typedefs = &typedefs,
			      .defs = &defs };
	struct prune p = { .defs = &defs };
	struct timespec t0;
	char *out = NULL;
	size_t out_len = 0;
	__u32 ntypes;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	p.btf = pl_kernel_btf();
	if (!p.btf)
		return NULL;
	ntypes = btf__type_cnt(p.btf);
	for (size_t i = 0; i < n && !err; i++)
		if (texts[i].text)
			err = scan(&set, NULL, texts[i].text, texts[i].len);
	p.set = &set;
	p.typedefs = &typedefs;
	p.pick = calloc(ntypes / 8 + 1, 1);
	p.walked = calloc(ntypes / 8 + 1, 1);
	p.stack = malloc(ntypes * sizeof(*p.stack));
	if (!err && (!p.pick || !p.walked || !p.stack))
		err = -ENOMEM;
	if (!err && full && !choose_all_but_defined(&p))
		goto out;       /* errno 0: the full header as it is */
	err = err ?: full ? 0 : choose(&p);
	err = err ?: dump(p.btf, p.pick, defs.tags.n ? &defs.tags : NULL, &out, &out_len);
	if (!err)
		pl_log(PL_LOG_DEBUG,
		       "vmlinux.h %s: %zu bytes, %u types named of %u (%zu identifiers), in %.1f ms",
		       full ? "without the types the code defines" : "pruned",
		       out_len, p.npicked, ntypes - 1, set.n, ms_since(&t0));
out:
	free(p.stack);
	free(p.walked);
	free(p.pick);
	free(typedefs.slot);
	free(set.slot);
	free(defs.tags.slot);
	free(defs.enumerators.slot);
	errno = -err;
	if (err || !out)
		return NULL;
	if (len)
		*len = out_len;
	return out;
}

char *pl_vmlinux_h_pruned(const struct pl_vmlinux_text *texts, size_t n, size_t *len)
{
	return make(texts, n, false, len);
}

const char *pl_vmlinux_h_full(const struct pl_vmlinux_text *texts, size_t n, size_t *len,
			      char **owned)
{
	*owned = make(texts, n, true, len);
	if (*owned)
		return *owned;
	return errno ? NULL : pl_vmlinux_h(len);
}
