#!/usr/bin/env pktlua
-- killsnoop.lua — trace signals sent by the kill() syscall, with their result
-- usage: pktlua -t killsnoop [-h] [-x] [-p PID] [-T TPID] [-s SIGNAL]
-- ci: --duration 1
-- ci-expect: TIME      PID     COMM             SIG  TPID    RESULT
--
-- As BCC's killsnoop, on syscalls:sys_enter_kill/sys_exit_kill (BCC uses a
-- kprobe on the syscall; the tracepoints see the same calls).
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t
t = tool.new {
  name = "killsnoop",
  about = "Trace signals issued by the kill() syscall",
  options = {
    { "-x", "--failed", nil, "only show failed kill syscalls" },
    { "-p", "--pid", "PID", "trace this PID only which is the sender of signal", type = "int" },
    { "-T", "--tpid", "TPID", "trace this TPID only which is the target of signal", type = "int" },
    { "-s", "--signal", "SIGNAL", "trace this signal only (a number or a name: 9, KILL, SIGKILL)",
      check = function(v) if not tool.signal_number(v) then return "no such signal" end end },
  },
  examples = {
    { "killsnoop", "trace all kill() signals" },
    { "killsnoop -x", "only show failed kills" },
    { "killsnoop -p 181", "only trace PID 181" },
    { "killsnoop -T 189", "only trace target PID 189" },
    { "killsnoop -s 9", "only trace signal 9" },
  },
  notes = "Hooks: syscalls:sys_enter_kill/sys_exit_kill (BCC: a kprobe on the kill syscall).",
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile bool failed_only = false;
const volatile int targ_tpid = 0;
const volatile int targ_sig = 0;

struct val { __u64 ts; __u32 pid; int tpid, sig; char comm[16]; };
struct event { __u32 pid; int tpid, sig, ret; char comm[16]; };
PKTLUA_HASH(start, __u32, struct val, 10240);
PKTLUA_RINGBUF(events, 256 << 10);

SEC("tracepoint/syscalls/sys_enter_kill")
int enter_kill(struct trace_event_raw_sys_enter *ctx)
{
	int tpid = ctx->args[0], sig = ctx->args[1];
	if (tool_skip())
		return 0;
	if (targ_tpid && tpid != targ_tpid)
		return 0;
	if (targ_sig && sig != targ_sig)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct val v = { .pid = id >> 32, .tpid = tpid, .sig = sig };
	bpf_get_current_comm(v.comm, sizeof(v.comm));
	bpf_map_update_elem(&start, &tid, &v, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_kill")
int exit_kill(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct val *v = bpf_map_lookup_elem(&start, &tid);
	if (!v)
		return 0;
	int ret = ctx->ret;
	if (!failed_only || ret < 0) {
		struct event e = { .pid = v->pid, .tpid = v->tpid, .sig = v->sig, .ret = ret };
		__builtin_memcpy(e.comm, v->comm, sizeof(e.comm));
		pktlua_emit(&events, &e, sizeof(e));
	}
	bpf_map_delete_elem(&start, &tid);
	return 0;
}
]], globals = t:globals { failed_only = o.failed, targ_tpid = o.tpid,
                          targ_sig = o.signal and tool.signal_number(o.signal) } }

local out = t:columns {
  { "TIME", "%-9s", "time" },
  { "PID", "%-7d", "pid" },
  { "COMM", "%-16s", "comm" },
  { "SIG", "%-4d", "sig" },
  { "TPID", "%-7d", "tpid" },
  { "RESULT", "%d", "result" },
}

bpf.on(p.maps.events, function(e)
  out:row { time = tool.hms(), pid = e.pid, comm = e.comm, sig = e.sig, tpid = e.tpid,
            result = e.ret, signal = tool.signal_name(e.sig) }
end, "struct event")

p:attach()
out:header()
t:run()
