#!/usr/bin/env pktlua
-- profile.lua — on-CPU stacks, sampled at a fixed frequency (BCC's profile)
-- usage: pktlua scripts/profile.lua [-p PID] [-F HZ] [-U|-K] [-I] [-f [-a]] [--svg FILE]
--                                   [--stack-storage-size N] [duration]
--        -p PID     only this process (default: every process but the idle task)
--        -F HZ      samples per second on each CPU (default 49)
--        -U / -K    user / kernel stacks only (default both)
--        -I         include the idle task (pid 0)
--        -f         folded output ("comm;outer;...;inner count"), for flamegraph.pl
--        -a         with -f: mark kernel frames with _[k]
--        --svg FILE also write a flame graph (SVG) to FILE
--        duration   seconds (default: until Ctrl-C)
-- ci: -K -F 49 1
-- ci-expect: Sampling at 49 Hertz of all threads by kernel stack for 1 secs.
--
-- A perf_event program samples each CPU; <pktlua/stack.h> keys each sample
-- by process, kernel stack and user stack. Stacks print as bpftrace prints
-- @[kstack, ustack, comm] = count(), least frequent first; processes that
-- exit before the end still resolve (the header's exit hook keeps their
-- mappings).
local bpf = require "pktlua"
local stack = require "pktlua.stack"

local USAGE = [==[
usage: pktlua scripts/profile.lua [-p PID] [-F HZ] [-U|-K] [-I] [-f [-a]] [--svg FILE]
                                  [--stack-storage-size N] [duration]
On-CPU stacks sampled at HZ (default 49) per CPU, printed with counts when the
duration ends or on Ctrl-C.
  -p PID      only this process          -F HZ   samples per second (default 49)
  -U          user stacks only           -K      kernel stacks only
  -I          include the idle task      -f      folded output (for flame graphs)
  -a          with -f: kernel frames get _[k]
  --svg FILE  also write a flame graph to FILE
  --stack-storage-size N   stack map entries (default 16384)
]==]

local function usage(msg)
  if msg then io.stderr:write("profile: ", msg, "\n") end
  io.stderr:write(USAGE)
  os.exit(msg and 2 or 0)
end

local o = { hz = 49, storage = 16384 }
local i = 1
while i <= #arg do
  local a = arg[i]
  local function num()
    i = i + 1
    local v = math.tointeger(tonumber(arg[i] or ""))
    if not v or v <= 0 then usage(a .. " needs a positive integer") end
    return v
  end
  if a == "-h" or a == "--help" then usage()
  elseif a == "-p" then o.pid = num()
  elseif a == "-F" then o.hz = num()
  elseif a == "-U" then o.user_only = true
  elseif a == "-K" then o.kernel_only = true
  elseif a == "-I" then o.idle = true
  elseif a == "-f" then o.folded = true
  elseif a == "-a" then o.annotate = true
  elseif a == "--svg" then i = i + 1; o.svg = arg[i] or usage("--svg needs a file")
  elseif a == "--stack-storage-size" then o.storage = num()
  elseif a:match("^%d+$") and not o.duration then o.duration = tonumber(a)
  else usage("unknown argument '" .. a .. "'") end
  i = i + 1
end
if o.user_only and o.kernel_only then usage("-U and -K do not go together") end
if o.pid and not io.open("/proc/" .. o.pid .. "/stat") then usage("no process " .. o.pid) end

local p = bpf.load {
  src = [[
#include <pktlua/stack.h>
PKTLUA_STACKS(stacks, STORAGE);
PKTLUA_HASH(counts, struct pktlua_stack_key, __u64, STORAGE);
PKTLUA_ARRAY(target, __u32, 2);     /* [0]: the pid (0: all), [1]: include idle */

SEC("perf_event") int sample(void *ctx)
{
	__u32 zero = 0, one = 1, *pid = bpf_map_lookup_elem(&target, &zero);
	__u32 *idle = bpf_map_lookup_elem(&target, &one);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!pid || !idle || (*pid && tgid != *pid) || (!tgid && !*idle))
		return 0;
	struct pktlua_stack_key k;
	pktlua_stack_key(ctx, &stacks, &k, WHICH);
	PKTLUA_ADD(counts, &k, 1);
	return 0;
}
]],
  defines = {
    STORAGE = o.storage,
    WHICH = o.user_only and "PKTLUA_STACK_USER" or o.kernel_only and "PKTLUA_STACK_KERNEL"
      or "(PKTLUA_STACK_KERNEL | PKTLUA_STACK_USER)",
  },
}
p.maps.target[0] = o.pid or 0
p.maps.target[1] = o.idle and 1 or 0
p.progs.sample:attach { freq = o.hz }

io.stderr:write(("Sampling at %d Hertz of %s by %s stack%s"):format(o.hz,
  o.pid and "PID " .. o.pid or "all threads",
  o.user_only and "user" or o.kernel_only and "kernel" or "user + kernel",
  o.duration and (" for %d secs.\n"):format(o.duration) or "... Hit Ctrl-C to end.\n"))

local function report()
  stack.report(p.maps.counts, p.maps.stacks, { user_only = o.user_only, kernel_only = o.kernel_only,
    annotate = o.annotate, folded = o.folded, svg = o.svg, tool = "profile",
    title = "CPU Flame Graph (profile -F " .. o.hz .. ")" })
end

bpf.at_exit(report)
bpf.run(o.duration)
