#!/usr/bin/env pktlua
-- pidpersec.lua — count new processes (forks) per second
-- usage: pktlua -t pidpersec [-h] [-i INTERVAL] [-d DURATION]
-- ci: -d 2
-- ci-expect: PIDs/sec:
--
-- As BCC's pidpersec (a kprobe on sched_fork there): sched:sched_process_fork,
-- which fires for every new task, threads included.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "pidpersec",
  about = "Count new processes (via fork)",
  options = {
    { "-i", "--interval", "INTERVAL", "seconds between outputs", type = "number", default = 1 },
    { "-d", "--duration", "DURATION", "stop after this many seconds", type = "number" },
  },
  examples = {
    { "pidpersec", "new tasks per second, until Ctrl-C" },
    { "pidpersec -d 10", "for 10 seconds" },
  },
  notes = "Hook: sched:sched_process_fork (BCC: a kprobe on sched_fork). Threads count too, as in BCC.",
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>
PKTLUA_PERCPU_ARRAY(forks, __u64, 1);

SEC("tracepoint/sched/sched_process_fork")
int fork(void *ctx)
{
	__u32 k = 0;
	__u64 *n = bpf_map_lookup_elem(&forks, &k);
	if (n)
		(*n)++;
	return 0;
}
]] }

local total = 0
local function report()
  local n = 0
  for _, c in ipairs(p.maps.forks[0]) do n = n + c end
  local delta = n - total
  total = n
  if t:json() then
    require("pktlua.json").line { time = os.date("%H:%M:%S"), pids = delta }
  else
    print(("%s: PIDs/sec: %d"):format(os.date("%H:%M:%S"), delta))
  end
end

p:attach()
t:say("Tracing... Ctrl-C to end.")
t:run { interval = o.interval, duration = o.duration, tick = report, done = report }
