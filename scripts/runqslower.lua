#!/usr/bin/env pktlua
-- runqslower.lua — trace high run queue latency: tasks that waited longer than a threshold to run
-- usage: pktlua -t runqslower [-h] [-p PID] [-t TID] [-c COMM] [-P] [min_us]
-- ci: --duration 1 100000
-- ci-expect: TIME     COMM             TID           LAT(us)
--
-- As BCC's libbpf-tools runqslower: tp_btf sched_wakeup/sched_wakeup_new
-- and sched_switch; a wait from enqueue to running above min_us (default
-- 10000) is reported with the task that ran before it.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "runqslower",
  about = "Trace high run queue latency",
  options = {
    { "-p", "--pid", "PID", "process PID to trace", type = "int" },
    { "-t", "--tid", "TID", "thread TID to trace", type = "int" },
    { "-c", "--comm", "COMM", "filter processes by command name prefix" },
    { "-P", "--previous", nil, "also show previous task name and TID" },
  },
  args = { { "min_us", "minimum run queue latency to trace, in us (default 10000)", type = "int", key = "min_us" } },
  examples = {
    { "runqslower", "trace latency higher than 10000 us (default)" },
    { "runqslower 1000", "trace latency higher than 1000 us" },
    { "runqslower -p 123", "trace pid 123" },
    { "runqslower -t 123", "trace tid 123 (use for threads only)" },
    { "runqslower -c app", "trace commands starting with 'app'" },
    { "runqslower -P", "also show previous task name and TID" },
  },
  notes = "Same hooks as BCC: tp_btf/sched_wakeup, sched_wakeup_new, sched_switch.",
}
local o = t:parse(arg)
local min_us = o.min_us or 10000
if o.comm and #o.comm > 15 then t:fail("-c: a command name has at most 15 characters") end

local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile __u64 min_us = 10000;
const volatile char comm_prefix[16] = {};

struct event { __u64 delta_us; __u32 pid, prev_pid; char task[16], prev_task[16]; };
PKTLUA_HASH(start, __u32, __u64, 10240);
PKTLUA_RINGBUF(events, 256 << 10);

static __always_inline bool comm_ok(struct task_struct *t)
{
	if (!comm_prefix[0])
		return true;
	char c[16];
	bpf_probe_read_kernel_str(c, sizeof(c), t->comm);
	for (int i = 0; i < 16; i++) {
		if (!comm_prefix[i])
			return true;
		if (c[i] != comm_prefix[i])
			return false;
	}
	return true;
}

static __always_inline int enqueue(struct task_struct *t)
{
	__u32 pid = t->pid;
	if (!pid || tool_skip_task(t->tgid, pid) || !comm_ok(t))
		return 0;
	__u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup, struct task_struct *p) { return enqueue(p); }

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new, struct task_struct *p) { return enqueue(p); }

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (prev->__state == 0)
		enqueue(prev);
	__u32 pid = next->pid;
	__u64 *tsp = bpf_map_lookup_elem(&start, &pid);
	if (!tsp)
		return 0;
	__u64 delta_us = (bpf_ktime_get_ns() - *tsp) / 1000;
	bpf_map_delete_elem(&start, &pid);
	if (min_us && delta_us <= min_us)
		return 0;
	struct event e = { .delta_us = delta_us, .pid = pid, .prev_pid = prev->pid };
	bpf_probe_read_kernel_str(e.task, sizeof(e.task), next->comm);
	bpf_probe_read_kernel_str(e.prev_task, sizeof(e.prev_task), prev->comm);
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}
]], globals = { targ_pid = o.pid, targ_tid = o.tid, min_us = min_us, comm_prefix = o.comm } }

local out = t:columns {
  { "TIME", "%-8s", "time" },
  { "COMM", "%-16s", "comm" },
  { "TID", "%-6d", "tid" },
  { "LAT(us)", "%14d", "lat_us" },
  o.previous and { "PREV COMM", "%-16s", "prev_comm" },
  o.previous and { "PREV TID", "%-6d", "prev_tid" },
}
bpf.on(p.maps.events, function(e)
  out:row { time = tool.hms(), comm = e.task, tid = e.pid, lat_us = e.delta_us,
            prev_comm = e.prev_task, prev_tid = e.prev_pid }
end, "struct event")

p:attach()
t:say("Tracing run queue latency higher than %d us", min_us)
out:header()
t:run()
