#!/usr/bin/env pktlua
-- wakeuptime.lua — summarize sleep-to-wakeup time by the waker's kernel stack
-- usage: pktlua -t wakeuptime [-h] [-p PID] [-u] [-v] [-m MIN] [-M MAX] [-f] [duration]
-- ci: 1
-- ci-expect: waker:
--
-- tp_btf sched_switch (a task blocks) and sched_waking (another wakes it:
-- its command and kernel stack); the blocked time is added up per (target,
-- waker, waker stack). sched_waking fires in try_to_wake_up, in the waker's
-- context, where BCC's kprobe sits. Not sched_wakeup (libbpf-tools' hook):
-- for a wakeup of a task on another CPU (ttwu_queue_wakelist) it fires on
-- that CPU from the IPI, where the current task is whatever ran there
-- (often swapper/N), not the waker.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "wakeuptime",
  about = "Summarize sleep to wakeup time by waker kernel stack",
  options = {
    { "-p", "--pid", "PID", "trace this PID only", type = "int" },
    { "-u", "--user-threads-only", nil, "user threads only (no kernel threads)" },
    { "-v", "--verbose", nil, "show raw addresses" },
    { "-m", "--min-block-time", "MIN", "the time in microseconds over which we store traces (default 1)",
      type = "int", default = 1 },
    { "-M", "--max-block-time", "MAX", "the time in microseconds under which we store traces", type = "int" },
    { "-f", "--folded", nil, "output folded format (waker stack;target count)" },
  },
  args = { { "duration", "duration of trace, in seconds", type = "number" } },
  examples = {
    { "wakeuptime", "trace blocked time with waker stacks" },
    { "wakeuptime 5", "trace for 5 seconds only" },
    { "wakeuptime -u", "don't include kernel threads (user only)" },
    { "wakeuptime -p 185", "trace for PID 185 only" },
    { "wakeuptime -f 5 > out.folded", "folded, for flame graphs" },
  },
  notes = [[
Hooks: tp_btf/sched_switch and sched_waking. BCC uses a kprobe on
try_to_wake_up (no kprobes here); sched_waking fires there, in the waker's
context. libbpf-tools' sched_wakeup would name the wrong waker for wakeups
queued to another CPU (the idle task or whatever runs there).]],
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>
#define PKTLUA_STACK_NO_EXIT_WATCH     /* kernel stacks only */
#include <pktlua/stack.h>

const volatile bool user_threads_only = false;
const volatile __u64 min_block_ns = 1000, max_block_ns = (__u64)-1;
struct key_t { int w_k_stack_id; char waker[16], target[16]; };
PKTLUA_HASH(start, __u32, __u64, 10240);
PKTLUA_HASH(counts, struct key_t, __u64, 10240);
PKTLUA_STACKS(stackmap, 1024);

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (tool_skip_task(prev->tgid, prev->pid))
		return 0;
	if (user_threads_only && (prev->flags & 0x00200000 /* PF_KTHREAD */))
		return 0;
	__u32 tid = prev->pid;
	__u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(sched_waking, struct task_struct *p)
{
	if (tool_skip_task(p->tgid, p->pid))
		return 0;
	__u32 tid = p->pid;
	__u64 *tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	__u64 delta = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&start, &tid);
	if (delta < min_block_ns || delta > max_block_ns)
		return 0;
	struct key_t key = {};
	key.w_k_stack_id = bpf_get_stackid(ctx, &stackmap, 0);
	bpf_probe_read_kernel_str(key.target, sizeof(key.target), p->comm);
	bpf_get_current_comm(key.waker, sizeof(key.waker));
	PKTLUA_ADD(counts, &key, delta);
	return 0;
}
]], globals = { targ_pid = o.pid, user_threads_only = o.user_threads_only,
                min_block_ns = o.min_block_time * 1000,
                max_block_ns = o.max_block_time and o.max_block_time * 1000 or nil } }

local function report()
  local rows = {}
  for k, ns in pairs(p.maps.counts) do rows[#rows + 1] = { k = k, us = ns // 1000 } end
  table.sort(rows, function(a, b) return a.us < b.us end)
  for _, r in ipairs(rows) do
    local addrs = tool.stack_addrs(p.maps.stackmap, r.k.w_k_stack_id)
    local frames = tool.kstack(p.maps.stackmap, r.k.w_k_stack_id)
    if t:json() then
      require("pktlua.json").line { target = r.k.target, waker = r.k.waker, us = r.us, stack = frames }
    elseif o.folded then
      local parts = { r.k.waker }
      for i = #frames, 1, -1 do parts[#parts + 1] = frames[i] end
      parts[#parts + 1] = "--"
      parts[#parts + 1] = r.k.target
      print(("%s %d"):format(table.concat(parts, ";"), r.us))
    else
      print(("\n\t%-16s %s"):format("target:", r.k.target))
      for i, f in ipairs(frames) do
        if o.verbose and addrs[i] then print(("\t%-16x %s"):format(addrs[i], f)) else print("\t" .. f) end
      end
      print(("\t%16s %s"):format("waker:", r.k.waker))
      print(("\t%d"):format(r.us))
    end
  end
end

p:attach()
t:say("Tracing blocked time (us) by kernel stack%s", o.duration and (" for %s secs."):format(o.duration) or "... Hit Ctrl-C to end.")
t:run { duration = o.duration, done = report }
