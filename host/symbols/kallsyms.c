/* kallsyms.c — /proc/kallsyms, parsed once, searched by binary search. */
#include "symbols/kallsyms.h"

#include "base/log.h"
#include "symbols/by_addr.h"
#include "symbols/names.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A symbol this far past its start is not that symbol's any more (the gap
 * after the last module's code, say): no function is this long. */
#define MAX_EXTENT (1u << 20)

struct entry {
	uint64_t addr;
	uint32_t name;      /* offsets into the arena while parsing */
	uint32_t module;    /* 0: none */
	uint32_t seq;       /* line order, for a stable sort */
	uint8_t rank;       /* which of several names at one address wins */
};

struct pl_ksyms {
	struct pl_ksym *syms;
	size_t n;
	char *arena;
	bool hidden;
};

/* At one address, prefer a global function, then a local one, then the
 * rest (data, weak), each in file order. */
static uint8_t rank_of(char type)
{
	switch (type) {
	case 'T': return 0;
	case 't': return 1;
	case 'W': case 'w': return 2;
	default: return 3;
	}
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The arena's offsets are 32-bit (struct entry). */
static int buf_add(struct pl_names *b, const char *s, size_t n, uint32_t *off)
{
	size_t o;
	int err;

	if (b->len + n + 1 > UINT32_MAX)
		return -E2BIG;
	err = pl_names__add(b, s, n, &o);
	if (!err)
		*off = (uint32_t)o;
	return err;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

struct pl_ksyms *pl_ksyms__parse(const char *text, size_t len)
{
	struct pl_ksyms *ks = calloc(1, sizeof(*ks));
	struct entry *ents = NULL;
	size_t n = 0, cap = 0;
	struct pl_names arena = { .first = 1 << 20 };
	uint32_t last_mod = 0, dummy;
	const char *p = text, *end = text + len;
	bool any_nonzero = false;
	int err = 0;

	if (!ks)
		return NULL;
	/* Offset 0 of the arena is "" (no module). */
	err = buf_add(&arena, "", 0, &dummy);
	while (!err && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *q = p;
		uint64_t addr = 0;
		int digits = 0, h;

		/* "ADDR TYPE NAME[\t[MODULE]]" */
		while (q < le && (h = hexval(*q)) >= 0 && digits < 16) {
			addr = addr << 4 | (uint64_t)h;
			q++;
			digits++;
		}
		if (!digits || q + 3 > le || q[0] != ' ' || q[2] != ' ')
			goto next;
		char type = q[1];
		q += 3;
		const char *name = q;
		while (q < le && *q != '\t' && *q != ' ')
			q++;
		size_t name_len = (size_t)(q - name);
		if (!name_len || type == 'a' || type == 'A' || name_len > 4096)
			goto next;
		const char *mod = NULL;
		size_t mod_len = 0;
		while (q < le && (*q == '\t' || *q == ' '))
			q++;
		if (q < le && *q == '[') {
			const char *mend = memchr(q, ']', (size_t)(le - q));
			if (mend && mend > q + 1) {
				mod = q + 1;
				mod_len = (size_t)(mend - mod);
			}
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			struct entry *ne = realloc(ents, ncap * sizeof(*ents));
			if (!ne) {
				err = -ENOMEM;
				break;
			}
			ents = ne;
			cap = ncap;
		}
		struct entry *e = &ents[n];
		e->addr = addr;
		e->rank = rank_of(type);
		e->seq = (uint32_t)n;
		e->module = 0;
		if (addr)
			any_nonzero = true;
		err = buf_add(&arena, name, name_len, &e->name);
		if (!err && mod) {
			/* Lines of one module come together: reuse its name. */
			if (last_mod && !strncmp(arena.p + last_mod, mod, mod_len) &&
			    arena.p[last_mod + mod_len] == '\0')
				e->module = last_mod;
			else if (!(err = buf_add(&arena, mod, mod_len, &e->module)))
				last_mod = e->module;
		}
		if (!err)
			n++;
next:
		p = nl ? nl + 1 : end;
	}
	if (err)
		goto out;
	qsort(ents, n, sizeof(*ents), cmp_entry);
	ks->syms = malloc((n ? n : 1) * sizeof(*ks->syms));
	if (!ks->syms) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		ks->syms[i].addr = ents[i].addr;
		ks->syms[i].name = arena.p + ents[i].name;
		ks->syms[i].module = ents[i].module ? arena.p + ents[i].module : NULL;
	}
	ks->n = n;
	ks->arena = arena.p;
	arena.p = NULL;
	ks->hidden = n > 0 && !any_nonzero;
out:
	free(ents);
	free(arena.p);
	if (err) {
		pl_ksyms__free(ks);
		errno = -err;
		return NULL;
	}
	return ks;
}

void pl_ksyms__free(struct pl_ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->arena);
	free(ks);
}

const struct pl_ksym *pl_ksyms__find(const struct pl_ksyms *ks, uint64_t addr,
				     uint64_t *offset)
{
	size_t i;

	if (!ks || ks->hidden ||
	    pl_by_addr__floor(ks->syms, ks->n, sizeof(*ks->syms), offsetof(struct pl_ksym, addr),
			      addr, &i))
		return NULL;
	if (addr - ks->syms[i].addr >= MAX_EXTENT)
		return NULL;
	if (offset)
		*offset = addr - ks->syms[i].addr;
	return &ks->syms[i];
}

const struct pl_ksym *pl_ksyms__by_name(const struct pl_ksyms *ks, const char *name)
{
	for (size_t i = 0; ks && i < ks->n; i++)
		if (!strcmp(ks->syms[i].name, name))
			return &ks->syms[i];
	return NULL;
}

size_t pl_ksyms__count(const struct pl_ksyms *ks)
{
	return ks ? ks->n : 0;
}

bool pl_ksyms__hidden(const struct pl_ksyms *ks)
{
	return ks && ks->hidden;
}

/* /proc files report size 0: read until EOF. */
static char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 16 << 20, n = 0;
	char *buf = NULL;

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				errno = ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			buf = NULL;
			errno = e;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

static struct pl_ksyms *current;
static int failed;
static bool stale, warned;
static uint64_t read_ns;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void pl_ksyms_invalidate(void)
{
	if (current)
		stale = true;
}

uint64_t pl_ksyms_age_ns(void)
{
	return read_ns ? now_ns() - read_ns : 0;
}

const struct pl_ksyms *pl_ksyms(void)
{
	size_t len = 0;

	if ((current && !stale) || failed) {
		if (!current)
			errno = failed;
		return current;
	}
	read_ns = now_ns();
	char *text = read_all("/proc/kallsyms", &len);
	struct pl_ksyms *ks = text ? pl_ksyms__parse(text, len) : NULL;
	int err = ks ? 0 : errno ? errno : EIO;
	free(text);
	if (!ks) {
		if (current) {          /* a re-read failed: keep what we had */
			stale = false;
			return current;
		}
		failed = err;
		pl_log(PL_LOG_WARN, "kernel symbols: cannot read /proc/kallsyms: %s", strerror(err));
		errno = err;
		return NULL;
	}
	pl_ksyms__free(current);
	current = ks;
	stale = false;
	if (ks->hidden && !warned) {
		char restrict_[16] = "?";
		FILE *f = fopen("/proc/sys/kernel/kptr_restrict", "re");
		if (f) {
			if (!fgets(restrict_, sizeof(restrict_), f))
				snprintf(restrict_, sizeof(restrict_), "?");
			restrict_[strcspn(restrict_, "\n")] = '\0';
			fclose(f);
		}
		warned = true;
		pl_log(PL_LOG_WARN, "kernel symbols are hidden: /proc/kallsyms shows every "
		       "address as 0 (kernel.kptr_restrict=%s; reading them needs root or "
		       "CAP_SYSLOG, and kptr_restrict<2): kernel frames stay unnamed", restrict_);
	}
	return ks;
}
