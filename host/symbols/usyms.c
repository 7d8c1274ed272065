/* usyms.c — the user-space resolver: per-process mappings, per-file
 * symbols (parsed once), debug files, demangling. */
#include "symbols/usyms.h"

#include "base/log.h"
#include "symbols/demangle.h"
#include "symbols/elf_syms.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* A process whose maps missed an address is read again, but not more often
 * than this (an address in JIT code would otherwise re-read them per frame). */
#define REREAD_NS 200000000ull

struct proc {
	pid_t pid;
	bool exited;               /* mappings from the exit hook: never re-read */
	uint64_t read_ns;
	struct pl_procmaps *maps;
};

struct file {
	uint64_t dev, ino;
	char *path;                /* the key when ino is 0 */
	struct pl_elf_syms *syms;  /* NULL: unreadable or not ELF */
	int err;
};

struct demangled {
	const char *mangled;       /* a name inside some file's symbols */
	char *name;                /* NULL: not mangled */
};

/* Open addressing, linear probing, power-of-two sizes; no deletions but
 * pl_usyms__forget's tombstones. */
struct table {
	void **slots;
	size_t cap, n;
};

struct pl_usyms {
	char debug_dir[PATH_MAX];
	struct table procs, files, names;
	size_t maps_reads, file_parses;
	bool warned_dead;
};

#define TOMB ((void *)1)

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Find the slot for a key: EQ(slot, key) says whether it is the one. */
static void **table_slot(struct table *t, uint64_t h, bool (*eq)(const void *, const void *),
			 const void *key)
{
	size_t mask = t->cap - 1, i = h & mask;
	void **tomb = NULL;

	for (;;) {
		void *v = t->slots[i];
		if (!v)
			return tomb ? tomb : &t->slots[i];
		if (v == TOMB) {
			if (!tomb)
				tomb = &t->slots[i];
		} else if (eq(v, key)) {
			return &t->slots[i];
		}
		i = (i + 1) & mask;
	}
}

static int table_grow(struct table *t, uint64_t (*hash)(const void *))
{
	if ((t->n + 1) * 2 <= t->cap)
		return 0;
	size_t cap = t->cap ? t->cap * 2 : 64;
	void **slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		void *v = t->slots[i];
		if (!v || v == TOMB)
			continue;
		size_t j = hash(v) & (cap - 1);
		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = v;
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

static uint64_t proc_hash(const void *v) { return mix((uint64_t)((const struct proc *)v)->pid); }
static bool proc_eq(const void *v, const void *k)
{
	return ((const struct proc *)v)->pid == *(const pid_t *)k;
}

static uint64_t file_hash_of(uint64_t dev, uint64_t ino, const char *path)
{
	return ino ? mix(dev * 0x9e3779b97f4a7c15ull ^ ino) : hash_str(path);
}
static uint64_t file_hash(const void *v)
{
	const struct file *f = v;
	return file_hash_of(f->dev, f->ino, f->path);
}
static bool file_eq(const void *v, const void *k)
{
	const struct file *f = v, *q = k;
	return f->ino ? f->dev == q->dev && f->ino == q->ino : !q->ino && !strcmp(f->path, q->path);
}

static uint64_t name_hash(const void *v) { return mix((uintptr_t)((const struct demangled *)v)->mangled); }
static bool name_eq(const void *v, const void *k)
{
	return ((const struct demangled *)v)->mangled == (const char *)k;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct pl_usyms *pl_usyms__new(const struct pl_usyms_opts *opts)
{
	struct pl_usyms *us = calloc(1, sizeof(*us));

	if (!us)
		return NULL;
	snprintf(us->debug_dir, sizeof(us->debug_dir), "%s",
		 opts && opts->debug_dir ? opts->debug_dir : "/usr/lib/debug");
	return us;
}

void pl_usyms__free(struct pl_usyms *us)
{
	if (!us)
		return;
	for (size_t i = 0; i < us->procs.cap; i++) {
		struct proc *p = us->procs.slots[i];
		if (p && p != TOMB) {
			pl_procmaps__free(p->maps);
			free(p);
		}
	}
	for (size_t i = 0; i < us->files.cap; i++) {
		struct file *f = us->files.slots[i];
		if (f && f != TOMB) {
			pl_elf_syms__free(f->syms);
			free(f->path);
			free(f);
		}
	}
	for (size_t i = 0; i < us->names.cap; i++) {
		struct demangled *d = us->names.slots[i];
		if (d && d != TOMB) {
			free(d->name);
			free(d);
		}
	}
	free(us->procs.slots);
	free(us->files.slots);
	free(us->names.slots);
	free(us);
}

static struct proc *get_proc(struct pl_usyms *us, pid_t pid, bool create)
{
	void **slot;

	if (create && table_grow(&us->procs, proc_hash))
		return NULL;
	if (!us->procs.cap)
		return NULL;
	slot = table_slot(&us->procs, mix((uint64_t)pid), proc_eq, &pid);
	if (*slot && *slot != TOMB)
		return *slot;
	if (!create)
		return NULL;
	struct proc *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	*slot = p;
	us->procs.n++;
	return p;
}

static int read_maps(struct pl_usyms *us, struct proc *p)
{
	struct pl_procmaps *pm = pl_procmaps__read(p->pid);

	p->read_ns = now_ns();
	us->maps_reads++;
	if (!pm)
		return -(errno ? errno : ESRCH);
	pl_procmaps__free(p->maps);
	p->maps = pm;
	return 0;
}

int pl_usyms__snapshot(struct pl_usyms *us, pid_t pid)
{
	struct proc *p = get_proc(us, pid, true);

	if (!p)
		return -ENOMEM;
	if (p->exited)
		return 0;
	return read_maps(us, p);
}

int pl_usyms__remember(struct pl_usyms *us, pid_t pid, const struct pl_mapping *m)
{
	struct proc *p = get_proc(us, pid, true);

	if (!p)
		return -ENOMEM;
	if (!p->exited) {
		/* The first record of an exit: what /proc said before is stale. */
		pl_procmaps__free(p->maps);
		p->maps = pl_procmaps__new();
		p->exited = true;
		if (!p->maps)
			return -ENOMEM;
	}
	return pl_procmaps__add(p->maps, m);
}

/* struct pktlua_stack_vma of <pktlua/stack.h>. */
struct exit_record {
	uint32_t tgid;
	uint32_t dev;
	uint64_t start, end, pgoff, ino;
	char path[];
};

int pl_usyms__remember_record(struct pl_usyms *us, const void *data, size_t size)
{
	struct exit_record r;
	const char *comp[64];
	char path[PATH_MAX];
	size_t ncomp = 0, len = 0;

	if (size < sizeof(r))
		return -EINVAL;
	memcpy(&r, data, sizeof(r));
	/* Components from the file up, each NUL-terminated, an empty one last. */
	const char *p = (const char *)data + sizeof(r), *end = (const char *)data + size;
	while (p < end && *p && ncomp < sizeof(comp) / sizeof(comp[0])) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		if (!z)
			break;
		comp[ncomp++] = p;
		p = z + 1;
	}
	path[0] = '\0';
	while (ncomp > 0) {
		const char *c = comp[--ncomp];
		int n = snprintf(path + len, sizeof(path) - len, "/%s", c);
		if (n < 0 || (size_t)n >= sizeof(path) - len)
			break;
		len += (size_t)n;
	}
	struct pl_mapping m = {
		.start = r.start, .end = r.end, .pgoff = r.pgoff, .ino = r.ino,
		.dev = makedev(r.dev >> 20, r.dev & 0xfffff), .path = path,
	};
	if (m.end <= m.start || !r.tgid || r.tgid > INT32_MAX)
		return -EINVAL;
	return pl_usyms__remember(us, (pid_t)r.tgid, &m);
}

void pl_usyms__forget(struct pl_usyms *us, pid_t pid)
{
	void **slot;

	if (!us->procs.cap)
		return;
	slot = table_slot(&us->procs, mix((uint64_t)pid), proc_eq, &pid);
	if (!*slot || *slot == TOMB)
		return;
	struct proc *p = *slot;
	pl_procmaps__free(p->maps);
	free(p);
	*slot = TOMB;
}

/* ---- files ----------------------------------------------------------------- */

static bool same_build_id(const struct pl_elf_syms *a, const struct pl_elf_syms *b)
{
	size_t la, lb;
	const uint8_t *ia = pl_elf_syms__build_id(a, &la), *ib = pl_elf_syms__build_id(b, &lb);

	return !ia || !ib || (la == lb && !memcmp(ia, ib, la));
}

static bool try_debug(struct file *f, const char *path)
{
	struct pl_elf_syms *d;

	if (access(path, R_OK) || pl_elf_syms__open(path, &d))
		return false;
	bool ok = same_build_id(f->syms, d) && pl_elf_syms__count(d) > 0 &&
		  !pl_elf_syms__merge(f->syms, d);
	if (ok)
		pl_log(PL_LOG_DEBUG, "symbols of %s from %s", f->path, path);
	pl_elf_syms__free(d);
	return ok;
}

/* The separate debug file of a stripped file, in gdb's order. */
static void find_debug(struct pl_usyms *us, struct file *f)
{
	char path[PATH_MAX * 2], dir[PATH_MAX];
	size_t len;
	const uint8_t *id = pl_elf_syms__build_id(f->syms, &len);

	if (id && len >= 2) {
		int n = snprintf(path, sizeof(path), "%s/.build-id/%02x/", us->debug_dir, id[0]);
		for (size_t i = 1; i < len && n < (int)sizeof(path) - 8; i++)
			n += snprintf(path + n, sizeof(path) - (size_t)n, "%02x", id[i]);
		snprintf(path + n, sizeof(path) - (size_t)n, ".debug");
		if (try_debug(f, path))
			return;
	}
	const char *link = pl_elf_syms__debuglink(f->syms);
	if (!link || strchr(link, '/'))
		return;
	snprintf(dir, sizeof(dir), "%s", f->path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, link);
	if (strcmp(path, f->path) && try_debug(f, path))
		return;
	snprintf(path, sizeof(path), "%s/.debug/%s", dir, link);
	if (try_debug(f, path))
		return;
	snprintf(path, sizeof(path), "%s%s/%s", us->debug_dir, dir, link);
	try_debug(f, path);
}

/* Open the file of mapping M of PID: through /proc/PID/map_files (works for
 * deleted files and other mount namespaces while PID lives), then through
 * its root, then by path. */
static int open_syms(pid_t pid, const struct pl_mapping *m, bool alive, struct pl_elf_syms **out)
{
	char path[PATH_MAX + 64];
	int err = -ENOENT;

	if (alive) {
		snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", (int)pid,
			 (unsigned long long)m->start, (unsigned long long)m->end);
		if (!(err = pl_elf_syms__open(path, out)))
			return 0;
		if (m->path[0] == '/') {
			snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, m->path);
			if (!(err = pl_elf_syms__open(path, out)))
				return 0;
		}
	}
	if (m->path[0] == '/') {
		struct stat st;
		/* By path, only if it is still the same file. */
		if (stat(m->path, &st))
			return -errno;
		if (m->ino && (st.st_ino != m->ino || st.st_dev != m->dev))
			return -ESTALE;
		err = pl_elf_syms__open(m->path, out);
	}
	return err;
}

static struct file *get_file(struct pl_usyms *us, pid_t pid, const struct pl_mapping *m, bool alive)
{
	struct file key = { .dev = m->dev, .ino = m->ino, .path = (char *)m->path };
	void **slot;

	if (table_grow(&us->files, file_hash))
		return NULL;
	slot = table_slot(&us->files, file_hash_of(m->dev, m->ino, m->path), file_eq, &key);
	if (*slot && *slot != TOMB)
		return *slot;
	struct file *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(m->path))) {
		free(f);
		return NULL;
	}
	f->dev = m->dev;
	f->ino = m->ino;
	us->file_parses++;
	f->err = open_syms(pid, m, alive, &f->syms);
	if (!f->err && !pl_elf_syms__has_symtab(f->syms))
		find_debug(us, f);
	if (f->err)
		pl_log(PL_LOG_DEBUG, "symbols of %s: %s", f->path, strerror(-f->err));
	*slot = f;
	us->files.n++;
	return f;
}

static const char *demangled(struct pl_usyms *us, const char *name)
{
	void **slot;

	if (name[0] != '_' || table_grow(&us->names, name_hash))
		return name;
	slot = table_slot(&us->names, mix((uintptr_t)name), name_eq, name);
	if (!*slot || *slot == TOMB) {
		struct demangled *d = calloc(1, sizeof(*d));
		if (!d)
			return name;
		d->mangled = name;
		d->name = pl_demangle(name);
		*slot = d;
		us->names.n++;
	}
	struct demangled *d = *slot;
	return d->name ? d->name : name;
}

/* ---- resolve ---------------------------------------------------------------- */

int pl_usyms__resolve(struct pl_usyms *us, pid_t pid, uint64_t addr, struct pl_usym *out)
{
	struct proc *p = get_proc(us, pid, true);
	const struct pl_mapping *m = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if (!p)
		return -ENOMEM;
	if (!p->maps && !p->exited && (err = read_maps(us, p)))
		return err == -ENOENT ? -ESRCH : err;
	if (p->maps)
		m = pl_procmaps__find(p->maps, addr);
	/* Mapped since the last read (dlopen)? Read again, now and then. */
	if (!m && !p->exited && now_ns() - p->read_ns >= REREAD_NS && !read_maps(us, p))
		m = pl_procmaps__find(p->maps, addr);
	if (!m)
		return p->maps ? -ENOENT : -ESRCH;
	out->module = m->path;
	out->offset = addr - m->start + m->pgoff;
	if (!m->ino || m->path[0] != '/')
		return 0;                  /* [vdso], anonymous or JIT code */
	struct file *f = get_file(us, pid, m, !p->exited);
	if (!f)
		return -ENOMEM;
	uint64_t vaddr, off;
	if (!f->syms || pl_elf_syms__vaddr(f->syms, out->offset, &vaddr))
		return 0;
	const struct pl_elf_sym *s = pl_elf_syms__find(f->syms, vaddr, &off);
	if (!s)
		return 0;
	out->name = demangled(us, s->name);
	out->offset = off;
	return 0;
}

void pl_usyms__stats(const struct pl_usyms *us, struct pl_usyms_stats *st)
{
	st->procs = us->procs.n;
	st->files = us->files.n;
	st->maps_reads = us->maps_reads;
	st->file_parses = us->file_parses;
}
