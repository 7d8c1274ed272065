#!/usr/bin/env pktlua
-- runqlat.lua — summarize run queue (scheduler) latency as a histogram
-- usage: pktlua -t runqlat [-h] [-T] [-m] [-P | -L | --pidnss] [-p PID] [interval] [count]
-- ci: 1 1
-- ci-expect: usecs
--
-- As BCC's libbpf-tools runqlat: tp_btf sched_wakeup/sched_wakeup_new and
-- sched_switch (a task preempted while runnable is enqueued again); the
-- time from enqueue to running, in log2 buckets.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "runqlat",
  about = "Summarize run queue (scheduler) latency as a histogram",
  options = {
    { "-T", "--timestamp", nil, "include timestamp on output" },
    { "-m", "--milliseconds", nil, "millisecond histogram" },
    { nil, "--pidnss", nil, "print a histogram per PID namespace" },
    { "-P", "--pids", nil, "print a histogram per process ID" },
    { "-L", "--tids", nil, "print a histogram per thread ID" },
    { "-p", "--pid", "PID", "trace this PID only", type = "int" },
  },
  args = {
    { "interval", "output interval, in seconds", type = "number" },
    { "count", "number of outputs", type = "int" },
  },
  examples = {
    { "runqlat", "summarize run queue latency as a histogram" },
    { "runqlat 1 10", "print 1 second summaries, 10 times" },
    { "runqlat -mT 1", "1s summaries, milliseconds, and timestamps" },
    { "runqlat -P", "show each PID separately" },
    { "runqlat -p 185", "trace PID 185 only" },
  },
  notes = "Same hooks as BCC: tp_btf/sched_wakeup, sched_wakeup_new, sched_switch.",
}
local o = t:parse(arg)
local mode = o.pids and 1 or o.tids and 2 or o.pidnss and 3 or 0
if (o.pids and 1 or 0) + (o.tids and 1 or 0) + (o.pidnss and 1 or 0) > 1 then
  t:fail("-P, -L and --pidnss go one at a time")
end

local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile int per = 0;          /* 1 process, 2 thread, 3 pid namespace */
const volatile bool targ_ms = false;

PKTLUA_HASH(start, __u32, __u64, 10240);
PKTLUA_HASH(hists, __u32, struct tool_comm_hist, 10240);

static __always_inline int enqueue(__u32 tgid, __u32 pid)
{
	if (!pid || tool_skip_task(tgid, pid))
		return 0;
	__u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
	return 0;
}

static __always_inline unsigned int pid_namespace(struct task_struct *task)
{
	struct pid *pid = task->thread_pid;
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid upid;
	bpf_core_read(&upid, sizeof(upid), &pid->numbers[level]);
	return BPF_CORE_READ(upid.ns, ns.inum);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup, struct task_struct *p) { return enqueue(p->tgid, p->pid); }

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new, struct task_struct *p) { return enqueue(p->tgid, p->pid); }

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (prev->__state == 0 /* TASK_RUNNING */)
		enqueue(prev->tgid, prev->pid);
	__u32 pid = next->pid;
	__u64 *tsp = bpf_map_lookup_elem(&start, &pid);
	if (!tsp)
		return 0;
	__s64 delta = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&start, &pid);
	if (delta < 0)
		return 0;
	__u32 key = per == 1 ? next->tgid : per == 2 ? pid : per == 3 ? pid_namespace(next) : (__u32)-1;
	tool_comm_hist_add(&hists, key, next, targ_ms ? delta / 1000000 : delta / 1000);
	return 0;
}
]], globals = t:globals { per = mode, targ_ms = o.milliseconds } }

local units = o.milliseconds and "msecs" or "usecs"
local label = { "pid", "tid", "pidns" }
local function report()
  tool.print_keyed_hists(t, p.maps.hists, { label = label[mode], unit = units, timestamp = o.timestamp })
end

p:attach()
t:say("Tracing run queue latency... Hit Ctrl-C to end.")
t:run { interval = o.interval, count = o.count, tick = report, done = report }
