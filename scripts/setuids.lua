#!/usr/bin/env pktlua
-- setuids.lua — trace the setuid syscalls: privilege changes, with arguments and result
-- usage: pktlua -t setuids [-h] [-p PID]
-- ci: --duration 1
-- ci-expect: TIME     PID    COMM             UID    SYSCALL   ARGS (RET)
--
-- As bpftrace's setuids.bt (there is no BCC setuids): sys_enter/sys_exit
-- of setuid, setfsuid, setreuid and setresuid.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "setuids",
  about = "Trace the setuid(2) family syscalls: privilege escalation",
  options = {
    { "-p", "--pid", "PID", "process ID to trace", type = "int" },
  },
  examples = {
    { "setuids", "trace setuid, setfsuid, setreuid and setresuid" },
    { "setuids -p 181", "only PID 181" },
  },
  notes = "Hooks as bpftrace's setuids.bt, plus setreuid.",
}
local o = t:parse(arg)

local calls = { "setuid", "setfsuid", "setreuid", "setresuid" }
local p = bpf.load { src = [[
#include <pktlua/tool.h>

struct args { int call; __u32 uid; int a, b, c; };
struct event { __u32 pid, uid; int call, a, b, c, ret; char comm[16]; };
PKTLUA_HASH(pending, __u32, struct args, 10240);
PKTLUA_RINGBUF(events, 256 << 10);

static __always_inline int enter(int call, int a, int b, int c)
{
	if (tool_skip())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct args v = { .call = call, .uid = (__u32)bpf_get_current_uid_gid(),
			  .a = a, .b = b, .c = c };
	bpf_map_update_elem(&pending, &tid, &v, BPF_ANY);
	return 0;
}

static __always_inline int leave(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct args *v = bpf_map_lookup_elem(&pending, &tid);
	if (!v)
		return 0;
	struct event e = { .pid = id >> 32, .uid = v->uid, .call = v->call,
			   .a = v->a, .b = v->b, .c = v->c, .ret = ret };
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	pktlua_emit(&events, &e, sizeof(e));
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_setuid")
int e1(struct trace_event_raw_sys_enter *ctx) { return enter(1, ctx->args[0], 0, 0); }
SEC("tracepoint/syscalls/sys_enter_setfsuid")
int e2(struct trace_event_raw_sys_enter *ctx) { return enter(2, ctx->args[0], 0, 0); }
SEC("tracepoint/syscalls/sys_enter_setreuid")
int e3(struct trace_event_raw_sys_enter *ctx) { return enter(3, ctx->args[0], ctx->args[1], 0); }
SEC("tracepoint/syscalls/sys_enter_setresuid")
int e4(struct trace_event_raw_sys_enter *ctx) { return enter(4, ctx->args[0], ctx->args[1], ctx->args[2]); }
SEC("tracepoint/syscalls/sys_exit_setuid")
int x1(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_setfsuid")
int x2(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_setreuid")
int x3(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_setresuid")
int x4(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
]], globals = t:globals() }

local function args_text(r)
  local c = r.syscall
  if c == "setuid" then return ("uid=%d (%d)"):format(r.args[1], r.ret) end
  if c == "setfsuid" then return ("uid=%d (prevuid=%d)"):format(r.args[1], r.ret) end
  if c == "setreuid" then return ("ruid=%d euid=%d (%d)"):format(r.args[1], r.args[2], r.ret) end
  return ("ruid=%d euid=%d suid=%d (%d)"):format(r.args[1], r.args[2], r.args[3], r.ret)
end

local out = t:columns {
  { "TIME", "%-8s", "time" },
  { "PID", "%-6d", "pid" },
  { "COMM", "%-16s", "comm" },
  { "UID", "%-6d", "uid" },
  { "SYSCALL", "%-9s", "syscall" },
  { "ARGS (RET)", "%s", "text" },
}

bpf.on(p.maps.events, function(e)
  local r = { time = tool.hms(), pid = e.pid, comm = e.comm, uid = e.uid,
              syscall = calls[e.call], ret = e.ret }
  r.args = ({ { e.a }, { e.a }, { e.a, e.b }, { e.a, e.b, e.c } })[e.call]
  r.text = args_text(r)
  out:row(r)
end, "struct event")

p:attach()
t:say("Tracing setuid(2) family syscalls. Hit Ctrl-C to end.")
out:header()
t:run()
