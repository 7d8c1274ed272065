#!/usr/bin/env pktlua
-- offcputime.lua — time spent off CPU (blocked, sleeping, preempted), by stack (BCC's offcputime)
-- usage: pktlua scripts/offcputime.lua [-p PID] [-U|-K] [-m MIN_US] [-f [-a]] [--svg FILE]
--                                      [--stack-storage-size N] [duration]
--        -p PID     only this process (default: every process but the idle task)
--        -U / -K    user / kernel stacks only (default both)
--        -m MIN_US  ignore off-CPU spells shorter than this (default 1)
--        -f         folded output ("comm;outer;...;inner usecs"), for flame graphs
--        -a         with -f: mark kernel frames with _[k]
--        --svg FILE also write an off-CPU flame graph (SVG) to FILE
--        duration   seconds (default: until Ctrl-C)
-- ci: -p 1 -K 1
-- ci-expect: Tracing off-CPU time (us) of PID 1 by kernel stack for 1 secs.
--
-- At each context switch (tp_btf/sched_switch: kprobes are absent here) the
-- task leaving the CPU has its stacks taken and the time noted; when it comes
-- back, the time it was away is added to that stack. Totals in microseconds,
-- printed as bpftrace prints @[kstack, ustack, comm] = sum(us), least first.
local bpf = require "pktlua"
local stack = require "pktlua.stack"

local USAGE = [==[
usage: pktlua scripts/offcputime.lua [-p PID] [-U|-K] [-m MIN_US] [-f [-a]] [--svg FILE]
                                     [--stack-storage-size N] [duration]
Off-CPU time by stack (microseconds), printed when the duration ends or on Ctrl-C.
  -p PID      only this process          -m MIN_US  ignore shorter spells (default 1)
  -U          user stacks only           -K         kernel stacks only
  -f          folded output (for flame graphs)
  -a          with -f: kernel frames get _[k]
  --svg FILE  also write a flame graph to FILE
  --stack-storage-size N   stack map entries (default 16384)
]==]

local function usage(msg)
  if msg then io.stderr:write("offcputime: ", msg, "\n") end
  io.stderr:write(USAGE)
  os.exit(msg and 2 or 0)
end

local o = { min_us = 1, storage = 16384 }
local i = 1
while i <= #arg do
  local a = arg[i]
  local function num()
    i = i + 1
    local v = math.tointeger(tonumber(arg[i] or ""))
    if not v or v < 0 then usage(a .. " needs a non-negative integer") end
    return v
  end
  if a == "-h" or a == "--help" then usage()
  elseif a == "-p" then o.pid = num()
  elseif a == "-U" then o.user_only = true
  elseif a == "-K" then o.kernel_only = true
  elseif a == "-m" then o.min_us = num()
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
PKTLUA_HASH(usecs, struct pktlua_stack_key, __u64, STORAGE);
PKTLUA_ARRAY(cfg, __u64, 2);         /* [0]: the pid (0: all), [1]: minimum ns */

struct away { __u64 ts; struct pktlua_stack_key key; };
PKTLUA_HASH(start, __u32, struct away, 65536);   /* by thread id */

SEC("tp_btf/sched_switch")
int BPF_PROG(switched, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0, one = 1;
	__u64 *pid = bpf_map_lookup_elem(&cfg, &zero), *min = bpf_map_lookup_elem(&cfg, &one);
	__u64 now = bpf_ktime_get_ns();
	if (!pid || !min)
		return 0;
	/* PREV leaves the CPU: this is its context, so its stacks are current. */
	__u32 tgid = prev->tgid, tid = prev->pid;
	if (tgid && (!*pid || tgid == *pid)) {
		struct away a = { .ts = now };
		pktlua_stack_key(ctx, &stacks, &a.key, WHICH);
		bpf_map_update_elem(&start, &tid, &a, BPF_ANY);
	}
	/* NEXT comes back: charge the time away to the stack it left with. */
	tid = next->pid;
	struct away *a = bpf_map_lookup_elem(&start, &tid);
	if (!a)
		return 0;
	__u64 delta = now - a->ts;
	struct pktlua_stack_key key = a->key;
	bpf_map_delete_elem(&start, &tid);
	if (delta >= *min)
		PKTLUA_ADD(usecs, &key, delta / 1000);
	return 0;
}
]],
  defines = {
    STORAGE = o.storage,
    WHICH = o.user_only and "PKTLUA_STACK_USER" or o.kernel_only and "PKTLUA_STACK_KERNEL"
      or "(PKTLUA_STACK_KERNEL | PKTLUA_STACK_USER)",
  },
}
p.maps.cfg[0] = o.pid or 0
p.maps.cfg[1] = o.min_us * 1000
p:attach()

io.stderr:write(("Tracing off-CPU time (us) of %s by %s stack%s"):format(
  o.pid and "PID " .. o.pid or "all threads",
  o.user_only and "user" or o.kernel_only and "kernel" or "user + kernel",
  o.duration and (" for %d secs.\n"):format(o.duration) or "... Hit Ctrl-C to end.\n"))

local function report()
  stack.report(p.maps.usecs, p.maps.stacks, { user_only = o.user_only, kernel_only = o.kernel_only,
    annotate = o.annotate, folded = o.folded, svg = o.svg, tool = "offcputime",
    title = "Off-CPU Time Flame Graph", unit = "us", trim = true })
end

bpf.at_exit(report)
bpf.run(o.duration)
