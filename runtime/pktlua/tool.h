/* pktlua/tool.h — what the bundled tools (scripts/) share on the BPF side:
 * the process filters as load-time knobs, BCC's log2 histograms, and the
 * time a handler spends on a CPU.
 *
 *   #include <pktlua/tool.h>
 *   SEC("tracepoint/syscalls/sys_enter_openat") int f(void *ctx)
 *   {
 *       if (tool_skip())           // -p/-t/-u/--comm, set from Lua
 *           return 0;
 *       ...
 *   }
 *
 * The filters are `const volatile` globals (.rodata), set before load with
 * bpf.load{globals = {targ_pid = 123}} (pktlua.tool does it): the compile
 * cache serves every value, and the verifier drops the tests of the filters
 * left at their defaults. */
#ifndef PKTLUA_TOOL_H
#define PKTLUA_TOOL_H

#include <pktlua/bpf.h>
#include <pktlua/events.h>
#include <pktlua/hist.h>

#define TOOL_COMM_LEN 16
#define TOOL_HIST_SLOTS 40      /* log2 slots: up to 2^40 units */

const volatile __u32 targ_pid = 0;          /* a process (tgid); 0: all */
const volatile __u32 targ_tid = 0;          /* a thread; 0: all */
const volatile __u32 targ_uid = (__u32)-1;  /* a user; -1: all */
const volatile char targ_comm[TOOL_COMM_LEN] = {};  /* a command name; "": all */

/* True when COMM is the filter's command name (or there is no filter). */
static __always_inline bool tool_comm_ok(const char *comm)
{
	if (!targ_comm[0])
		return true;
#pragma unroll
	for (int i = 0; i < TOOL_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			return true;
	}
	return true;
}

/* True when the current task is filtered out by targ_pid, targ_tid,
 * targ_uid or targ_comm. */
static __always_inline bool tool_skip(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (targ_pid && (__u32)(id >> 32) != targ_pid)
		return true;
	if (targ_tid && (__u32)id != targ_tid)
		return true;
	if (targ_uid != (__u32)-1 && (__u32)bpf_get_current_uid_gid() != targ_uid)
		return true;
	if (targ_comm[0]) {
		char comm[TOOL_COMM_LEN];
		bpf_get_current_comm(comm, sizeof(comm));
		if (!tool_comm_ok(comm))
			return true;
	}
	return false;
}

/* The same test for another task (a wakee, a victim): by its ids. */
static __always_inline bool tool_skip_task(__u32 tgid, __u32 pid)
{
	if (targ_pid && tgid != targ_pid)
		return true;
	if (targ_tid && pid != targ_tid)
		return true;
	return false;
}

/* True when the current CPU is CPU (a tool's CPU filter knob), or CPU is
 * -1 (no filter). */
static __always_inline bool tool_cpu_ok(int cpu)
{
	return cpu < 0 || bpf_get_smp_processor_id() == (__u32)cpu;
}

/* The time a handler that does not nest on its CPU (an irq handler, a
 * softirq) runs: its entry stamps the clock in MAP (a PKTLUA_PERCPU_ARRAY
 * of one __u64), its exit takes the nanoseconds since into *DELTA and
 * clears the stamp. False when the entry was not seen. */
static __always_inline void tool_cpu_stamp(void *map)
{
	__u32 k = 0;
	__u64 *ts = bpf_map_lookup_elem(map, &k);

	if (ts)
		*ts = bpf_ktime_get_ns();
}

static __always_inline bool tool_cpu_elapsed(void *map, __u64 *delta)
{
	__u32 k = 0;
	__u64 *ts = bpf_map_lookup_elem(map, &k);

	if (!ts || !*ts)
		return false;
	*delta = bpf_ktime_get_ns() - *ts;
	*ts = 0;
	return true;
}

/* BCC's log2 slot (libbpf-tools bits.bpf.h): floor(log2(v)), 0 for 0 and 1. */
static __always_inline __u32 tool_log2(__u64 v)
{
	return pktlua_log2_floor(v);
}

/* BCC's log2 slot of V in a histogram of TOOL_HIST_SLOTS slots: the last
 * slot takes every larger value. */
static __always_inline __u32 tool_hist_slot(__u64 v)
{
	__u32 s = tool_log2(v);

	if (s >= TOOL_HIST_SLOTS)
		s = TOOL_HIST_SLOTS - 1;
	return s;
}

/* The value at KEY of MAP (a hash), created as a copy of INIT when missing;
 * NULL when the map is full (libbpf-tools' bpf_map_lookup_or_try_init). */
static __always_inline void *tool_lookup_or_init(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);   /* or another CPU did */
	return bpf_map_lookup_elem(map, key);
}

/* A histogram as a map value: slot i counts values in [2^i, 2^(i+1)). */
struct tool_hist {
	__u64 slots[TOOL_HIST_SLOTS];
};

/* Count VALUE in the histogram at KEY of MAP (a hash of struct tool_hist),
 * creating it if missing. */
#define TOOL_HIST_ADD(map, key, value)                                         \
	({                                                                     \
		static const struct tool_hist __zero;                          \
		struct tool_hist *__h = tool_lookup_or_init(&(map), (key), &__zero); \
		if (__h)                                                       \
			__sync_fetch_and_add(&__h->slots[tool_hist_slot(value)], 1); \
	})

/* A histogram per task (process, thread, ...) named after the first task
 * counted in it: pktlua.tool's print_keyed_hists prints it under
 * "pid = KEY COMM" (runqlat -P, cpudist -L). */
struct tool_comm_hist {
	__u64 slots[TOOL_HIST_SLOTS];
	char comm[TOOL_COMM_LEN];
};

/* Count VALUE in the histogram at KEY of MAP (a hash of struct
 * tool_comm_hist by __u32), named after TASK when it is new. */
static __always_inline void tool_comm_hist_add(void *map, __u32 key, struct task_struct *task,
					       __u64 value)
{
	static const struct tool_comm_hist zero;
	struct tool_comm_hist *h = tool_lookup_or_init(map, &key, &zero);

	if (!h)
		return;
	if (!h->comm[0])
		bpf_probe_read_kernel_str(h->comm, sizeof(h->comm), task->comm);
	__sync_fetch_and_add(&h->slots[tool_hist_slot(value)], 1);
}

/* Block requests: the disk, as the kernel's dev_t (MKDEV: major << 20 |
 * minor; pktlua.tool's disk_name() names it), and the request's flags in
 * a compact form: the operation (REQ_OP_*) in bits 16..23, the flags
 * __REQ_SYNC .. __REQ_NOWAIT in bits 0..10 (pktlua.tool's rwbs() and
 * req_flags() spell them as the kernel's blk_fill_rwbs and BCC do). */
static __always_inline __u32 tool_rq_dev(struct request *rq)
{
	struct gendisk *disk = BPF_CORE_READ(rq, q, disk);

	if (!disk)
		return 0;
	return ((__u32)BPF_CORE_READ(disk, major) << 20) | (__u32)BPF_CORE_READ(disk, first_minor);
}

/* -d DISK: a disk's dev_t, set from Lua (pktlua.tool's T:disk()); 0: all. */
const volatile __u32 targ_dev = 0;

/* True when disk DEV (as tool_rq_dev gives it) is filtered out by targ_dev. */
static __always_inline bool tool_dev_skip(__u32 dev)
{
	return targ_dev && dev != targ_dev;
}

static __always_inline __u32 tool_rq_flags(__u32 cmd_flags)
{
	return (cmd_flags & 0xff) << 16 | ((cmd_flags >> __REQ_SYNC) & ((1u << (__REQ_NOWAIT - __REQ_SYNC + 1)) - 1));
}

#endif
