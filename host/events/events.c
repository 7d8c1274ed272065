/* events.c — ring/perf buffer consumers on the one event loop. */
#include "events/events.h"
#include "events/loop.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	bool lost_format;             /* perf: per-CPU counts readable (PERF_FORMAT_LOST) */
	uint64_t perf_lost;           /* perf: PERF_RECORD_LOST counts seen */
	size_t next_cpu;              /* perf: where the next read starts */
	uint64_t received;
	int busy;                     /* reads in progress (a callback may free us) */
	bool dead;                    /* freed while busy: free when the read ends */
	bool halted;                  /* a callback asked to stop this read */
	bool more;                    /* the last read stopped at its slice */
	bool more_counted;            /* ... and is counted in set->nmore */
	unsigned batch;               /* records in the current read */
	uint64_t slice_end;           /* the current read stops here (ns, coarse clock) */
	unsigned pass;                /* the last read_all() pass that read it */
	char name[64];
};

struct pl_events {
	struct pl_loop *loop;
	struct pl_evbuf *bufs;
	int nring;                    /* ring buffers registered: poll while > 0 */
	int nmore;                    /* buffers whose last read stopped at its slice */
	unsigned gen;                 /* bumped when a buffer is freed */
	unsigned pass;
};

/* The coarse clock: a few ns to read, a few ms of granularity, which is
 * what a slice needs. */
static uint64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* After a record: has this read had its share? */
static bool slice_used(struct pl_evbuf *b)
{
	if (++b->batch < PL_EVENTS_BATCH && coarse_ns() < b->slice_end)
		return false;
	b->more = true;
	return true;
}

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
	if (b->dead || slice_used(b))
		return -ECANCELED;
	return 0;
}

/* A perf buffer record (libbpf's raw interface, so a read can stop after
 * any record: the record is consumed, the rest stays). */
static enum bpf_perf_event_ret perf_record(void *ctx, int cpu, struct perf_event_header *e)
{
	struct pl_evbuf *b = ctx;

	(void)cpu;
	if (e->type == PERF_RECORD_LOST) {
		struct { struct perf_event_header h; __u64 id, lost; } *l = (void *)e;
		b->perf_lost += l->lost;
		return LIBBPF_PERF_EVENT_CONT;
	}
	if (e->type != PERF_RECORD_SAMPLE)
		return LIBBPF_PERF_EVENT_CONT;
	if (b->dead)
		return LIBBPF_PERF_EVENT_DONE;
	struct { struct perf_event_header h; __u32 size; char data[]; } *r = (void *)e;
	b->received++;
	if (b->fn(b->ctx, r->data, r->size)) {
		b->halted = true;
		return LIBBPF_PERF_EVENT_DONE;
	}
	if (b->dead || slice_used(b))
		return LIBBPF_PERF_EVENT_DONE;
	return LIBBPF_PERF_EVENT_CONT;
}

static void destroy(struct pl_evbuf *b)
{
	ring_buffer__free(b->rb);
	perf_buffer__free(b->pb);
	free(b);
}

/* Read each CPU's buffer, from where the last read stopped, until the
 * slice is used or a callback stops. */
static int perf_read(struct pl_evbuf *b)
{
	size_t n = perf_buffer__buffer_cnt(b->pb);

	for (size_t k = 0; k < n; k++) {
		size_t cpu = (b->next_cpu + k) % n;
		int err = perf_buffer__consume_buffer(b->pb, cpu);

		if (err && err != -ENOENT)     /* ENOENT: an offline CPU */
			return err;
		if (b->halted || b->more || b->dead) {
			b->next_cpu = (cpu + 1) % n;
			break;
		}
	}
	return 0;
}

static void set_more(struct pl_evbuf *b, bool more);

/* Read what B holds now, for one slice of time. */
static int evbuf_read(struct pl_evbuf *b)
{
	uint64_t before = b->received;
	int n;

	b->busy++;
	b->halted = false;
	b->more = false;
	b->batch = 0;
	b->slice_end = coarse_ns() + PL_EVENTS_SLICE_MS * 1000000ull;
	if (b->is_ring)
		n = ring_buffer__consume(b->rb);
	else
		n = perf_read(b);
	if (n == -ECANCELED || n >= 0)
		n = (int)(b->received - before);
	b->busy--;
	if (!b->busy && b->dead) {
		destroy(b);
		return n;
	}
	set_more(b, b->more);
	return n;
}

static void on_ready(void *ctx, int id)
{
	(void)id;
	evbuf_read(ctx);
}

/* Read every buffer (IDLE: the ring buffers, and those a slice cut short)
 * once. A callback may free any buffer, its own included: then start over
 * from the head, skipping the buffers this pass already read. Returns
 * records read or -errno. */
static int read_all(struct pl_events *ev, bool idle)
{
	unsigned pass = ++ev->pass;
	int total = 0;

restart:
	for (struct pl_evbuf *b = ev->bufs; b; b = b->next) {
		unsigned gen = ev->gen;
		if (b->pass == pass || (idle && !b->is_ring && !b->more))
			continue;
		b->pass = pass;
		int n = evbuf_read(b);
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

/* Poll on the idle period while a ring buffer is registered (their
 * producers skip wakeups) or a read left records behind. */
static void update_idle(struct pl_events *ev)
{
	if (ev->nring > 0 || ev->nmore > 0)
		pl_loop__set_idle(ev->loop, PL_EVENTS_POLL_MS, on_idle, ev);
	else
		pl_loop__set_idle(ev->loop, 0, NULL, NULL);
	if (ev->nmore > 0)
		pl_loop__more(ev->loop);
}

/* B's last read stopped at its slice (MORE) or emptied it. */
static void set_more(struct pl_evbuf *b, bool more)
{
	struct pl_events *ev = b->set;

	if (more != b->more_counted) {
		b->more_counted = more;
		ev->nmore += more ? 1 : -1;
	}
	update_idle(ev);
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
		/* libbpf's perf_buffer__new attributes, plus the per-CPU count
		 * of dropped records (Linux 6.0: PERF_FORMAT_LOST). */
		struct perf_event_attr attr = {
			.size = sizeof(attr), .type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_BPF_OUTPUT, .sample_type = PERF_SAMPLE_RAW,
			.sample_period = 1, .wakeup_events = 1,
			.read_format = PERF_FORMAT_LOST,
		};

		b->pb = perf_buffer__new_raw(fd, pages, &attr, perf_record, b, NULL);
		if (!b->pb && errno == EINVAL) {
			attr.read_format = 0;
			b->pb = perf_buffer__new_raw(fd, pages, &attr, perf_record, b, NULL);
		}
		if (!b->pb) {
			err = -errno;
			goto out;
		}
		b->lost_format = attr.read_format != 0;
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

int pl_evbuf__read(struct pl_evbuf *b)
{
	return evbuf_read(b);
}

/* The kernel's count of records it could not write into B's CPU buffers:
 * PERF_FORMAT_LOST reads {value, lost} from each CPU's event. */
static uint64_t perf_lost_now(const struct pl_evbuf *b)
{
	uint64_t total = 0;

	for (size_t i = 0; i < perf_buffer__buffer_cnt(b->pb); i++) {
		struct { __u64 value, lost; } r;
		int fd = perf_buffer__buffer_fd(b->pb, i);

		if (fd >= 0 && read(fd, &r, sizeof(r)) == (ssize_t)sizeof(r))
			total += r.lost;
	}
	return total;
}

uint64_t pl_evbuf__lost(const struct pl_evbuf *b)
{
	__u64 v = 0;

	if (!b->is_ring) {
		/* The reported losses lag (a PERF_RECORD_LOST is written only
		 * when the next record fits); the count does not. */
		uint64_t now = b->lost_format ? perf_lost_now(b) : 0;
		return now > b->perf_lost ? now : b->perf_lost;
	}
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
	if (b->is_ring)
		ev->nring--;
	if (b->more_counted)
		ev->nmore--;
	b->more_counted = false;
	update_idle(ev);
	b->dead = true;
	ev->gen++;
	if (!b->busy)
		destroy(b);
}
