#!/usr/bin/env pktlua
-- statsnoop.lua — trace stat() family syscalls: who looked up which path, and the result
-- usage: pktlua -t statsnoop [-h] [-p PID] [-x] [-t] [-s]
-- ci: --duration 1
-- ci-expect: PID     COMM                 RET  ERR  PATH
--
-- As BCC's libbpf-tools statsnoop: sys_enter/sys_exit of statfs, newstat,
-- newlstat, newfstatat and statx.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "statsnoop",
  about = "Trace stat syscalls",
  options = {
    { "-p", "--pid", "PID", "process ID to trace", type = "int" },
    { "-x", "--failed", nil, "only show failed stats" },
    { "-t", "--timestamp", nil, "include timestamp on output" },
    { "-s", "--sysname", nil, "include syscall name on output" },
  },
  examples = {
    { "statsnoop", "trace all stat syscalls" },
    { "statsnoop -t", "include timestamps" },
    { "statsnoop -x", "only show failed stats" },
    { "statsnoop -p 1216", "only trace PID 1216" },
    { "statsnoop -s", "include the syscall's name" },
  },
  notes = [[
Same hooks as BCC: syscalls:sys_enter/sys_exit of statfs, newstat, newlstat,
newfstatat and statx. PATH is the path as passed ("" with AT_EMPTY_PATH).]],
}
local o = t:parse(arg)

local names = { "statfs", "newstat", "newlstat", "newfstatat", "statx" }
local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile bool trace_failed_only = false;

struct value { const char *path; int type; };
struct event { __u64 ts; __u32 pid; int ret, type; char comm[16]; char path[256]; };
PKTLUA_HASH(values, __u32, struct value, 10240);
PKTLUA_RINGBUF(events, 1 << 20);

static __always_inline int enter(const char *path, int type)
{
	if (tool_skip())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct value v = { .path = path, .type = type };
	bpf_map_update_elem(&values, &tid, &v, BPF_ANY);
	return 0;
}

static __always_inline int leave(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct value *v = bpf_map_lookup_elem(&values, &tid);
	if (!v)
		return 0;
	if (trace_failed_only && ret >= 0)
		goto out;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		pktlua__count_lost(&events);
		goto out;
	}
	e->ts = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->ret = ret;
	e->type = v->type;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (bpf_probe_read_user_str(e->path, sizeof(e->path), v->path) < 0)
		e->path[0] = 0;
	bpf_ringbuf_submit(e, 0);
out:
	bpf_map_delete_elem(&values, &tid);
	return 0;
}

#define PAIR(name, n, arg)                                                           \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                  \
	int enter_##name(struct trace_event_raw_sys_enter *ctx)                      \
	{ return enter((const char *)ctx->args[arg], n); }                            \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                   \
	int exit_##name(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }

PAIR(statfs, 1, 0)
PAIR(newstat, 2, 0)
PAIR(newlstat, 3, 0)
PAIR(newfstatat, 4, 1)
PAIR(statx, 5, 1)
PKTLUA_EVENT_TYPE(struct event);
]], globals = t:globals { trace_failed_only = o.failed } }

local out = t:columns {
  o.timestamp and { "TIME(s)", "%-14.9f", "timestamp" },
  { "PID", "%-7d", "pid" },
  { "COMM", "%-20s", "comm" },
  { "RET", "%-4d", "ret" },
  { "ERR", "%-4d", "err" },
  o.sysname and { "SYSCALL", "%-10s", "syscall" },
  { "PATH", "%s", "path" },
}

bpf.on(p.maps.events, function(e)
  out:row { timestamp = tool.since(e.ts), pid = e.pid, comm = e.comm,
            ret = e.ret >= 0 and e.ret or -1, err = e.ret < 0 and -e.ret or 0,
            syscall = names[e.type], path = e.path }
end, "struct event")

p:attach()
tool.mark_start()
out:header()
t:run()
