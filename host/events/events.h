/* events.h — ring buffers and perf buffers consumed on the event loop, with
 * every lost record counted.
 *
 * A pl_events is the set of buffers of one loop; each bpf.on() adds one
 * pl_evbuf (one BPF_MAP_TYPE_RINGBUF or BPF_MAP_TYPE_PERF_EVENT_ARRAY map).
 * Records are handed to the buffer's callback as they are read; the callback
 * runs inside pl_loop__run() (on readiness or on the idle poll), or inside
 * pl_events__drain().
 *
 * Ring buffers: producers using <pktlua/events.h> skip most wakeups, so while
 * a ring buffer is registered the set polls every ring buffer on the loop's
 * idle period (PL_EVENTS_POLL_MS). Their losses are what the BPF side counted
 * in the object's pktlua_lost map (keyed by the ring buffer's map id).
 * Perf buffers: the kernel counts what it drops per CPU buffer (read with
 * PERF_FORMAT_LOST: at once, not when the next record fits, which under a
 * steady overload is never); where it cannot, its PERF_RECORD_LOST records.
 *
 * Bounded work: one read of a buffer hands out records for at most
 * PL_EVENTS_SLICE_MS (and PL_EVENTS_BATCH records), then leaves the rest
 * for the next turn of the loop (pl_loop__more), so however fast records
 * come, the loop gets to its timers, its time limit, signals and
 * bpf.stop() every few tens of milliseconds, and nothing is dropped for it.
 *
 * Plain C, no Lua. */
#ifndef PKTLUA_EVENTS_H
#define PKTLUA_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct bpf_map;
struct pl_loop;
struct pl_events;
struct pl_evbuf;

#define PL_EVENTS_POLL_MS 10
#define PL_EVENTS_PERF_PAGES 64   /* per CPU, for perf buffers */
/* What one read of a buffer hands out at most: a producer as fast as the
 * consumer (or a callback that itself causes records) must not keep the
 * loop from its timers, signals and bpf.stop(). The rest stays readable. */
#define PL_EVENTS_BATCH 65536
#define PL_EVENTS_SLICE_MS 10

/* One record of SIZE bytes at DATA (valid only during the call). A non-zero
 * return stops this read of the buffer: the rest waits for the next read
 * (readiness, poll or drain). */
typedef int (*pl_evbuf_fn)(void *ctx, const void *data, size_t size);

struct pl_evbuf_opts {
	pl_evbuf_fn fn;
	void *ctx;
	/* Ring buffers: the fd of the object's pktlua_lost map, or < 0 (no
	 * counter: losses read as 0). 0 means none too. */
	int lost_map_fd;
	/* Perf buffers: pages per CPU (power of 2); 0: PL_EVENTS_PERF_PAGES. */
	size_t perf_pages;
};

/* Returns NULL with errno set. The set does not own LOOP. */
struct pl_events *pl_events__new(struct pl_loop *loop);
/* Frees every buffer still registered. */
void pl_events__free(struct pl_events *ev);

/* Start consuming MAP (a ring buffer or perf event array whose fd is open).
 * Returns the buffer or NULL with errno set: EINVAL for any other map type. */
struct pl_evbuf *pl_events__add(struct pl_events *ev, const struct bpf_map *map,
				const struct pl_evbuf_opts *opts);

/* Read every registered buffer once, until empty, a callback says stop, or
 * its slice of time is used. Returns the number of records read, or -errno. */
int pl_events__drain(struct pl_events *ev);

/* Read B alone once, for at most one slice of time (as pl_events__drain
 * does every buffer). Returns records read or -errno. */
int pl_evbuf__read(struct pl_evbuf *b);

/* Records lost on B so far: dropped by the producer because the buffer was
 * full. */
uint64_t pl_evbuf__lost(const struct pl_evbuf *b);
/* The map's name, for messages. */
const char *pl_evbuf__name(const struct pl_evbuf *b);
/* Records handed to the callback so far. */
uint64_t pl_evbuf__received(const struct pl_evbuf *b);

/* Stop consuming B and free it. Safe inside B's own callback: the buffer
 * then stops calling back and is freed when its read returns. */
void pl_evbuf__free(struct pl_evbuf *b);

#endif
