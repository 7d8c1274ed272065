// SPDX-License-Identifier: GPL-2.0
/* BPF_PROG on a BTF tracepoint, in the shape of libbpf-tools' runqslower
 * and exitsnoop: the new task's parent read with BPF_CORE_READ, a knob to
 * filter, counters in .bss read from user space. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

const volatile pid_t targ_tgid = 0;

__u64 forks = 0;
__u64 threads = 0;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	pid_t tgid = BPF_CORE_READ(parent, tgid);

	if (targ_tgid && targ_tgid != tgid)
		return 0;
	if (BPF_CORE_READ(child, tgid) == tgid)
		__sync_fetch_and_add(&threads, 1);
	else
		__sync_fetch_and_add(&forks, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
