#!/usr/bin/env pktlua
-- exitsnoop.lua — trace process exits: exit code or killing signal, and age
-- usage: pktlua -t exitsnoop [-h] [-t] [-x] [-p PID] [-T]
-- ci: --duration 1
-- ci-expect: PCOMM            PID     PPID    TID     AGE(s)  EXIT_CODE
--
-- As BCC's libbpf-tools exitsnoop: sched:sched_process_exit, the exiting
-- task's exit_code (code << 8 | signal, 0x80: core dumped) and start time.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "exitsnoop",
  about = "Trace process termination",
  options = {
    { "-t", "--timestamp", nil, "include timestamp on output (HH:MM:SS)" },
    { "-x", "--failed", nil, "trace error exits only" },
    { "-p", "--pid", "PID", "process ID to trace", type = "int" },
    { "-T", "--threaded", nil, "trace by thread (every thread's exit)" },
  },
  examples = {
    { "exitsnoop", "trace all process termination" },
    { "exitsnoop -x", "trace only fails, exclude exit(0)" },
    { "exitsnoop -t", "include timestamp (local time)" },
    { "exitsnoop -p 181", "only trace PID 181" },
    { "exitsnoop -T", "trace by thread" },
  },
  notes = "Same hook as BCC: sched:sched_process_exit.",
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile bool trace_failed_only = false;
const volatile bool trace_by_process = true;

struct event {
	__u64 start_time, exit_time;
	__u32 pid, tid, ppid;
	int sig, exit_code;
	char comm[16];
};
PKTLUA_RINGBUF(events, 256 << 10);

SEC("tracepoint/sched/sched_process_exit")
int sched_process_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;

	if (tool_skip())
		return 0;
	if (trace_by_process && pid != tid)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	int exit_code = BPF_CORE_READ(task, exit_code);
	if (trace_failed_only && exit_code == 0)
		return 0;
	struct event e = {};
	e.start_time = BPF_CORE_READ(task, start_time);
	e.exit_time = bpf_ktime_get_ns();
	e.pid = pid;
	e.tid = tid;
	e.ppid = BPF_CORE_READ(task, real_parent, tgid);
	e.sig = exit_code & 0xff;
	e.exit_code = exit_code >> 8;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}
]], globals = t:globals { trace_failed_only = o.failed, trace_by_process = not o.threaded } }

local function exit_text(code, sig)
  if sig == 0 then return code == 0 and "0" or ("code %d"):format(code) end
  local s, core = sig & 0x7f, sig & 0x80 ~= 0
  local txt = s ~= 0 and ("signal %d (%s)"):format(s, tool.signal_description(s)) or ""
  if core then txt = txt .. ", core dumped" end
  return txt
end

local out = t:columns {
  o.timestamp and { "TIME", "%8s", "time" },
  { "PCOMM", "%-16s", "comm" },
  { "PID", "%-7d", "pid" },
  { "PPID", "%-7d", "ppid" },
  { "TID", "%-7d", "tid" },
  { "AGE(s)", "%-7.2f", "age" },
  { "EXIT_CODE", "%s", "exit", fn = function(_, r) return exit_text(r.code, r.sig_raw) end },
}

bpf.on(p.maps.events, function(e)
  local sig = e.sig & 0x7f
  out:row({ time = tool.hms(), comm = e.comm, pid = e.pid, ppid = e.ppid, tid = e.tid,
            age = (e.exit_time - e.start_time) / 1e9, code = e.exit_code,
            signal = sig ~= 0 and sig or nil, core = e.sig & 0x80 ~= 0 or nil, sig_raw = e.sig,
            exit = exit_text(e.exit_code, e.sig) })
end, "struct event")

p:attach()
out:header()
t:run()
