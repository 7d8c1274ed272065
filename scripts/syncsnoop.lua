#!/usr/bin/env pktlua
-- syncsnoop.lua — trace sync() family syscalls: who flushes data to disk
-- usage: pktlua -t syncsnoop [-h] [-p PID]
-- ci: --duration 1
-- ci-expect: TIME(s)            COMM             CALL
--
-- As BCC's libbpf-tools syncsnoop: sys_enter of sync, syncfs, fsync,
-- fdatasync, msync and sync_file_range.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "syncsnoop",
  about = "Trace sync syscalls",
  options = { { "-p", "--pid", "PID", "process ID to trace", type = "int" } },
  examples = {
    { "syncsnoop", "trace sync syscalls" },
    { "syncsnoop -p 181", "only PID 181" },
  },
  notes = "Same hooks as BCC: syscalls:sys_enter_{sync,syncfs,fsync,fdatasync,msync,sync_file_range}.",
}
local o = t:parse(arg)

local calls = { "sync", "syncfs", "fsync", "fdatasync", "msync", "sync_file_range" }
local p = bpf.load { src = [[
#include <pktlua/tool.h>

struct event { __u64 ts; __u32 pid; int call; char comm[16]; };
PKTLUA_RINGBUF(events, 256 << 10);

static __always_inline int emit(int call)
{
	if (tool_skip())
		return 0;
	struct event e = { .ts = bpf_ktime_get_ns(), .pid = bpf_get_current_pid_tgid() >> 32,
			   .call = call };
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_sync") int s1(void *ctx) { return emit(1); }
SEC("tracepoint/syscalls/sys_enter_syncfs") int s2(void *ctx) { return emit(2); }
SEC("tracepoint/syscalls/sys_enter_fsync") int s3(void *ctx) { return emit(3); }
SEC("tracepoint/syscalls/sys_enter_fdatasync") int s4(void *ctx) { return emit(4); }
SEC("tracepoint/syscalls/sys_enter_msync") int s5(void *ctx) { return emit(5); }
SEC("tracepoint/syscalls/sys_enter_sync_file_range") int s6(void *ctx) { return emit(6); }
]], globals = t:globals() }

local out = t:columns {
  { "TIME(s)", "%-18.9f", "ts" },
  { "COMM", "%-16s", "comm" },
  { "CALL", "%s", "call" },
}
bpf.on(p.maps.events, function(e)
  out:row { ts = e.ts / 1e9, comm = e.comm, pid = e.pid, call = calls[e.call] }
end, "struct event")

p:attach()
out:header()
t:run()
