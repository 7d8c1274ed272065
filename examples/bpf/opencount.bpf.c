// SPDX-License-Identifier: GPL-2.0
/* opencount.bpf.c — opens per command, written as a libbpf tool's BPF side
 * is (loaded by examples/file_load.lua with bpf.load{file = ...}): "vmlinux.h",
 * a header of its own next to it, a const volatile knob set before load. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "opencount.h"

const volatile pid_t targ_tgid = 0;	/* 0: every process */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct comm_key);
	__type(value, __u64);
} opens SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int count_openat(struct trace_event_raw_sys_enter *ctx)
{
	struct comm_key key = {};
	__u64 one = 1, *n;

	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	n = bpf_map_lookup_elem(&opens, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&opens, &key, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
