#!/usr/bin/env pktlua
-- offcputime.lua — time spent off CPU (blocked, sleeping, preempted), by stack (BCC's offcputime)
-- usage: pktlua -t offcputime [-h] [-p PID] [-t TID] [-u | -k] [-U | -K] [-m MIN_US] [-M MAX_US]
--                             [-f [-a] [-d]] [--svg FILE] [--stack-storage-size N] [duration]
-- ci: -p 1 -K 1
-- ci-expect: Tracing off-CPU time (us) of PID 1 by kernel stack for 1 secs.
--
-- At each context switch (tp_btf/sched_switch: kprobes are absent here) the
-- task leaving the CPU has its stacks taken and the time noted; when it comes
-- back, the time it was away is added to that stack. Totals in microseconds,
-- printed as bpftrace prints @[kstack, ustack, comm] = sum(us), least first.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local stack = require "pktlua.stack"

local t = tool.new {
  name = "offcputime",
  about = "Summarize off-CPU time by stack trace",
  options = stack.tool_options {
    { "-t", "--tid", "TID", "trace this TID only", type = "int" },
    { "-u", "--user-threads-only", nil, "user threads only (no kernel threads)" },
    { "-k", "--kernel-threads-only", nil, "kernel threads only (no user threads)" },
    { "-m", "--min-block-time", "MIN_US", "the amount of time in microseconds over which we store traces",
      type = "int", default = 1 },
    { "-M", "--max-block-time", "MAX_US", "the amount of time in microseconds under which we store traces",
      type = "int" },
  },
  args = { { "duration", "duration of trace, in seconds", type = "int" } },
  examples = {
    { "offcputime", "trace off-CPU stack time until Ctrl-C" },
    { "offcputime 5", "trace for 5 seconds only" },
    { "offcputime -f 5", "5 seconds, and output in folded format" },
    { "offcputime --svg off.svg 10", "10 seconds, and a flame graph in off.svg" },
    { "offcputime -m 1000", "trace only events that last more than 1000 usec" },
    { "offcputime -M 10000", "trace only events that last less than 10000 usec" },
    { "offcputime -p 185", "only trace threads for PID 185" },
    { "offcputime -t 188", "only trace thread 188" },
    { "offcputime -u", "only trace user threads (no kernel)" },
    { "offcputime -k", "only trace kernel threads (no user)" },
    { "offcputime -U", "only show user space stacks (no kernel)" },
    { "offcputime -K", "only show kernel space stacks (no user)" },
    { "offcputime --json -p 185 5 | jq .", "one JSON object per stack" },
  },
  notes = [[
Hook: tp_btf/sched_switch (BCC uses a kprobe on finish_task_switch; no
kprobes here). Text output is bpftrace's @[kstack, ustack, comm]: usecs,
least first; -f is BCC's folded format. Under --json each stack is
{pid, comm, usecs, kstack, ustack}, frames as names, innermost first.]],
}
local o = t:parse(arg)
local which, what = stack.tool_check(t, o)
if o.user_threads_only and o.kernel_threads_only then t:fail("-u and -k do not go together") end

local p = bpf.load {
  src = [[
#include <pktlua/tool.h>
#include <pktlua/stack.h>

#define PF_KTHREAD 0x00200000

const volatile int which = PKTLUA_STACK_KERNEL | PKTLUA_STACK_USER;
const volatile bool user_threads_only = false, kernel_threads_only = false;
const volatile __u64 min_block_ns = 1000, max_block_ns = (__u64)-1;
PKTLUA_STACKS(stacks, 16384);
PKTLUA_HASH(usecs, struct pktlua_stack_key, __u64, 16384);

struct away { __u64 ts; struct pktlua_stack_key key; };
PKTLUA_HASH(start, __u32, struct away, 65536);   /* by thread id */

SEC("tp_btf/sched_switch")
int BPF_PROG(switched, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	/* PREV leaves the CPU: this is its context, so its stacks are current. */
	__u32 tgid = prev->tgid, tid = prev->pid;
	bool kthread = prev->flags & PF_KTHREAD;
	if (tgid && (!targ_pid || tgid == targ_pid) && (!targ_tid || tid == targ_tid) &&
	    !(user_threads_only && kthread) && !(kernel_threads_only && !kthread)) {
		struct away a = { .ts = now };
		pktlua_stack_key(ctx, &stacks, &a.key, which);
		bpf_map_update_elem(&start, &tid, &a, BPF_ANY);
	}
	/* NEXT comes back: charge the time away to the stack it left with. */
	tid = next->pid;
	struct away *a = bpf_map_lookup_elem(&start, &tid);
	if (!a)
		return 0;
	__u64 delta = now - a->ts;
	struct pktlua_stack_key key = a->key;
	bpf_map_delete_elem(&start, &tid);
	if (delta >= min_block_ns && delta <= max_block_ns)
		PKTLUA_ADD(usecs, &key, delta / 1000);
	return 0;
}
]],
  globals = t:globals { which = which, user_threads_only = o.user_threads_only,
    kernel_threads_only = o.kernel_threads_only, min_block_ns = o.min_block_time * 1000,
    max_block_ns = o.max_block_time and o.max_block_time * 1000 },
  max_entries = { stacks = o.stack_storage_size, usecs = o.stack_storage_size },
}
p:attach()

t:note("Tracing off-CPU time (us) of %s%s", what,
  o.duration and (" for %d secs."):format(o.duration) or "... Hit Ctrl-C to end.")

t:run { done = function()
  stack.tool_report(t, o, p.maps.usecs, p.maps.stacks,
    { title = "Off-CPU Time Flame Graph", unit = "us", trim = true, value = "usecs" })
end }
