#!/usr/bin/env pktlua
-- hardirqs.lua — summarize hard IRQ (interrupt) event count and time, per handler
-- usage: pktlua -t hardirqs [-h] [-C] [-d] [-s CPU] [-T] [-N] [interval] [count]
-- ci: 1 1
-- ci-expect: HARDIRQ
--
-- As BCC's libbpf-tools hardirqs: irq:irq_handler_entry/irq_handler_exit
-- (tp_btf), by the handler's name (what /proc/interrupts lists).
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "hardirqs",
  about = "Summarize hard irq event time as histograms",
  options = {
    { "-C", "--CPU", nil, "display separately by CPU" },
    { "-d", "--distributed", nil, "show distributions as histograms" },
    { "-s", "--cpu", "CPU", "only stat irq on selected cpu", type = "int" },
    { "-T", "--timestamp", nil, "include timestamp on output" },
    { "-N", "--nanoseconds", nil, "output in nanoseconds" },
  },
  args = {
    { "interval", "output interval, in seconds", type = "number" },
    { "count", "number of outputs", type = "int" },
  },
  examples = {
    { "hardirqs", "sum hard irq event time" },
    { "hardirqs -d", "show hard irq event time as histograms" },
    { "hardirqs 1 10", "print 1 second summaries, 10 times" },
    { "hardirqs -NT 1", "1s summaries, nanoseconds, and timestamps" },
    { "hardirqs -C", "show hard irq event count by CPU" },
    { "hardirqs -s 1", "only stat irq on cpu 1" },
  },
  notes = [[
Same hooks as BCC: irq:irq_handler_entry/exit. Interrupts that have no
irqaction handler (the local timer, IPIs) are not hard irq events here either.]],
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile bool targ_dist = false;
const volatile bool targ_ns = false;
const volatile bool by_cpu = false;
const volatile int targ_cpu = -1;

struct irq_key { char name[32]; __u32 cpu; };
struct info { __u64 count, total_time, max_time; __u64 slots[TOOL_HIST_SLOTS]; };
PKTLUA_PERCPU_ARRAY(start, __u64, 1);
PKTLUA_HASH(infos, struct irq_key, struct info, 1024);

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(irq_handler_entry, int irq, struct irqaction *action)
{
	if (tool_cpu_ok(targ_cpu))
		tool_cpu_stamp(&start);
	return 0;
}

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(irq_handler_exit, int irq, struct irqaction *action)
{
	__u64 delta;
	if (!tool_cpu_ok(targ_cpu) || !tool_cpu_elapsed(&start, &delta))
		return 0;
	if (!targ_ns)
		delta /= 1000;
	struct irq_key key = {};
	bpf_probe_read_kernel_str(key.name, sizeof(key.name), action->name);
	if (by_cpu)
		key.cpu = bpf_get_smp_processor_id();
	static const struct info zero;
	struct info *i = tool_lookup_or_init(&infos, &key, &zero);
	if (!i)
		return 0;
	__sync_fetch_and_add(&i->count, 1);
	__sync_fetch_and_add(&i->total_time, delta);
	if (delta > i->max_time)
		i->max_time = delta;
	if (targ_dist)
		__sync_fetch_and_add(&i->slots[tool_hist_slot(delta)], 1);
	return 0;
}
]], globals = { targ_dist = o.distributed, targ_ns = o.nanoseconds, by_cpu = o.CPU, targ_cpu = o.cpu } }

local units = o.nanoseconds and "nsecs" or "usecs"
local function report()
  local rows = tool.take(p.maps.infos, function(a, b)
    if a.v.total_time ~= b.v.total_time then return a.v.total_time > b.v.total_time end
    return a.k.name < b.k.name
  end)
  if t:json() then
    local json = require "pktlua.json"
    for _, r in ipairs(rows) do
      local extra = { hardirq = r.k.name, cpu = o.CPU and r.k.cpu or nil }
      if o.distributed then
        tool.print_log2_hist(r.v, units, extra)
      else
        extra.time = os.date("%H:%M:%S")
        extra.count = r.v.count
        extra["total_" .. units] = r.v.total_time
        extra["max_" .. units] = r.v.max_time
        json.line(extra)
      end
    end
    return
  end
  t:interval_header(o.timestamp)
  if not o.distributed then
    io.write(("%-33s %11s %6s%5s %4s%5s"):format("HARDIRQ", "TOTAL_count", "TOTAL_", units, "MAX_", units))
    io.write(o.CPU and (" %3s\n"):format("CPU") or "\n")
  end
  for _, r in ipairs(rows) do
    local k, i = r.k, r.v
    if o.distributed then
      if o.CPU then io.write(("cpu = %d "):format(k.cpu)) end
      print(("hardirq = %s"):format(k.name))
      tool.print_log2_hist(i, units)
    elseif o.CPU then
      print(("%-33s %11d %11d %9d %3d"):format(k.name, i.count, i.total_time, i.max_time, k.cpu))
    else
      print(("%-33s %11d %11d %9d"):format(k.name, i.count, i.total_time, i.max_time))
    end
  end
end

p:attach()
t:say("Tracing hard irq event time... Hit Ctrl-C to end.")
t:run { interval = o.interval, count = o.count, tick = report, done = report }
