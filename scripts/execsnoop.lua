#!/usr/bin/env pktlua
-- execsnoop.lua — trace new processes: every exec() with its arguments
-- usage: pktlua -t execsnoop [-h] [-T] [-t] [-x] [-u UID] [-q] [-n NAME] [-l LINE] [-U] [--max-args N]
-- ci: --max-args 4 --duration 1
-- ci-expect: PCOMM            PID    PPID   RET ARGS
--
-- As BCC's libbpf-tools execsnoop: sys_enter_execve(at) copies the filename
-- and up to --max-args arguments into a per-thread scratch record;
-- sys_exit_execve(at) adds the return value and the (new) command name and
-- sends it through a ring buffer.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "execsnoop",
  about = "Trace exec() syscalls",
  options = {
    { "-T", "--time", nil, "include time column on output (HH:MM:SS)" },
    { "-t", "--timestamp", nil, "include timestamp on output" },
    { "-x", "--fails", nil, "include failed exec()s" },
    { "-u", "--uid", "UID", "trace this UID only", type = "int" },
    { "-q", "--quote", nil, 'add quotemarks (") around arguments' },
    { "-n", "--name", "NAME", "only print commands matching this name, any arg" },
    { "-l", "--line", "LINE", "only print commands where arg contains this line" },
    { "-U", "--print-uid", nil, "print UID column" },
    { nil, "--max-args", "MAX_ARGS", "maximum number of arguments parsed and displayed",
      type = "int", default = 20, check = function(v) if v < 1 or v > 60 then return "1..60" end end },
  },
  examples = {
    { "execsnoop", "trace all exec() syscalls" },
    { "execsnoop -x", "include failed exec()s" },
    { "execsnoop -T", "include time (HH:MM:SS)" },
    { "execsnoop -U", "include UID" },
    { "execsnoop -u 1000", "only trace UID 1000" },
    { "execsnoop -t", "include timestamps" },
    { "execsnoop -q", 'add "quotemarks" around arguments' },
    { "execsnoop -n main", 'only print command lines containing "main"' },
    { "execsnoop -l tpkg", 'only print command where arguments contains "tpkg"' },
    { "execsnoop --json", "one JSON object per exec, args as an array" },
  },
  notes = [[
Same hooks as BCC (syscalls:sys_enter_execve/sys_exit_execve), plus execveat.
Arguments longer than 128 bytes are cut; "..." ends a list longer than --max-args.
-n and -l match substrings (BCC's Python execsnoop takes regular expressions).]],
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

#define ARGSIZE 128
#define TOTAL_MAX_ARGS 60
#define FULL_MAX_ARGS_ARR (TOTAL_MAX_ARGS * ARGSIZE)
#define LAST_ARG (FULL_MAX_ARGS_ARR - ARGSIZE)

const volatile bool ignore_failed = true;
const volatile int max_args = 20;

struct event {
	__u32 pid, ppid, uid;
	int retval;
	int args_count;
	__u32 args_size;
	char comm[16];
	char args[FULL_MAX_ARGS_ARR];
};
#define BASE_SIZE __builtin_offsetof(struct event, args)

PKTLUA_HASH(execs, __u32, struct event, 10240);
PKTLUA_RINGBUF(events, 1 << 20);
static const struct event empty;

static __always_inline int enter(const char *filename, const char *const *args)
{
	if (tool_skip())
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	if (bpf_map_update_elem(&execs, &tid, &empty, BPF_NOEXIST))
		return 0;
	struct event *e = bpf_map_lookup_elem(&execs, &tid);
	if (!e)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	e->pid = id >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	int ret = bpf_probe_read_user_str(e->args, ARGSIZE, filename);
	if (ret < 0)
		return 0;
	e->args_size = ret;
	e->args_count = 1;
	const char *argp;
	for (int i = 1; i < TOTAL_MAX_ARGS && i < max_args; i++) {
		if (bpf_probe_read_user(&argp, sizeof(argp), &args[i]) || !argp)
			return 0;
		if (e->args_size > LAST_ARG)
			return 0;
		ret = bpf_probe_read_user_str(&e->args[e->args_size], ARGSIZE, argp);
		if (ret < 0)
			return 0;
		e->args_count++;
		e->args_size += ret;
	}
	/* one more: is the list longer than max_args? */
	if (!bpf_probe_read_user(&argp, sizeof(argp), &args[max_args]) && argp)
		e->args_count++;
	return 0;
}

static __always_inline int leave(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *e = bpf_map_lookup_elem(&execs, &tid);
	if (!e)
		return 0;
	if (ignore_failed && ret < 0)
		goto out;
	e->retval = ret;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__u64 len = BASE_SIZE + e->args_size;
	if (len <= sizeof(*e))
		pktlua_emit(&events, e, len);
out:
	bpf_map_delete_elem(&execs, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return enter((const char *)ctx->args[0], (const char *const *)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	return enter((const char *)ctx->args[1], (const char *const *)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exit_execve(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_execveat")
int exit_execveat(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
]], globals = t:globals { max_args = o.max_args, ignore_failed = not o.fails } }

local out = t:columns {
  o.time and { "TIME", "%-8s", "time" },
  o.timestamp and { "TIME(s)", "%-8.3f", "timestamp" },
  o.print_uid and { "UID", "%-6d", "uid" },
  { "PCOMM", "%-16s", "comm" },
  { "PID", "%-6d", "pid" },
  { "PPID", "%-6d", "ppid" },
  { "RET", "%3d", "ret" },
  { "ARGS", "%s", "args", fn = function(args, r)
      local s = {}
      for i, a in ipairs(args) do
        s[i] = o.quote and '"' .. a:gsub('"', '\\"') .. '"' or a
      end
      if r.truncated then s[#s + 1] = "..." end
      return table.concat(s, " ")
    end },
}

local HDR = "I4I4I4i4i4I4c16"
bpf.on(p.maps.events, function(data)
  local pid, ppid, uid, ret, count, size, comm, off = HDR:unpack(data)
  comm = comm:match("^[^%z]*")
  local args, blob = {}, data:sub(off, off + size - 1)
  for a in blob:gmatch("([^%z]*)%z") do args[#args + 1] = a end
  local r = { comm = comm, pid = pid, ppid = ppid, uid = uid, ret = ret, args = args,
              truncated = count > #args, time = tool.hms(), timestamp = tool.since(bpf.clock()) }
  if o.name and not (comm:find(o.name, 1, true) or blob:find(o.name, 1, true)) then return end
  if o.line and not blob:find(o.line, 1, true) then return end
  out:row(r)
end)

p:attach()
tool.mark_start()
out:header()
t:run()
