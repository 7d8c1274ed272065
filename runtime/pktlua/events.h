/* pktlua/events.h — send records to Lua callbacks (bpf.on) with every loss
 * counted.
 *
 *   #include <pktlua/events.h>
 *   struct event { __u32 pid; char comm[16]; };
 *   PKTLUA_RINGBUF(events, 256 * 1024);
 *   PKTLUA_EVENT_TYPE(struct event);          // keep its BTF for bpf.on
 *   ...
 *   struct event ev = { ... };
 *   pktlua_emit(&events, &ev, sizeof(ev));    // 0, or -errno when dropped
 *
 * Lost records: a record that does not fit the ring buffer is counted in the
 * hidden hash map pktlua_lost, keyed by the ring buffer's map id; the host
 * finds a buffer's counter there (bpf.lost(map), and the note at exit).
 *
 * Wakeups: waking the consumer costs about as much as the record itself, so
 * pktlua_emit() only wakes it when the pending data crosses a fraction of the
 * ring (PKTLUA_EMIT_WAKEUP_SHARE: 1/8 by default); the host polls ring
 * buffers every 10 ms otherwise, so a trickle of events waits at most that.
 *
 * Perf event arrays (PKTLUA_PERF_EVENTS): pktlua_perf_emit(ctx, &map, &ev,
 * sizeof ev); the kernel itself counts what it drops there. */
#ifndef PKTLUA_EVENTS_H
#define PKTLUA_EVENTS_H

#include <pktlua/maps.h>

#ifndef PKTLUA_EMIT_WAKEUP_SHARE
#define PKTLUA_EMIT_WAKEUP_SHARE 8
#endif

/* Lost records per ring buffer: key is the ring buffer's map id. */
PKTLUA_HASH(pktlua_lost, __u32, __u64, 64);

/* Record types only used as locals leave no BTF behind; this keeps TYPE's
 * BTF in the object, so bpf.on(map, fn, "struct event") can decode it. */
#define PKTLUA_EVENT_TYPE__(type, n) \
	static type *const ___pktlua_type_##n __attribute__((used)) = 0
#define PKTLUA_EVENT_TYPE_(type, n) PKTLUA_EVENT_TYPE__(type, n)
#define PKTLUA_EVENT_TYPE(type) PKTLUA_EVENT_TYPE_(type, __COUNTER__)

/* The kernel's own struct bpf_map, read through the map pointer: its id is
 * what user space sees too (bpf_obj_get_info_by_fd), so it names the ring
 * buffer's counter without any set-up. The verifier allows these reads for
 * privileged programs (CO-RE keeps the offset right on any kernel). */
static __always_inline void pktlua__count_lost(void *ringbuf)
{
	__u32 id = ((struct bpf_map *)ringbuf)->id;

	PKTLUA_ADD(pktlua_lost, &id, (__u64)1);
}

/* Ring buffer submit flags for a record of SIZE bytes: wake only when this
 * record crosses the mark, not for each record past it (the consumer is
 * awake then, and empties the ring); the host polls for the rest. */
static __always_inline __u64 pktlua__wakeup_flags(void *ringbuf, __u64 size)
{
	__u64 avail = bpf_ringbuf_query(ringbuf, BPF_RB_AVAIL_DATA);
	__u64 mark = bpf_ringbuf_query(ringbuf, BPF_RB_RING_SIZE) / PKTLUA_EMIT_WAKEUP_SHARE;

	return avail < mark && avail + size >= mark ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline long pktlua__emit(void *ringbuf, const void *data, __u64 size)
{
	long err = bpf_ringbuf_output(ringbuf, (void *)data, size,
				      pktlua__wakeup_flags(ringbuf, size));

	if (err)
		pktlua__count_lost(ringbuf);
	return err;
}

static __always_inline long pktlua__perf_emit(void *ctx, void *perf_map, const void *data,
					      __u64 size)
{
	return bpf_perf_event_output(ctx, perf_map, BPF_F_CURRENT_CPU, (void *)data, size);
}

/* The macros also keep the BTF of *DATA's type (see PKTLUA_EVENT_TYPE). */
#define pktlua_emit(ringbuf, data, size)                                            \
	({                                                                          \
		static __typeof__(*(data)) *const ___pktlua_t __attribute__((used)) = 0; \
		pktlua__emit((ringbuf), (data), (size));                            \
	})
#define pktlua_perf_emit(ctx, perf_map, data, size)                                 \
	({                                                                          \
		static __typeof__(*(data)) *const ___pktlua_t __attribute__((used)) = 0; \
		pktlua__perf_emit((ctx), (perf_map), (data), (size));               \
	})

#endif
