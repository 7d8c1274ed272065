/* procmaps.c — executable mappings from /proc/PID/maps. */
#include "symbols/procmaps.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct pl_procmaps {
	struct pl_mapping *m;
	size_t n, cap;
	bool sorted;
};

struct pl_procmaps *pl_procmaps__new(void)
{
	struct pl_procmaps *pm = calloc(1, sizeof(*pm));

	if (pm)
		pm->sorted = true;
	return pm;
}

void pl_procmaps__free(struct pl_procmaps *pm)
{
	if (!pm)
		return;
	for (size_t i = 0; i < pm->n; i++)
		free((char *)pm->m[i].path);
	free(pm->m);
	free(pm);
}

static int add_n(struct pl_procmaps *pm, const struct pl_mapping *m, const char *path,
		 size_t path_len)
{
	if (pm->n == pm->cap) {
		size_t cap = pm->cap ? pm->cap * 2 : 32;
		struct pl_mapping *nm = realloc(pm->m, cap * sizeof(*nm));
		if (!nm)
			return -ENOMEM;
		pm->m = nm;
		pm->cap = cap;
	}
	char *p = strndup(path, path_len);
	if (!p)
		return -ENOMEM;
	pm->m[pm->n] = *m;
	pm->m[pm->n].path = p;
	if (pm->n && pm->m[pm->n - 1].start > m->start)
		pm->sorted = false;
	pm->n++;
	return 0;
}

int pl_procmaps__add(struct pl_procmaps *pm, const struct pl_mapping *m)
{
	const char *path = m->path ? m->path : "";

	return add_n(pm, m, path, strlen(path));
}

static const char *hex(const char *p, const char *end, uint64_t *v)
{
	const char *s = p;

	*v = 0;
	for (; p < end && p - s < 16; p++) {
		int d;
		if (*p >= '0' && *p <= '9') d = *p - '0';
		else if (*p >= 'a' && *p <= 'f') d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F') d = *p - 'A' + 10;
		else break;
		*v = *v << 4 | (uint64_t)d;
	}
	return p > s ? p : NULL;
}

static const char *dec(const char *p, const char *end, uint64_t *v)
{
	const char *s = p;

	*v = 0;
	for (; p < end && p - s < 20 && *p >= '0' && *p <= '9'; p++)
		*v = *v * 10 + (uint64_t)(*p - '0');
	return p > s ? p : NULL;
}

/* "start-end perms offset major:minor inode   path" */
static int parse_line(struct pl_procmaps *pm, const char *p, const char *end)
{
	struct pl_mapping m = { 0 };
	uint64_t major, minor;
	const char *perms;

	if (!(p = hex(p, end, &m.start)) || p >= end || *p++ != '-')
		return 0;
	if (!(p = hex(p, end, &m.end)) || p >= end || *p++ != ' ')
		return 0;
	perms = p;
	if (end - p < 5 || p[4] != ' ')
		return 0;
	p += 5;
	if (!(p = hex(p, end, &m.pgoff)) || p >= end || *p++ != ' ')
		return 0;
	if (!(p = hex(p, end, &major)) || p >= end || *p++ != ':')
		return 0;
	if (!(p = hex(p, end, &minor)) || p >= end || *p++ != ' ')
		return 0;
	if (!(p = dec(p, end, &m.ino)))
		return 0;
	if (perms[2] != 'x' || m.end <= m.start)
		return 0;
	m.dev = makedev((unsigned)major, (unsigned)minor);
	while (p < end && *p == ' ')
		p++;
	return add_n(pm, &m, p, (size_t)(end - p));
}

struct pl_procmaps *pl_procmaps__parse(const char *text, size_t len)
{
	struct pl_procmaps *pm = pl_procmaps__new();
	const char *p = text, *end = text + len;

	if (!pm)
		return NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (parse_line(pm, p, le)) {
			pl_procmaps__free(pm);
			errno = ENOMEM;
			return NULL;
		}
		p = nl ? nl + 1 : end;
	}
	return pm;
}

struct pl_procmaps *pl_procmaps__read(pid_t pid)
{
	char path[64], *buf = NULL;
	size_t n = 0, cap = 0;
	int fd, e = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap);
			if (!nb) {
				e = ENOMEM;
				break;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	struct pl_procmaps *pm = NULL;
	if (!e) {
		pm = pl_procmaps__parse(buf ? buf : "", n);
		e = pm ? 0 : errno;
		/* A process that exited between open and read shows nothing. */
		if (pm && !pm->n && kill(pid, 0) && errno == ESRCH) {
			pl_procmaps__free(pm);
			pm = NULL;
			e = ESRCH;
		}
	}
	free(buf);
	errno = e;
	return pm;
}

static int cmp_mapping(const void *a, const void *b)
{
	const struct pl_mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

const struct pl_mapping *pl_procmaps__find(struct pl_procmaps *pm, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!pm->sorted) {
		qsort(pm->m, pm->n, sizeof(*pm->m), cmp_mapping);
		pm->sorted = true;
	}
	hi = pm->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pm->m[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= pm->m[lo - 1].end)
		return NULL;
	return &pm->m[lo - 1];
}

size_t pl_procmaps__count(const struct pl_procmaps *pm)
{
	return pm ? pm->n : 0;
}

const struct pl_mapping *pl_procmaps__at(const struct pl_procmaps *pm, size_t i)
{
	return pm && i < pm->n ? &pm->m[i] : NULL;
}
