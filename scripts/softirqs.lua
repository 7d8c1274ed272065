#!/usr/bin/env pktlua
-- softirqs.lua — summarize soft IRQ (softirq) event time, per softirq type
-- usage: pktlua -t softirqs [-h] [-d] [-T] [-N] [-C] [-c CPU] [interval] [count]
-- ci: 1 1
-- ci-expect: SOFTIRQ          TOTAL_usecs
--
-- As BCC's libbpf-tools softirqs: irq:softirq_entry and irq:softirq_exit
-- (tp_btf), time per vector in per-CPU counters.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local names = { [0] = "hi", "timer", "net_tx", "net_rx", "block", "irq_poll", "tasklet",
                "sched", "hrtimer", "rcu" }

local t = tool.new {
  name = "softirqs",
  about = "Summarize soft irq event time as histograms",
  options = {
    { "-d", "--distributed", nil, "show distributions as histograms" },
    { "-T", "--timestamp", nil, "include timestamp on output" },
    { "-N", "--nanoseconds", nil, "output in nanoseconds" },
    { "-C", "--count", nil, "show event counts with timing" },
    { "-c", "--cpu", "CPU", "trace this cpu only", type = "int" },
  },
  args = {
    { "interval", "output interval, in seconds", type = "number" },
    { "count", "number of outputs", type = "int" },
  },
  examples = {
    { "softirqs", "sum soft irq event time" },
    { "softirqs -d", "show soft irq event time as histograms" },
    { "softirqs 1 10", "print 1 second summaries, 10 times" },
    { "softirqs -NT 1", "1s summaries, nanoseconds, and timestamps" },
    { "softirqs -C", "show event counts with timing" },
    { "softirqs -c 1", "trace cpu 1 only" },
  },
  notes = "Same hooks as BCC: irq:softirq_entry, irq:softirq_exit.",
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

#define NR_VEC 10
const volatile bool targ_dist = false;
const volatile bool targ_ns = false;
const volatile int targ_cpu = -1;

struct sirq_stat { __u64 count, time; __u64 slots[TOOL_HIST_SLOTS]; };
PKTLUA_PERCPU_ARRAY(start, __u64, 1);
PKTLUA_PERCPU_ARRAY(stats, struct sirq_stat, NR_VEC);

SEC("tp_btf/softirq_entry")
int BPF_PROG(softirq_entry, unsigned int vec)
{
	if (tool_cpu_ok(targ_cpu))
		tool_cpu_stamp(&start);
	return 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(softirq_exit, unsigned int vec)
{
	__u64 delta;
	if (!tool_cpu_ok(targ_cpu) || vec >= NR_VEC || !tool_cpu_elapsed(&start, &delta))
		return 0;
	if (!targ_ns)
		delta /= 1000;
	struct sirq_stat *s = bpf_map_lookup_elem(&stats, &vec);
	if (!s)
		return 0;
	s->count++;                             /* per-CPU: plain adds */
	s->time += delta;
	if (targ_dist)
		s->slots[tool_hist_slot(delta)]++;
	return 0;
}
]], globals = { targ_dist = o.distributed, targ_ns = o.nanoseconds, targ_cpu = o.cpu } }

local units = o.nanoseconds and "nsecs" or "usecs"
local function report()
  local rows = {}
  for vec = 0, 9 do
    local r = { vec = vec, softirq = names[vec], count = 0, time = 0, slots = {} }
    for _, s in ipairs(p.maps.stats[vec]) do
      r.count = r.count + s.count
      r.time = r.time + s.time
      for i, v in ipairs(s.slots) do r.slots[i - 1] = (r.slots[i - 1] or 0) + v end
    end
    p.maps.stats[vec] = nil
    if r.count > 0 then rows[#rows + 1] = r end
  end
  if t:json() then
    local json = require "pktlua.json"
    for _, r in ipairs(rows) do
      if o.distributed then
        tool.print_log2_hist(r.slots, units, { softirq = r.softirq })
      else
        json.line { time = os.date("%H:%M:%S"), softirq = r.softirq, count = r.count,
                    ["total_" .. units] = r.time }
      end
    end
    return
  end
  t:interval_header(o.timestamp)
  if o.distributed then
    for _, r in ipairs(rows) do
      print(("softirq = %s"):format(r.softirq))
      tool.print_log2_hist(r.slots, units)
      print()
    end
    return
  end
  print(("%-16s %-6s%-5s  %-11s"):format("SOFTIRQ", "TOTAL_", units, o.count and "TOTAL_count" or ""))
  for _, r in ipairs(rows) do
    if o.count then print(("%-16s %11d  %11d"):format(r.softirq, r.time, r.count))
    else print(("%-16s %11d"):format(r.softirq, r.time)) end
  end
end

p:attach()
t:say("Tracing soft irq event time... Hit Ctrl-C to end.")
t:run { interval = o.interval, count = o.count, tick = report, done = report }
