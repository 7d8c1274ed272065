#!/usr/bin/env pktlua
-- cpudist.lua — summarize on-CPU (or off-CPU) time per task as a histogram
-- usage: pktlua -t cpudist [-h] [-O] [-T] [-m] [-P | -L] [-p PID] [interval] [count]
-- ci: 1 1
-- ci-expect: usecs
--
-- As BCC's cpudist: tp_btf sched_switch; on-CPU: from a task's switch-in
-- to its switch-out (every switch-out, as BCC's Python tool); -O off-CPU:
-- from switch-out to the next switch-in.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "cpudist",
  about = "Summarize on-CPU time per task as a histogram",
  options = {
    { "-O", "--offcpu", nil, "measure off-CPU time" },
    { "-T", "--timestamp", nil, "include timestamp on output" },
    { "-m", "--milliseconds", nil, "millisecond histogram" },
    { "-P", "--pids", nil, "print a histogram per process ID" },
    { "-L", "--tids", nil, "print a histogram per thread ID" },
    { "-p", "--pid", "PID", "trace this PID only", type = "int" },
  },
  args = {
    { "interval", "output interval, in seconds", type = "number" },
    { "count", "number of outputs", type = "int" },
  },
  examples = {
    { "cpudist", "summarize on-CPU time as a histogram" },
    { "cpudist -O", "summarize off-CPU time as a histogram" },
    { "cpudist 1 10", "print 1 second summaries, 10 times" },
    { "cpudist -mT 1", "1s summaries, milliseconds, and timestamps" },
    { "cpudist -P", "show each PID separately" },
    { "cpudist -p 185", "trace PID 185 only" },
  },
  notes = "Hook: tp_btf/sched_switch (BCC: a kprobe on finish_task_switch).",
}
local o = t:parse(arg)
if o.pids and o.tids then t:fail("-P and -L go one at a time") end

local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile int per = 0;          /* 1 process, 2 thread */
const volatile bool targ_ms = false;
const volatile bool targ_offcpu = false;

PKTLUA_HASH(start, __u32, __u64, 10240);
PKTLUA_HASH(hists, __u32, struct tool_comm_hist, 10240);

static __always_inline void store_start(struct task_struct *t, __u64 ts)
{
	__u32 pid = t->pid;
	if (!pid || tool_skip_task(t->tgid, pid))
		return;
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
}

static __always_inline void update_hist(struct task_struct *t, __u64 ts)
{
	__u32 pid = t->pid;
	__u64 *tsp = bpf_map_lookup_elem(&start, &pid);
	if (!tsp || ts < *tsp)
		return;
	__u64 delta = ts - *tsp;
	__u32 key = per == 1 ? t->tgid : per == 2 ? pid : (__u32)-1;
	tool_comm_hist_add(&hists, key, t, targ_ms ? delta / 1000000 : delta / 1000);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 ts = bpf_ktime_get_ns();
	if (targ_offcpu) {
		store_start(prev, ts);
		update_hist(next, ts);
	} else {
		update_hist(prev, ts);
		store_start(next, ts);
	}
	return 0;
}
]], globals = t:globals { per = o.pids and 1 or o.tids and 2 or 0, targ_ms = o.milliseconds,
                          targ_offcpu = o.offcpu } }

local units = o.milliseconds and "msecs" or "usecs"
local label = { "pid", "tid" }
local mode = o.pids and 1 or o.tids and 2 or 0
local function report()
  tool.print_keyed_hists(t, p.maps.hists, { label = label[mode], unit = units, timestamp = o.timestamp })
end

p:attach()
t:say("Tracing %s-CPU time... Hit Ctrl-C to end.", o.offcpu and "off" or "on")
t:run { interval = o.interval, count = o.count, tick = report, done = report }
