/* attach_kind.c — what every attach kind shares: the pl_link it fills in
 * (its kernel objects, torn down in reverse order) and the small helpers
 * for SEC() names and errors (attach_kind.h). attach.c calls the kinds;
 * the kinds call only this file, so the calls run one way. */
#include "bpf/attach_kind.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *pl_sec_after(const struct bpf_program *prog, const char *prefix)
{
	const char *sec = bpf_program__section_name(prog);
	size_t len = strlen(prefix);

	if (!sec || strncmp(sec, prefix, len))
		return NULL;
	return sec + len;
}

int pl_errno(long err)
{
	if (err >= 0)
		return -EINVAL;     /* a failure without a code */
	if (err <= -4000)           /* LIBBPF_ERRNO__*: format, relocation, ... */
		return -EINVAL;
	return (int)err;
}

int pl_attach_err(char *err, size_t errlen, int err_code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return err_code;
}

/* ---- pl_link -------------------------------------------------------------- */

static int add_part(struct pl_link *link, struct pl_link_part part)
{
	if (link->nr_parts == link->cap_parts) {
		size_t cap = link->cap_parts ? 2 * link->cap_parts : 4;
		struct pl_link_part *parts = realloc(link->parts, cap * sizeof(*parts));

		if (!parts)
			return -ENOMEM;
		link->parts = parts;
		link->cap_parts = cap;
	}
	link->parts[link->nr_parts++] = part;
	return 0;
}

int pl_link__add_link(struct pl_link *link, struct bpf_link *l)
{
	int err = add_part(link, (struct pl_link_part){ .link = l, .fd = -1 });

	if (err)
		bpf_link__destroy(l);
	return err;
}

int pl_link__add_fd(struct pl_link *link, int fd)
{
	int err = add_part(link, (struct pl_link_part){ .fd = fd });

	if (err)
		close(fd);
	return err;
}

void pl_link__set_desc(struct pl_link *link, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(link->desc, sizeof(link->desc), fmt, ap);
	va_end(ap);
}

void pl_link__destroy(struct pl_link *link)
{
	if (!link)
		return;
	/* Reverse order: what was attached last (and may depend on what came
	 * before) goes first. */
	while (link->nr_parts) {
		struct pl_link_part *part = &link->parts[--link->nr_parts];

		if (part->link)
			bpf_link__destroy(part->link);
		else if (part->fd >= 0)
			close(part->fd);
	}
	free(link->parts);
	free(link);
}

/* Why threads: closing a tracepoint's perf event makes the kernel wait for
 * RCU grace periods before it returns (perf_trace_event_unreg ->
 * tracepoint_synchronize_unregister: 65-95 ms each here). One after the
 * other, a script with 4 tracepoints spent 290 ms in close() at exit. The
 * kernel serves callers that wait at the same time with the same grace
 * periods, so each link is destroyed from a thread of its own and the waits
 * overlap. A link's own parts keep their reverse order inside its thread. */
#define DESTROY_THREADS 64   /* at most this many waits at once */

static void *destroy_thread(void *arg)
{
	pl_link__destroy(arg);
	return NULL;
}

void pl_link__destroy_all(struct pl_link **links, size_t n)
{
	pthread_t tids[DESTROY_THREADS];
	bool started[DESTROY_THREADS];

	for (size_t base = 0; base < n; base += DESTROY_THREADS) {
		size_t m = n - base < DESTROY_THREADS ? n - base : DESTROY_THREADS;

		for (size_t i = 0; i < m; i++) {
			/* The last one, and any a thread cannot take, here. */
			started[i] = i + 1 < m && links[base + i] &&
				     !pthread_create(&tids[i], NULL, destroy_thread, links[base + i]);
			if (!started[i] && i + 1 < m)
				pl_link__destroy(links[base + i]);
		}
		pl_link__destroy(links[base + m - 1]);
		for (size_t i = 0; i + 1 < m; i++)
			if (started[i])
				pthread_join(tids[i], NULL);
	}
}

const char *pl_link__describe(const struct pl_link *link)
{
	return link ? link->desc : "(no link)";
}
