/* elf_syms.c — function symbols, segments, build ID and debuglink of an ELF
 * file, through libelf. */
#include "symbols/elf_syms.h"

#include "symbols/by_addr.h"
#include "symbols/elf_file.h"
#include "symbols/names.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

/* A function without a size extends to the next symbol, but not past this:
 * the last symbol of a file must not claim the rest of the address space. */
#define MAX_EXTENT (1u << 20)
#define MAX_BUILD_ID 64

struct sym {
	struct pl_elf_sym pub;
	uint8_t rank;            /* at one address: global, weak, local */
	bool hidden;             /* an older symbol version: "NAME@V" in .symtab,
				  * or hidden in .gnu.version for .dynsym */
	bool ifunc;              /* STT_GNU_IFUNC: the address is a resolver's */
};

struct pl_elf_syms {
	struct sym *syms;
	size_t n, cap;
	char **arenas;           /* name blocks, one per parse or merge */
	size_t narenas;
	struct pl_elf_seg *segs;
	size_t nsegs;
	uint8_t build_id[MAX_BUILD_ID];
	size_t build_id_len;
	char *debuglink;
	bool dyn, symtab;
};

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	int c;

	if (x->pub.addr != y->pub.addr)
		return x->pub.addr < y->pub.addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->pub.size != y->pub.size)                  /* the biggest first */
		return x->pub.size > y->pub.size ? -1 : 1;
	c = strcmp(x->pub.name, y->pub.name);
	if (c || x->hidden == y->hidden)
		return c;
	return x->hidden ? 1 : -1;       /* of two repeats, the default version is kept */
}

/* Sort, and drop exact repeats (.symtab and .dynsym name most functions
 * twice). */
static void sort_syms(struct pl_elf_syms *es)
{
	size_t w = 0;

	if (!es->n)
		return;
	qsort(es->syms, es->n, sizeof(*es->syms), cmp_sym);
	for (size_t r = 1; r < es->n; r++) {
		struct sym *k = &es->syms[w], *s = &es->syms[r];
		if (s->pub.addr == k->pub.addr && !strcmp(s->pub.name, k->pub.name))
			continue;
		es->syms[++w] = *s;
	}
	es->n = w + 1;
}

static int push_sym(struct pl_elf_syms *es, uint64_t addr, uint64_t size, size_t name_off,
		    const struct sym *kind)
{
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 256;
		struct sym *s = realloc(es->syms, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		es->syms = s;
		es->cap = cap;
	}
	/* The name is an offset until the arena stops moving. */
	es->syms[es->n].pub.addr = addr;
	es->syms[es->n].pub.size = size;
	es->syms[es->n].pub.name = (const char *)(uintptr_t)name_off;
	es->syms[es->n].rank = kind->rank;
	es->syms[es->n].hidden = kind->hidden;
	es->syms[es->n].ifunc = kind->ifunc;
	es->n++;
	return 0;
}

static int add_arena(struct pl_elf_syms *es, char *arena)
{
	char **a = realloc(es->arenas, (es->narenas + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	es->arenas = a;
	es->arenas[es->narenas++] = arena;
	return 0;
}

/* VERSYM: the .gnu.version entries of .dynsym (NULL for .symtab, or none). */
static int read_symbols(struct pl_elf_syms *es, Elf *e, Elf_Scn *scn, const GElf_Shdr *sh,
			Elf_Data *versym, struct pl_names *names)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t count;
	int err = 0;

	if (!d || !sh->sh_entsize || sh->sh_type == SHT_NOBITS)
		return 0;
	count = d->d_size / sh->sh_entsize;
	for (size_t i = 1; i < count && !err; i++) {
		GElf_Sym sym;
		const char *name;
		size_t off;

		if (!gelf_getsym(d, (int)i, &sym))
			break;
		int type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value)
			continue;
		name = elf_strptr(e, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		int bind = GELF_ST_BIND(sym.st_info);
		const char *at = strchr(name, '@');
		GElf_Versym vs;
		struct sym kind = {
			.rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2,
			.hidden = (at && at[1] != '@') ||
				  (versym && gelf_getversym(versym, (int)i, &vs) &&
				   (vs & 0x8000)),          /* VERSYM_HIDDEN */
			.ifunc = type == STT_GNU_IFUNC,
		};
		err = pl_names__add(names, name, strlen(name), &off);
		if (!err)
			err = push_sym(es, sym.st_value, sym.st_size, off, &kind);
	}
	return err;
}

static int take_build_id(const char *desc, size_t len, void *arg)
{
	struct pl_elf_syms *es = arg;

	if (len == 0 || len > MAX_BUILD_ID)
		return 0;
	memcpy(es->build_id, desc, len);
	es->build_id_len = len;
	return 1;
}

static void read_build_id(struct pl_elf_syms *es, Elf_Scn *scn)
{
	if (!es->build_id_len)
		pl_elf_file__each_note(scn, "GNU", NT_GNU_BUILD_ID, take_build_id, es);
}

static int read_debuglink(struct pl_elf_syms *es, Elf_Scn *scn)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n;

	if (!d || !d->d_buf || !d->d_size || es->debuglink)
		return 0;
	n = strnlen(d->d_buf, d->d_size);
	if (n == 0 || n == d->d_size)   /* empty, or not NUL-terminated */
		return 0;
	es->debuglink = strndup(d->d_buf, n);
	return es->debuglink ? 0 : -ENOMEM;
}

static int parse_elf(Elf *e, void *res)
{
	struct pl_elf_syms **out = res;
	struct pl_elf_syms *es = calloc(1, sizeof(*es));
	struct pl_names names = { 0 };
	GElf_Ehdr eh;
	size_t phnum = 0, shstrndx = 0;
	Elf_Scn *scn = NULL;
	int err = 0;

	*out = NULL;
	if (!es)
		return -ENOMEM;
	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		err = -ENOEXEC;
		goto out;
	}
	es->dyn = eh.e_type == ET_DYN;
	if (elf_getphdrnum(e, &phnum) == 0 && phnum > 0) {
		es->segs = calloc(phnum, sizeof(*es->segs));
		if (!es->segs) {
			err = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < phnum; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			es->segs[es->nsegs++] = (struct pl_elf_seg){
				.offset = ph.p_offset, .vaddr = ph.p_vaddr,
				.filesz = ph.p_filesz, .memsz = ph.p_memsz, .flags = ph.p_flags,
			};
		}
	}
	if (elf_getshdrstrndx(e, &shstrndx))
		shstrndx = 0;
	/* .gnu.version first: .dynsym's entries need it, in whatever order
	 * the sections come. */
	Elf_Data *versym = NULL;
	while (!versym && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_GNU_versym)
			versym = elf_getdata(scn, NULL);
	}
	scn = NULL;
	while (!err && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) {
			if (sh.sh_type == SHT_SYMTAB)
				es->symtab = true;
			err = read_symbols(es, e, scn, &sh,
					   sh.sh_type == SHT_DYNSYM ? versym : NULL, &names);
		} else if (sh.sh_type == SHT_NOTE) {
			read_build_id(es, scn);
		} else if (sh.sh_type == SHT_PROGBITS && shstrndx) {
			const char *nm = elf_strptr(e, shstrndx, sh.sh_name);
			if (nm && !strcmp(nm, ".gnu_debuglink"))
				err = read_debuglink(es, scn);
		}
	}
	if (err)
		goto out;
	if (!names.p && !(names.p = malloc(1))) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < es->n; i++)
		es->syms[i].pub.name = names.p + (uintptr_t)es->syms[i].pub.name;
	err = add_arena(es, names.p);
	if (err)
		goto out;
	names.p = NULL;
	sort_syms(es);
	*out = es;
	es = NULL;
out:
	free(names.p);
	pl_elf_syms__free(es);
	return err;
}

int pl_elf_syms__parse(const void *buf, size_t len, struct pl_elf_syms **out)
{
	*out = NULL;
	return pl_elf_file__parse(buf, len, parse_elf, out);
}

int pl_elf_syms__open(const char *path, struct pl_elf_syms **out)
{
	*out = NULL;
	return pl_elf_file__open(path, parse_elf, out);
}

void pl_elf_syms__free(struct pl_elf_syms *es)
{
	if (!es)
		return;
	for (size_t i = 0; i < es->narenas; i++)
		free(es->arenas[i]);
	free(es->arenas);
	free(es->syms);
	free(es->segs);
	free(es->debuglink);
	free(es);
}

const struct pl_elf_sym *pl_elf_syms__find(const struct pl_elf_syms *es, uint64_t vaddr,
					   uint64_t *offset)
{
	size_t i;

	if (!es || pl_by_addr__floor(es->syms, es->n, sizeof(*es->syms),
				     offsetof(struct sym, pub.addr), vaddr, &i))
		return NULL;
	const struct pl_elf_sym *s = &es->syms[i].pub;
	uint64_t off = vaddr - s->addr;
	/* Aliases at one address sort biggest first, so S has the largest size. */
	if (s->size ? off >= s->size : off >= MAX_EXTENT)
		return NULL;
	if (offset)
		*offset = off;
	return s;
}

size_t pl_elf_syms__count(const struct pl_elf_syms *es)
{
	return es ? es->n : 0;
}

const struct pl_elf_sym *pl_elf_syms__at(const struct pl_elf_syms *es, size_t i)
{
	return es && i < es->n ? &es->syms[i].pub : NULL;
}

int pl_elf_syms__vaddr(const struct pl_elf_syms *es, uint64_t off, uint64_t *vaddr)
{
	/* An executable segment first: where code addresses come from. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < es->nsegs; i++) {
			const struct pl_elf_seg *s = &es->segs[i];
			if (!pass && !(s->flags & PF_X))
				continue;
			if (off >= s->offset && off - s->offset < s->filesz) {
				*vaddr = off - s->offset + s->vaddr;
				return 0;
			}
		}
	}
	return -ENOENT;
}

size_t pl_elf_syms__segments(const struct pl_elf_syms *es, const struct pl_elf_seg **segs)
{
	*segs = es->segs;
	return es->nsegs;
}

bool pl_elf_syms__is_dyn(const struct pl_elf_syms *es)
{
	return es->dyn;
}

bool pl_elf_syms__has_symtab(const struct pl_elf_syms *es)
{
	return es->symtab;
}

const uint8_t *pl_elf_syms__build_id(const struct pl_elf_syms *es, size_t *len)
{
	*len = es->build_id_len;
	return es->build_id_len ? es->build_id : NULL;
}

const char *pl_elf_syms__debuglink(const struct pl_elf_syms *es)
{
	return es->debuglink;
}

int pl_elf_syms__merge(struct pl_elf_syms *es, const struct pl_elf_syms *debug)
{
	struct pl_names names = { 0 };
	size_t first = es->n;
	int err = 0;

	for (size_t i = 0; i < debug->n && !err; i++) {
		size_t off;
		err = pl_names__add(&names, debug->syms[i].pub.name,
				    strlen(debug->syms[i].pub.name), &off);
		if (!err)
			err = push_sym(es, debug->syms[i].pub.addr, debug->syms[i].pub.size, off,
				       &debug->syms[i]);
	}
	if (!err && !names.p && !(names.p = malloc(1)))
		err = -ENOMEM;
	if (!err)
		err = add_arena(es, names.p);
	if (err) {
		es->n = first;
		free(names.p);
		return err;
	}
	for (size_t i = first; i < es->n; i++)
		es->syms[i].pub.name = names.p + (uintptr_t)es->syms[i].pub.name;
	if (debug->symtab)
		es->symtab = true;
	sort_syms(es);
	return 0;
}

int pl_elf_syms__offset(const struct pl_elf_syms *es, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < es->nsegs; i++) {
		const struct pl_elf_seg *s = &es->segs[i];
		if ((s->flags & PF_X) && vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			*off = vaddr - s->vaddr + s->offset;
			return 0;
		}
	}
	return -ENOENT;
}

/* NAME's length without its symbol version ("open@@GLIBC_2.2.5" -> 4). */
static size_t base_len(const char *name)
{
	return strcspn(name, "@");
}

static int cmp_base(const char *a, const char *b)
{
	size_t la = base_len(a), lb = base_len(b);
	int c = memcmp(a, b, la < lb ? la : lb);

	return c ? c : la < lb ? -1 : la > lb;
}

/* By name; of one name, the one functions() keeps first. */
static int cmp_func(const void *a, const void *b)
{
	const struct sym *x = *(const struct sym *const *)a, *y = *(const struct sym *const *)b;
	int c = cmp_base(x->pub.name, y->pub.name);

	if (c)
		return c;
	if (x->hidden != y->hidden)
		return x->hidden ? 1 : -1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->pub.addr != y->pub.addr)
		return x->pub.addr < y->pub.addr ? -1 : 1;
	return 0;
}

int pl_elf_syms__functions(const struct pl_elf_syms *es, struct pl_elf_func **out, size_t *count)
{
	const struct sym **pick = NULL;
	struct pl_elf_func *funcs = NULL;
	size_t n = 0, kept = 0, names = 0;
	uint64_t off;
	int err = 0;

	*out = NULL;
	*count = 0;
	if (es->n && !(pick = calloc(es->n, sizeof(*pick))))
		return -ENOMEM;
	for (size_t i = 0; i < es->n; i++) {
		const struct sym *s = &es->syms[i];
		if (!s->ifunc && base_len(s->pub.name) && !pl_elf_syms__offset(es, s->pub.addr, &off))
			pick[n++] = s;
	}
	if (n)
		qsort(pick, n, sizeof(*pick), cmp_func);
	for (size_t i = 0; i < n; i++) {
		if (kept && !cmp_base(pick[kept - 1]->pub.name, pick[i]->pub.name))
			continue;
		pick[kept++] = pick[i];
		names += base_len(pick[i]->pub.name) + 1;
	}
	/* One block: the entries, then their names. */
	funcs = malloc(kept * sizeof(*funcs) + names + 1);
	if (!funcs) {
		err = -ENOMEM;
		goto out;
	}
	char *p = (char *)(funcs + kept);
	for (size_t i = 0; i < kept; i++) {
		const struct sym *s = pick[i];
		size_t len = base_len(s->pub.name);
		memcpy(p, s->pub.name, len);
		p[len] = '\0';
		funcs[i] = (struct pl_elf_func){ .name = p, .addr = s->pub.addr, .size = s->pub.size };
		pl_elf_syms__offset(es, s->pub.addr, &funcs[i].offset);
		p += len + 1;
	}
	*out = funcs;
	*count = kept;
out:
	free(pick);
	return err;
}
