/* raw_tp.bpf.c — the startup benchmark's tiny tracepoint counter, for the
 * raw libbpf floor (raw_tp.c). Built with clang-19 -target bpf. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} c SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int count(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&c, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
