#!/usr/bin/env pktlua
-- profile.lua — on-CPU stacks, sampled at a fixed frequency (BCC's profile)
-- usage: pktlua -t profile [-h] [-p PID] [-L TID] [-F HZ | -c COUNT] [-U | -K] [-I] [-C CPU]
--                          [-f [-a] [-d]] [--svg FILE] [--stack-storage-size N] [duration]
-- ci: -K -F 49 1
-- ci-expect: Sampling at 49 Hertz of all threads by kernel stack for 1 secs.
--
-- A perf_event program samples each CPU; <pktlua/stack.h> keys each sample
-- by process, kernel stack and user stack. Stacks print as bpftrace prints
-- @[kstack, ustack, comm] = count(), least frequent first; processes that
-- exit before the end still resolve (the header's exit hook keeps their
-- mappings). The filters are load-time globals and the map sizes set at
-- load: every choice of flags starts from the compile cache.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local stack = require "pktlua.stack"

local t = tool.new {
  name = "profile",
  about = "Profile CPU stack traces at a timed interval",
  options = stack.tool_options {
    { "-L", "--tid", "TID", "profile this thread ID only", type = "int" },
    { "-F", "--frequency", "HZ", "sample frequency, Hertz (default 49)", type = "int" },
    { "-c", "--count", "COUNT", "sample period, number of events (instead of -F)", type = "int" },
    { "-I", "--include-idle", nil, "include CPU idle stacks" },
    { "-C", "--cpu", "CPU", "cpu number to run profile on", type = "int" },
  },
  args = { { "duration", "duration of trace, in seconds", type = "int" } },
  examples = {
    { "profile", "profile stack traces at 49 Hertz until Ctrl-C" },
    { "profile -F 99", "profile stack traces at 99 Hertz" },
    { "profile -c 1000000", "profile stack traces every 1 in a million events" },
    { "profile 5", "profile at 49 Hertz for 5 seconds only" },
    { "profile -f 5", "output in folded format for flame graphs" },
    { "profile --svg cpu.svg 10", "10 seconds, and a flame graph in cpu.svg" },
    { "profile -p 185", "only profile process with PID 185" },
    { "profile -L 185", "only profile thread with TID 185" },
    { "profile -U", "only show user space stacks (no kernel)" },
    { "profile -K", "only show kernel space stacks (no user)" },
    { "profile --json -p 185 5 | jq .", "one JSON object per stack" },
  },
  notes = [[
Text output is bpftrace's @[kstack, ustack, comm]: count, least frequent
first (BCC prints one stack per block); -f is BCC's folded format. Under
--json each stack is {pid, comm, count, kstack, ustack}, frames as names,
innermost first.]],
}
local o = t:parse(arg)
local which, what = stack.tool_check(t, o)
if o.frequency and o.count then t:fail("-F and -c do not go together") end
if (o.frequency or 1) < 1 or (o.count or 1) < 1 then t:fail("-F and -c want a positive number") end
local hz = not o.count and (o.frequency or 49) or nil

local p = bpf.load {
  src = [[
#include <pktlua/tool.h>
#include <pktlua/stack.h>

const volatile int which = PKTLUA_STACK_KERNEL | PKTLUA_STACK_USER;
const volatile bool include_idle = false;
const volatile __s32 targ_cpu = -1;
PKTLUA_STACKS(stacks, 16384);
PKTLUA_HASH(counts, struct pktlua_stack_key, __u64, 16384);

SEC("perf_event") int sample(void *ctx)
{
	if (tool_skip())
		return 0;
	if (!(bpf_get_current_pid_tgid() >> 32) && !include_idle)
		return 0;
	if (targ_cpu >= 0 && bpf_get_smp_processor_id() != (__u32)targ_cpu)
		return 0;
	struct pktlua_stack_key k;
	pktlua_stack_key(ctx, &stacks, &k, which);
	PKTLUA_ADD(counts, &k, 1);
	return 0;
}
]],
  globals = t:globals { which = which, include_idle = o.include_idle, targ_cpu = o.cpu },
  max_entries = { stacks = o.stack_storage_size, counts = o.stack_storage_size },
}
p.progs.sample:attach { freq = hz, period = o.count }

t:note("Sampling at %s of %s%s", hz and hz .. " Hertz" or "every " .. o.count .. " events", what,
  o.duration and (" for %d secs."):format(o.duration) or "... Hit Ctrl-C to end.")

t:run { done = function()
  stack.tool_report(t, o, p.maps.counts, p.maps.stacks,
    { title = "CPU Flame Graph (profile -F " .. (hz or "-c " .. o.count) .. ")" })
end }
