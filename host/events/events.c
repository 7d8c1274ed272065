/* events.c — ring/perf buffer consumers on the one event loop. */
#include "events/events.h"
#include "events/loop.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pl_evbuf {
	struct pl_events *set;
	struct pl_evbuf *next;        /* in set->bufs */
	bool is_ring;
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	int loop_id;                  /* loop source of the buffer's epoll fd */
	pl_evbuf_fn fn;
	void *ctx;
	int lost_fd;                  /* ring: the object's pktlua_lost map, or -1 */
	__u32 map_id;                 /* ring: its key there */
	uint64_t perf_lost;
	uint64_t received;
	int busy;                     /* reads in progress (a callback may free us) */
	bool dead;                    /* freed while busy: free when the read ends */
	bool halted;                  /* a callback asked to stop this read */
	unsigned batch;               /* records in the current read */
	unsigned pass;                /* the last read_all() pass that read it */
	char name[64];
};

struct pl_events {
	struct pl_loop *loop;
	struct pl_evbuf *bufs;
	int nring;                    /* ring buffers registered: poll while > 0 */
	unsigned gen;                 /* bumped when a buffer is freed */
	unsigned pass;
};

static int ring_sample(void *ctx, void *data, size_t size)
{
	struct pl_evbuf *b = ctx;

	/* libbpf has consumed this record already when it calls us, whatever we
	 * return: so hand it over, then say whether to go on. */
	if (b->dead)
		return -ECANCELED;   /* its Program closed during this read */
	b->received++;
	if (b->fn(b->ctx, data, size)) {
		b->halted = true;
		return -ECANCELED;
	}
	if (b->dead || ++b->batch >= PL_EVENTS_BATCH)
		return -ECANCELED;
	return 0;
}

static void perf_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct pl_evbuf *b = ctx;

	(void)cpu;
	if (b->dead)
		return;
	/* perf_buffer callbacks cannot stop a read: after a callback failed,
	 * the rest of this read is dropped, and counted as lost. */
	if (b->halted) {
		b->perf_lost++;
		return;
	}
	b->received++;
	if (b->fn(b->ctx, data, size))
		b->halted = true;
}

static void perf_lost(void *ctx, int cpu, __u64 cnt)
{
	struct pl_evbuf *b = ctx;

	(void)cpu;
	b->perf_lost += cnt;
}

static void destroy(struct pl_evbuf *b)
{
	ring_buffer__free(b->rb);
	perf_buffer__free(b->pb);
	free(b);
}

/* Read what B holds now. POLL: the loop saw its fd ready (perf: read only
 * the CPUs that are). */
static int evbuf_read(struct pl_evbuf *b, bool poll)
{
	int n;

	b->busy++;
	b->halted = false;
	b->batch = 0;
	if (b->is_ring)
		n = ring_buffer__consume(b->rb);
	else
		n = poll ? perf_buffer__poll(b->pb, 0) : perf_buffer__consume(b->pb);
	if (n == -ECANCELED)
		n = 0;
	b->busy--;
	if (!b->busy && b->dead)
		destroy(b);
	return n;
}

static void on_ready(void *ctx, int id)
{
	(void)id;
	evbuf_read(ctx, true);
}

/* Read every buffer (RING_ONLY: the ring buffers) once. A callback may free
 * any buffer, its own included: then start over from the head, skipping the
 * buffers this pass already read. Returns records read or -errno. */
static int read_all(struct pl_events *ev, bool ring_only)
{
	unsigned pass = ++ev->pass;
	int total = 0;

restart:
	for (struct pl_evbuf *b = ev->bufs; b; b = b->next) {
		unsigned gen = ev->gen;
		if (b->pass == pass || (ring_only && !b->is_ring))
			continue;
		b->pass = pass;
		int n = evbuf_read(b, false);
		if (n < 0)
			return n;
		total += n;
		if (ev->gen != gen)
			goto restart;
	}
	return total;
}

static void on_idle(void *ctx, int id)
{
	(void)id;
	read_all(ctx, true);
}

static void update_idle(struct pl_events *ev)
{
	if (ev->nring > 0)
		pl_loop__set_idle(ev->loop, PL_EVENTS_POLL_MS, on_idle, ev);
	else
		pl_loop__set_idle(ev->loop, 0, NULL, NULL);
}

struct pl_events *pl_events__new(struct pl_loop *loop)
{
	struct pl_events *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->loop = loop;
	return ev;
}

void pl_events__free(struct pl_events *ev)
{
	if (!ev)
		return;
	while (ev->bufs)
		pl_evbuf__free(ev->bufs);
	free(ev);
}

struct pl_evbuf *pl_events__add(struct pl_events *ev, const struct bpf_map *map,
				const struct pl_evbuf_opts *opts)
{
	enum bpf_map_type type = bpf_map__type(map);
	int fd = bpf_map__fd(map), err = 0;
	struct pl_evbuf *b;

	if (type != BPF_MAP_TYPE_RINGBUF && type != BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->set = ev;
	b->fn = opts->fn;
	b->ctx = opts->ctx;
	b->lost_fd = opts->lost_map_fd > 0 ? opts->lost_map_fd : -1;
	b->is_ring = type == BPF_MAP_TYPE_RINGBUF;
	snprintf(b->name, sizeof(b->name), "%s", bpf_map__name(map));

	if (b->is_ring) {
		struct bpf_map_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			err = -errno;
			goto out;
		}
		b->map_id = info.id;
		b->rb = ring_buffer__new(fd, ring_sample, b, NULL);
		if (!b->rb) {
			err = -errno;
			goto out;
		}
		b->loop_id = pl_loop__add_fd(ev->loop, ring_buffer__epoll_fd(b->rb), on_ready, b);
	} else {
		size_t pages = opts->perf_pages ? opts->perf_pages : PL_EVENTS_PERF_PAGES;

		b->pb = perf_buffer__new(fd, pages, perf_sample, perf_lost, b, NULL);
		if (!b->pb) {
			err = -errno;
			goto out;
		}
		b->loop_id = pl_loop__add_fd(ev->loop, perf_buffer__epoll_fd(b->pb), on_ready, b);
	}
	if (b->loop_id < 0) {
		err = b->loop_id;
		goto out;
	}
	b->next = ev->bufs;
	ev->bufs = b;
	if (b->is_ring) {
		ev->nring++;
		update_idle(ev);
	}
out:
	if (err) {
		destroy(b);
		errno = -err;
		return NULL;
	}
	return b;
}

int pl_events__drain(struct pl_events *ev)
{
	return read_all(ev, false);
}

uint64_t pl_evbuf__lost(const struct pl_evbuf *b)
{
	__u64 v = 0;

	if (!b->is_ring)
		return b->perf_lost;
	if (b->lost_fd < 0 || bpf_map_lookup_elem(b->lost_fd, &b->map_id, &v))
		return 0;
	return v;
}

const char *pl_evbuf__name(const struct pl_evbuf *b)
{
	return b->name;
}

uint64_t pl_evbuf__received(const struct pl_evbuf *b)
{
	return b->received;
}

void pl_evbuf__free(struct pl_evbuf *b)
{
	struct pl_events *ev;
	struct pl_evbuf **pp;

	if (!b || b->dead)
		return;
	ev = b->set;
	for (pp = &ev->bufs; *pp && *pp != b; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = b->next;
	pl_loop__remove(ev->loop, b->loop_id);
	if (b->is_ring) {
		ev->nring--;
		update_idle(ev);
	}
	b->dead = true;
	ev->gen++;
	if (!b->busy)
		destroy(b);
}
