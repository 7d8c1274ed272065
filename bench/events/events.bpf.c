/* events.bpf.c — the benchmark's producer side, shared by both consumers:
 * one record per getppid() of the process named "plgetppid". */
#include <pktlua/bpf.h>
#include <pktlua/events.h>

struct event {
	__u64 seq;
	__u64 ts;
	__u32 pid;
	__u32 cpu;
	char comm[16];
};

PKTLUA_RINGBUF(events, RING_BYTES);
PKTLUA_ARRAY(produced, __u64, 1);

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	struct event e = {};
	__u32 k = 0;

	bpf_get_current_comm(e.comm, sizeof(e.comm));
	/* "plgetppid": "plgetppi" as one little-endian word, then "d\0". */
	if (*(__u64 *)e.comm != 0x6970707465676c70ULL || e.comm[8] != 'd' || e.comm[9])
		return 0;
	__u64 *n = bpf_map_lookup_elem(&produced, &k);
	if (!n)
		return 0;
	e.seq = __sync_fetch_and_add(n, 1);
	e.ts = bpf_ktime_get_ns();
	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.cpu = bpf_get_smp_processor_id();
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}
