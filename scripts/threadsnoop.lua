#!/usr/bin/env pktlua
-- threadsnoop.lua — list new threads: pthread_create() calls and their start routines
-- usage: pktlua -t threadsnoop [-h] [-p PID] [--libc PATH]
-- ci: --duration 1
-- ci-expect: TIME                PID COMM             FUNC
--
-- As bpftrace's threadsnoop.bt (no BCC version): a uprobe on libc's
-- pthread_create; FUNC is the start routine (arg 3), by symbol when
-- pktlua can name it, else its address.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local elf = require "pktlua.elf"

local t = tool.new {
  name = "threadsnoop",
  about = "List new thread creation",
  options = {
    { "-p", "--pid", "PID", "process ID to trace", type = "int" },
    { nil, "--libc", "PATH", "the C library to probe", default = "libc.so.6" },
  },
  examples = {
    { "threadsnoop", "every pthread_create() on the system" },
    { "threadsnoop -p 181", "only PID 181" },
  },
  notes = [[
Hook: uprobe on pthread_create in libc.so.6 (glibc 2.34+ has it there; older
ones in libpthread.so.0: --libc libpthread.so.0). Threads made without
pthread_create (raw clone, Go) are not seen.]],
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>
#include <pktlua/stack.h>

struct event { __u64 ts, func; __u32 pid, tid; int ustack; char comm[16]; };
PKTLUA_RINGBUF(events, 256 << 10);
/* Why a stack: taking one marks the process, so <pktlua/stack.h> keeps its
 * mappings if it exits before the event is printed, and FUNC still has a name. */
PKTLUA_STACKS(stacks, 1024);

SEC("uprobe")
int BPF_KPROBE(pthread_create, void *thread, void *attr, void *start)
{
	if (tool_skip())
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct event e = { .ts = bpf_ktime_get_ns(), .func = (__u64)start,
			   .pid = id >> 32, .tid = (__u32)id };
	e.ustack = pktlua_stack_user(ctx, &stacks);
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}
]], globals = t:globals() }

local out = t:columns {
  { "TIME", "%-15s", "time" },
  { "PID", "%7d", "pid" },
  { "COMM", "%-16s", "comm" },
  { "FUNC", "%s", "func" },
}
local real_minus_mono = bpf.clock("realtime") - bpf.clock()
bpf.on(p.maps.events, function(e)
  local ns = e.ts + real_minus_mono
  local time = os.date("%H:%M:%S", ns // 1000000000) .. (".%06d"):format(ns % 1000000000 // 1000)
  tool.ustack(p.maps.stacks, e.ustack, e.pid)     -- reads the exit records first
  out:row { time = time, pid = e.pid, tid = e.tid, comm = e.comm,
            func = tool.usym(e.pid, e.func), addr = e.func }
end, "struct event")

local lib, err = elf.find(o.libc)
if not lib then t:fail("--libc: " .. err) end
local off = elf.offset(lib, "pthread_create")
if not off then t:fail(lib .. " has no pthread_create (try --libc libpthread.so.0)") end
p.progs.pthread_create:attach { binary = lib, offset = off }
out:header()
t:run()
