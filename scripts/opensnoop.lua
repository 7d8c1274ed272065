#!/usr/bin/env pktlua
-- opensnoop.lua — trace open() syscalls: who opened which path, and the result
-- usage: pktlua -t opensnoop [-h] [-d DURATION] [-e] [-n NAME] [-p PID] [-t TID] [-T] [-u UID] [-U] [-x]
-- ci: -d 1
-- ci-expect: PID    COMM              FD ERR PATH
--
-- As BCC's libbpf-tools opensnoop: sys_enter_open/openat/openat2 keep the
-- path pointer and flags per thread; sys_exit_* reads the path and sends
-- the event with the file descriptor or error.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "opensnoop",
  about = "Trace open family syscalls",
  options = {
    { "-d", "--duration", "DURATION", "duration to trace, in seconds", type = "number" },
    { "-e", "--extended-fields", nil, "print extended fields (FLAGS, MODE)" },
    { "-n", "--name", "NAME", "trace process names containing this" },
    { "-p", "--pid", "PID", "process ID to trace", type = "int" },
    { "-t", "--tid", "TID", "thread ID to trace", type = "int" },
    { "-T", "--timestamp", nil, "print timestamp (HH:MM:SS)" },
    { "-u", "--uid", "UID", "user ID to trace", type = "int" },
    { "-U", "--print-uid", nil, "print UID" },
    { "-x", "--failed", nil, "failed opens only" },
  },
  examples = {
    { "opensnoop", "trace all open() syscalls" },
    { "opensnoop -T", "include timestamps" },
    { "opensnoop -U", "include UID" },
    { "opensnoop -x", "only show failed opens" },
    { "opensnoop -p 181", "only trace PID 181" },
    { "opensnoop -t 123", "only trace TID 123" },
    { "opensnoop -u 1000", "only trace UID 1000" },
    { "opensnoop -d 10", "trace for 10 seconds only" },
    { "opensnoop -n main", 'only print process names containing "main"' },
    { "opensnoop -e", "show extended fields" },
  },
  notes = [[
Same hooks as BCC: syscalls:sys_enter/sys_exit of open, openat and openat2.
PATH is the path as passed (relative paths are not resolved; no -F).]],
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile bool targ_failed = false;

struct args_t { const char *fname; __u64 flags; __u64 mode; };
struct event {
	__u64 ts;
	__u32 pid, uid;
	int ret;
	__u32 flags, mode;
	char comm[16];
	char path[256];
};
PKTLUA_HASH(start, __u32, struct args_t, 10240);
PKTLUA_RINGBUF(events, 8 << 20);
PKTLUA_PERCPU_ARRAY(heap, struct event, 1);
#define PATH_OFF __builtin_offsetof(struct event, path)

static __always_inline int enter(const char *fname, __u64 flags, __u64 mode)
{
	if (tool_skip())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct args_t a = { .fname = fname, .flags = flags, .mode = mode };
	bpf_map_update_elem(&start, &tid, &a, BPF_ANY);
	return 0;
}

static __always_inline int leave(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct args_t *a = bpf_map_lookup_elem(&start, &tid);
	if (!a)
		return 0;
	if (targ_failed && ret >= 0)
		goto out;
	__u32 zero = 0;
	struct event *e = bpf_map_lookup_elem(&heap, &zero);
	if (!e)
		goto out;
	e->ts = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->ret = ret;
	e->flags = a->flags;
	e->mode = a->mode;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	long n = bpf_probe_read_user_str(e->path, sizeof(e->path), a->fname);
	__u32 len = n < 1 ? 1 : n;
	if (n < 1)
		e->path[0] = 0;
	if (len > sizeof(e->path))
		len = sizeof(e->path);
	/* Only the path's bytes go through the ring: most paths are short. */
	pktlua_emit(&events, e, PATH_OFF + len);
out:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int enter_open(struct trace_event_raw_sys_enter *ctx)
{ return enter((const char *)ctx->args[0], ctx->args[1], ctx->args[2]); }

SEC("tracepoint/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{ return enter((const char *)ctx->args[1], ctx->args[2], ctx->args[3]); }

SEC("tracepoint/syscalls/sys_enter_openat2")
int enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	return enter((const char *)ctx->args[1], how.flags, how.mode);
}

SEC("tracepoint/syscalls/sys_exit_open")
int exit_open(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_openat2")
int exit_openat2(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
]], globals = t:globals { targ_failed = o.failed } }

local out = t:columns {
  o.timestamp and { "TIME", "%-8s", "time" },
  o.print_uid and { "UID", "%-7d", "uid" },
  { "PID", "%-6d", "pid" },
  { "COMM", "%-16s", "comm" },
  { "FD", "%3d", "fd" },
  { "ERR", "%3d", "err" },
  o.extended_fields and { "FLAGS", "%08o", "flags", hfmt = "%-8s" },
  o.extended_fields and { "MODE", "%-4s", "mode", fn = function(m, r)
      if m == 0 and r.flags & 0x40 == 0 and r.flags & 0x410000 ~= 0x410000 then return "n/a" end
      return ("%04o"):format(m)
    end },
  { "PATH", "%s", "path" },
}

local HDR = "<I8I4I4i4I4I4c16"
local hms, hms_at = tool.hms(), os.time()
bpf.on(p.maps.events, function(rec)
  local _, pid, uid, ret, flags, mode, comm, off = HDR:unpack(rec)
  comm = comm:match("^[^%z]*")
  if o.name and not comm:find(o.name, 1, true) then return end
  if o.timestamp and os.time() ~= hms_at then hms, hms_at = tool.hms(), os.time() end
  out:row {
    time = hms, uid = uid, pid = pid, comm = comm,
    fd = ret >= 0 and ret or -1, err = ret < 0 and -ret or 0,
    flags = flags, mode = mode, path = rec:match("^[^%z]*", off),
  }
end)

p:attach()
out:header()
t:run { duration = o.duration }
