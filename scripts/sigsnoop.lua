#!/usr/bin/env pktlua
-- sigsnoop.lua — trace signals generated system wide: sender, target, result
-- usage: pktlua -t sigsnoop [-h] [-x] [-k] [-p PID] [-s SIGNAL[,SIGNAL...]] [-n]
-- ci: --duration 1
-- ci-expect: TIME     PID     COMM             SIG          TPID    TCOMM            RESULT
--
-- As BCC's libbpf-tools sigsnoop: signal:signal_generate (every signal,
-- from kill(), the kernel, timers...), or with -k the kill/tkill/tgkill
-- syscalls only.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local function parse_signals(s)
  local mask = 0
  for item in s:gmatch("[^,]+") do
    local n = tool.signal_number(item)
    if not n or n < 1 or n > 64 then return nil, item end
    mask = mask | (1 << (n - 1))
  end
  return mask
end

local t = tool.new {
  name = "sigsnoop",
  about = "Trace standard and real-time signals",
  options = {
    { "-x", "--failed", nil, "trace failed signals only" },
    { "-k", "--kill", nil, "trace signals issued by kill syscalls only" },
    { "-p", "--pid", "PID", "process ID (sender) to trace", type = "int" },
    { "-s", "--signal", "SIGNAL", "signals to trace: numbers or names, comma-separated",
      check = function(v) local m, bad = parse_signals(v); if not m then return "no signal '" .. bad .. "'" end end },
    { "-n", "--name", nil, "output signal name instead of signal number" },
  },
  examples = {
    { "sigsnoop", "trace signals system-wide" },
    { "sigsnoop -k", "trace signals issued by kill syscall only" },
    { "sigsnoop -x", "trace failed signals only" },
    { "sigsnoop -p 1216", "only trace PID 1216" },
    { "sigsnoop -s 1,9,15", "trace signal 1, 9, 15" },
    { "sigsnoop -s TERM,KILL -n", "trace SIGTERM and SIGKILL, by name" },
  },
  notes = [[
Same hooks as BCC: signal:signal_generate; -k: syscalls:sys_enter/exit of kill,
tkill and tgkill. RESULT is 0 or the negative errno (-k), or the tracepoint's
errno (without -k, as BCC).]],
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile bool failed_only = false;
const volatile bool kill_only = false;
const volatile __u64 target_signals = 0;

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

struct event { __u32 pid, tpid; int sig, ret; char comm[16], tcomm[16]; };
PKTLUA_HASH(values, __u32, struct event, 10240);
PKTLUA_RINGBUF(events, 256 << 10);

static __always_inline bool wanted(int sig)
{
	if (!target_signals)
		return true;
	if (sig < 1 || sig > 64)
		return false;
	return target_signals & (1ULL << (sig - 1));
}

static __always_inline int probe_entry(int tpid, int sig)
{
	if (!kill_only || !wanted(sig) || tool_skip())
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct event e = { .pid = id >> 32, .tpid = tpid, .sig = sig };
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	if (tpid > 0) {
		struct task_struct *task = bpf_task_from_pid(tpid);
		if (task) {
			bpf_probe_read_kernel_str(e.tcomm, sizeof(e.tcomm), task->comm);
			bpf_task_release(task);
		}
	}
	bpf_map_update_elem(&values, &tid, &e, BPF_ANY);
	return 0;
}

static __always_inline int probe_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *e = bpf_map_lookup_elem(&values, &tid);
	if (!e)
		return 0;
	if (!failed_only || ret < 0) {
		e->ret = ret;
		pktlua_emit(&events, e, sizeof(*e));
	}
	bpf_map_delete_elem(&values, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_kill")
int kill_entry(struct trace_event_raw_sys_enter *ctx) { return probe_entry(ctx->args[0], ctx->args[1]); }
SEC("tracepoint/syscalls/sys_exit_kill")
int kill_exit(struct trace_event_raw_sys_exit *ctx) { return probe_exit(ctx->ret); }
SEC("tracepoint/syscalls/sys_enter_tkill")
int tkill_entry(struct trace_event_raw_sys_enter *ctx) { return probe_entry(ctx->args[0], ctx->args[1]); }
SEC("tracepoint/syscalls/sys_exit_tkill")
int tkill_exit(struct trace_event_raw_sys_exit *ctx) { return probe_exit(ctx->ret); }
SEC("tracepoint/syscalls/sys_enter_tgkill")
int tgkill_entry(struct trace_event_raw_sys_enter *ctx) { return probe_entry(ctx->args[1], ctx->args[2]); }
SEC("tracepoint/syscalls/sys_exit_tgkill")
int tgkill_exit(struct trace_event_raw_sys_exit *ctx) { return probe_exit(ctx->ret); }

SEC("tracepoint/signal/signal_generate")
int sig_trace(struct trace_event_raw_signal_generate *ctx)
{
	if (kill_only)
		return 0;
	int ret = ctx->errno, sig = ctx->sig;
	if (failed_only && ret == 0)
		return 0;
	if (!wanted(sig) || tool_skip())
		return 0;
	struct event e = { .pid = bpf_get_current_pid_tgid() >> 32, .tpid = ctx->pid,
			   .sig = sig, .ret = ret };
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_probe_read_kernel(e.tcomm, sizeof(e.tcomm), ctx->comm);
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}
]], globals = t:globals { failed_only = o.failed, kill_only = o.kill,
                          target_signals = o.signal and parse_signals(o.signal) } }

local out = t:columns {
  { "TIME", "%-8s", "time" },
  { "PID", "%-7d", "pid" },
  { "COMM", "%-16s", "comm" },
  { "SIG", o.name and "%-12s" or "%-12d", o.name and "signal" or "sig" },
  { "TPID", "%-7d", "tpid" },
  { "TCOMM", "%-16s", "tcomm" },
  { "RESULT", "%-6d", "result" },
}

bpf.on(p.maps.events, function(e)
  out:row { time = tool.hms(), pid = e.pid, comm = e.comm, sig = e.sig,
            signal = tool.signal_name(e.sig), tpid = e.tpid,
            tcomm = e.tcomm ~= "" and e.tcomm or "N/A", result = e.ret }
end, "struct event")

p:attach()
out:header()
t:run()
