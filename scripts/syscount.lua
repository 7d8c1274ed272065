#!/usr/bin/env pktlua
-- syscount.lua — count system calls (or processes making them), with latency
-- usage: pktlua -t syscount [-h] [-p PID] [-i INTERVAL] [-d DURATION] [-T TOP] [-x] [-e ERRNO] [-L] [-m] [-P] [-l]
-- ci: -d 1 -L
-- ci-expect: SYSCALL                   COUNT        TIME (us)
--
-- As BCC's libbpf-tools syscount: raw_syscalls:sys_exit counts, and with -L
-- raw_syscalls:sys_enter times each call. Counts by syscall live in a
-- per-CPU array indexed by the syscall number (no hash lookup, no atomic
-- add on the hot path); -P counts by process in a hash.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local syscalls = require "pktlua.syscalls"

local errno_numbers = {}
for i = 1, 133 do errno_numbers[tool.errno_name(i)] = i end

local t = tool.new {
  name = "syscount",
  about = "Summarize syscall counts and latencies",
  options = {
    { "-p", "--pid", "PID", "process PID to trace", type = "int" },
    { "-i", "--interval", "INTERVAL", "print summary at this interval (seconds), 0 for infinite wait (default)",
      type = "int" },
    { "-d", "--duration", "DURATION", "total tracing duration (seconds)", type = "number" },
    { "-T", "--top", "TOP", "print only the top syscalls (default 10)", type = "int", default = 10 },
    { "-x", "--failures", nil, "trace only failed syscalls" },
    { "-L", "--latency", nil, "collect syscall latency" },
    { "-m", "--milliseconds", nil, "display latency in milliseconds (default: microseconds)" },
    { "-P", "--process", nil, "count by process and not by syscall" },
    { "-e", "--errno", "ERRNO", "trace only syscalls that return this error (numeric or EPERM, etc.)",
      check = function(v) if not (math.tointeger(tonumber(v)) or errno_numbers[v]) then return "unknown errno" end end },
    { "-l", "--list", nil, "print list of recognized syscalls and exit" },
  },
  examples = {
    { "syscount", "trace and summarize all syscalls" },
    { "syscount -p 123", "only trace PID 123" },
    { "syscount -i 5", "print summary every 5 seconds" },
    { "syscount -d 10", "trace for 10 seconds, then summarize" },
    { "syscount -T 20", "show the top 20 syscalls" },
    { "syscount -x", "only failed syscalls" },
    { "syscount -e ENOENT", "only syscalls that return ENOENT" },
    { "syscount -L", "with total latency per syscall" },
    { "syscount -P", "count by process" },
    { "syscount -l", "list recognized syscalls" },
  },
  notes = [[
Same hooks as BCC: raw_syscalls:sys_enter (with -L) and raw_syscalls:sys_exit.
Syscall names are x86_64's; other numbers print as "[unknown: N]".]],
}
local o = t:parse(arg)
if o.list then
  local nrs = {}
  for nr in pairs(syscalls.names) do nrs[#nrs + 1] = nr end
  table.sort(nrs)
  for _, nr in ipairs(nrs) do print(("%3d: %s"):format(nr, syscalls.names[nr])) end
  os.exit(0)
end
if o.interval == 0 then o.interval = nil end
local errno = o.errno and (math.tointeger(tonumber(o.errno)) or errno_numbers[o.errno])

local p = bpf.load { src = [[
#include <pktlua/tool.h>

#define NR_MAX 1024
const volatile bool filter_failed = false;
const volatile int filter_errno = 0;
const volatile bool measure_latency = false;
const volatile bool count_by_process = false;

struct data { __u64 count, total_ns; };
struct pdata { __u64 count, total_ns; char comm[16]; };
PKTLUA_PERCPU_ARRAY(by_sys, struct data, NR_MAX);
PKTLUA_HASH(by_pid, __u32, struct pdata, 10240);
PKTLUA_HASH(start, __u32, __u64, 10240);

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (tool_skip())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	long id = ctx->id;
	if (id < 0)                     /* an interrupted restart */
		return 0;
	if (tool_skip())
		return 0;
	if (filter_failed && ctx->ret >= 0)
		return 0;
	if (filter_errno && ctx->ret != -filter_errno)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 lat = 0;
	if (measure_latency) {
		__u32 tid = (__u32)pid_tgid;
		__u64 *ts = bpf_map_lookup_elem(&start, &tid);
		if (!ts)
			return 0;
		lat = bpf_ktime_get_ns() - *ts;
	}
	if (count_by_process) {
		__u32 pid = pid_tgid >> 32;
		struct pdata *v = bpf_map_lookup_elem(&by_pid, &pid);
		if (!v) {
			struct pdata zero = {};
			bpf_map_update_elem(&by_pid, &pid, &zero, BPF_NOEXIST);
			v = bpf_map_lookup_elem(&by_pid, &pid);
			if (!v)
				return 0;
		}
		__sync_fetch_and_add(&v->count, 1);
		__sync_fetch_and_add(&v->total_ns, lat);
		struct task_struct *task = (void *)bpf_get_current_task();
		BPF_CORE_READ_STR_INTO(&v->comm, task, group_leader, comm);
		return 0;
	}
	__u32 key = id;
	struct data *v = bpf_map_lookup_elem(&by_sys, &key);
	if (v) {                        /* per-CPU: plain adds */
		v->count++;
		v->total_ns += lat;
	}
	return 0;
}
]], globals = t:globals { filter_failed = o.failures, filter_errno = errno,
                          measure_latency = o.latency, count_by_process = o.process } }

local div = o.milliseconds and 1e6 or 1e3
local tcol = o.milliseconds and "TIME (ms)" or "TIME (us)"

local function collect()
  local rows = {}
  if o.process then
    for pid, v in pairs(p.maps.by_pid) do
      rows[#rows + 1] = { pid = pid, comm = v.comm, count = v.count, total_ns = v.total_ns }
    end
    for _, r in ipairs(rows) do p.maps.by_pid[r.pid] = nil end
  else
    for nr, percpu in pairs(p.maps.by_sys) do
      local c, ns = 0, 0
      for _, v in ipairs(percpu) do c = c + v.count; ns = ns + v.total_ns end
      if c > 0 then
        rows[#rows + 1] = { nr = nr, syscall = syscalls.name(nr), count = c, total_ns = ns }
      end
    end
    for _, r in ipairs(rows) do p.maps.by_sys[r.nr] = nil end
  end
  table.sort(rows, function(a, b)
    if o.latency and a.total_ns ~= b.total_ns then return a.total_ns > b.total_ns end
    if a.count ~= b.count then return a.count > b.count end
    return (a.nr or a.pid) < (b.nr or b.pid)
  end)
  return rows
end

local function report()
  local rows = collect()
  if t:json() then
    local json = require "pktlua.json"
    local list = json.array()
    for i = 1, math.min(#rows, o.top) do
      local r = rows[i]
      list[i] = { syscall = r.syscall, nr = r.nr, pid = r.pid, comm = r.comm, count = r.count,
                  total_ns = o.latency and r.total_ns or nil }
    end
    json.line { time = os.date("%H:%M:%S"), rows = list }
    return
  end
  print(("[%s]"):format(os.date("%H:%M:%S")))
  local agg = o.process and "PID    COMM" or "SYSCALL"
  if o.latency then print(("%-22s %8s %16s"):format(agg, "COUNT", tcol))
  else print(("%-22s %8s"):format(agg, "COUNT")) end
  for i = 1, math.min(#rows, o.top) do
    local r = rows[i]
    local name = o.process and ("%-6d %-15s"):format(r.pid, r.comm) or r.syscall
    if o.latency then print(("%-22s %8d %16.3f"):format(name, r.count, r.total_ns / div))
    else print(("%-22s %8d"):format(name, r.count)) end
  end
  print()
end

local links = { p.progs.sys_exit:attach() }
if o.latency then links[2] = p.progs.sys_enter:attach() end
t:say("Tracing syscalls, printing top %d... Ctrl+C to quit.", o.top)
t:run { interval = o.interval, duration = o.duration, tick = report, done = report }
