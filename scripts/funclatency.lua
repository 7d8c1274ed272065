#!/usr/bin/env pktlua
-- funclatency.lua — time a user function's calls and show the latency distribution
-- usage: pktlua -t funclatency [-h] [-m | -u] [-p PID] [-d DURATION] [-i INTERVAL] [-T] FUNCTION
-- ci: -d 1 c:getpid
-- ci-expect: Tracing c:getpid.  Hit Ctrl-C to exit
--
-- As BCC's libbpf-tools funclatency, for user functions: a uprobe at entry
-- keeps the time per thread, a uretprobe at return adds the latency to a
-- log2 histogram. FUNCTION is [LIB:]FUNC or /PATH:FUNC.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local elf = require "pktlua.elf"

local t = tool.new {
  name = "funclatency",
  about = "Time functions and print latency as a histogram",
  options = {
    { "-m", "--milliseconds", nil, "output in milliseconds" },
    { "-u", "--microseconds", nil, "output in microseconds" },
    { "-p", "--pid", "PID", "process ID to trace", type = "int" },
    { "-d", "--duration", "DURATION", "duration to trace, in seconds", type = "number" },
    { "-i", "--interval", "INTERVAL", "summary interval in seconds", type = "number" },
    { "-T", "--timestamp", nil, "print timestamp" },
  },
  args = { { "function", "[LIB:]FUNC or /PATH:FUNC (c:malloc, /usr/bin/app:handle)", required = true,
             key = "func" } },
  examples = {
    { "funclatency c:read", "time libc read(), nanoseconds" },
    { "funclatency -u c:read", "time libc read(), microseconds" },
    { "funclatency -m -p 181 c:read", "time read() of PID 181, milliseconds" },
    { "funclatency -i 2 -d 10 /usr/bin/app:handle", "2 second summaries, 10 seconds" },
  },
  notes = [[
Kernel functions ("vfs_read") need kprobes or fentry, which this kernel lacks.
Recursive calls of the same thread are timed from the outermost entry.]],
}
local o = t:parse(arg)
if o.milliseconds and o.microseconds then t:fail("-m and -u go one at a time") end
local lib, fn = o.func:match("^(.+):([^:]+)$")
if not lib then t:fail(("'%s': a kernel function needs kprobes, which this kernel lacks; use LIB:FUNC or /PATH:FUNC"):format(o.func)) end
local path, err = elf.find(lib)
if not path then t:fail(err) end
local ok, off = pcall(elf.offset, path, fn)
if not ok then t:fail(off) end
if not off then t:fail(("no function '%s' in %s"):format(fn, path)) end

local units = o.milliseconds and "msecs" or o.microseconds and "usecs" or "nsecs"
local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile __u64 div = 1;
PKTLUA_HASH(starts, __u32, __u64, 10240);
PKTLUA_HASH(hists, __u32, struct tool_hist, 1);

SEC("uprobe") int entry(struct pt_regs *ctx)
{
	if (tool_skip())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&starts, &tid, &ts, BPF_NOEXIST);
	return 0;
}

SEC("uretprobe") int leave(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *ts = bpf_map_lookup_elem(&starts, &tid);
	if (!ts)
		return 0;
	__u64 delta = (bpf_ktime_get_ns() - *ts) / div;
	bpf_map_delete_elem(&starts, &tid);
	__u32 k = 0;
	TOOL_HIST_ADD(hists, &k, delta);
	return 0;
}
]], globals = t:globals { div = o.milliseconds and 1000000 or o.microseconds and 1000 or nil } }

local function report()
  if not t:json() then
    print()
    if o.timestamp then print(("%-8s"):format(os.date("%H:%M:%S"))) end
  end
  local h = p.maps.hists[0]
  p.maps.hists[0] = nil
  if h then tool.print_log2_hist(h, units, { func = o.func }) end
end

p.progs.entry:attach { binary = path, offset = off, pid = o.pid }
p.progs.leave:attach { binary = path, offset = off, retprobe = true, pid = o.pid }
t:say("Tracing %s.  Hit Ctrl-C to exit", o.func)
t:run { interval = o.interval, duration = o.duration, tick = report, done = function()
  report()
  t:say("Exiting trace of %s", o.func)
end }
