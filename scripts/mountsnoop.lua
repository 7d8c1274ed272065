#!/usr/bin/env pktlua
-- mountsnoop.lua — trace mount and umount syscalls (old and new mount API)
-- usage: pktlua -t mountsnoop [-h] [-p PID] [-t] [-d]
-- ci: --duration 1
-- ci-expect: COMM             PID     TID     MNT_NS      CALL
--
-- As BCC's libbpf-tools mountsnoop: sys_enter/sys_exit of mount, umount,
-- fsopen, fsconfig, fsmount and move_mount; the call is printed as strace
-- would, with its result.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "mountsnoop",
  about = "Trace mount, umount, fsopen, fsconfig, fsmount, move_mount syscalls",
  options = {
    { "-p", "--pid", "PID", "process ID to trace", type = "int" },
    { "-t", "--timestamp", nil, "include timestamp on output" },
    { "-d", "--detailed", nil, "output result in detail mode (one line per field)" },
  },
  examples = {
    { "mountsnoop", "trace mount relative syscalls" },
    { "mountsnoop -d", "detailed output (one line per column value)" },
    { "mountsnoop -p 1216", "only trace PID 1216" },
  },
  notes = [[
Same hooks as BCC (syscalls tracepoints). util-linux 2.38+ mounts through
fsopen/fsconfig/fsmount/move_mount: each call shows on its own line.]],
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

#define SLEN 128
enum { MOUNT = 1, UMOUNT, FSOPEN, FSCONFIG, FSMOUNT, MOVE_MOUNT };
struct arg {
	int op;
	__u64 flags, extra;
	int fd, fd2;
	const char *s1, *s2, *s3, *s4;
};
struct event {
	__u64 ts, flags, extra;
	__u32 pid, tid, mnt_ns;
	int op, ret, fd, fd2;
	char comm[16];
	char s1[SLEN], s2[SLEN], s3[SLEN], s4[SLEN];
};
PKTLUA_HASH(args, __u32, struct arg, 10240);
PKTLUA_RINGBUF(events, 1 << 20);

static __always_inline int enter(struct arg *a)
{
	if (tool_skip())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&args, &tid, a, BPF_ANY);
	return 0;
}

static __always_inline int leave(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct arg *a = bpf_map_lookup_elem(&args, &tid);
	if (!a)
		return 0;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		pktlua__count_lost(&events);
		goto out;
	}
	struct task_struct *task = (void *)bpf_get_current_task();
	e->ts = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = tid;
	e->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	e->op = a->op;
	e->ret = ret;
	e->flags = a->flags;
	e->extra = a->extra;
	e->fd = a->fd;
	e->fd2 = a->fd2;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->s1[0] = e->s2[0] = e->s3[0] = e->s4[0] = 0;
	if (a->s1) bpf_probe_read_user_str(e->s1, SLEN, a->s1);
	if (a->s2) bpf_probe_read_user_str(e->s2, SLEN, a->s2);
	if (a->s3) bpf_probe_read_user_str(e->s3, SLEN, a->s3);
	if (a->s4) bpf_probe_read_user_str(e->s4, SLEN, a->s4);
	bpf_ringbuf_submit(e, 0);
out:
	bpf_map_delete_elem(&args, &tid);
	return 0;
}

#define ARG(i) ctx->args[i]
#define STR(i) ((const char *)ctx->args[i])

SEC("tracepoint/syscalls/sys_enter_mount")
int enter_mount(struct trace_event_raw_sys_enter *ctx)
{
	struct arg a = { .op = MOUNT, .s1 = STR(0), .s2 = STR(1), .s3 = STR(2), .flags = ARG(3),
			 .s4 = STR(4) };
	return enter(&a);
}
SEC("tracepoint/syscalls/sys_enter_umount")
int enter_umount(struct trace_event_raw_sys_enter *ctx)
{
	struct arg a = { .op = UMOUNT, .s1 = STR(0), .flags = ARG(1) };
	return enter(&a);
}
SEC("tracepoint/syscalls/sys_enter_fsopen")
int enter_fsopen(struct trace_event_raw_sys_enter *ctx)
{
	struct arg a = { .op = FSOPEN, .s1 = STR(0), .flags = ARG(1) };
	return enter(&a);
}
SEC("tracepoint/syscalls/sys_enter_fsconfig")
int enter_fsconfig(struct trace_event_raw_sys_enter *ctx)
{
	/* fsconfig(fd, cmd, key, value, aux): value is a string only for SET_STRING (1) */
	struct arg a = { .op = FSCONFIG, .fd = ARG(0), .flags = ARG(1), .s1 = STR(2),
			 .s2 = ARG(1) == 1 ? STR(3) : 0, .fd2 = ARG(4) };
	return enter(&a);
}
SEC("tracepoint/syscalls/sys_enter_fsmount")
int enter_fsmount(struct trace_event_raw_sys_enter *ctx)
{
	struct arg a = { .op = FSMOUNT, .fd = ARG(0), .flags = ARG(1), .extra = ARG(2) };
	return enter(&a);
}
SEC("tracepoint/syscalls/sys_enter_move_mount")
int enter_move_mount(struct trace_event_raw_sys_enter *ctx)
{
	struct arg a = { .op = MOVE_MOUNT, .fd = ARG(0), .s1 = STR(1), .fd2 = ARG(2), .s2 = STR(3),
			 .flags = ARG(4) };
	return enter(&a);
}
SEC("tracepoint/syscalls/sys_exit_mount")
int exit_mount(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_umount")
int exit_umount(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_fsopen")
int exit_fsopen(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_fsconfig")
int exit_fsconfig(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_fsmount")
int exit_fsmount(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_move_mount")
int exit_move_mount(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
PKTLUA_EVENT_TYPE(struct event);
]], globals = t:globals() }

local MS = { "MS_RDONLY", "MS_NOSUID", "MS_NODEV", "MS_NOEXEC", "MS_SYNCHRONOUS", "MS_REMOUNT",
  "MS_MANDLOCK", "MS_DIRSYNC", "MS_NOSYMFOLLOW", "MS_NOATIME", "MS_NODIRATIME", "MS_BIND",
  "MS_MOVE", "MS_REC", "MS_VERBOSE", "MS_SILENT", "MS_POSIXACL", "MS_UNBINDABLE",
  "MS_PRIVATE", "MS_SLAVE", "MS_SHARED", "MS_RELATIME", "MS_KERNMOUNT", "MS_I_VERSION",
  "MS_STRICTATIME", "MS_LAZYTIME", "MS_SUBMOUNT", "MS_NOREMOTELOCK", "MS_NOSEC", "MS_BORN",
  "MS_ACTIVE", "MS_NOUSER" }
local UMOUNT = { "MNT_FORCE", "MNT_DETACH", "MNT_EXPIRE", "UMOUNT_NOFOLLOW" }
local FSCONFIG = { [0] = "FSCONFIG_SET_FLAG", "FSCONFIG_SET_STRING", "FSCONFIG_SET_BINARY",
  "FSCONFIG_SET_PATH", "FSCONFIG_SET_PATH_EMPTY", "FSCONFIG_SET_FD", "FSCONFIG_CMD_CREATE",
  "FSCONFIG_CMD_RECONFIGURE", "FSCONFIG_CMD_CREATE_EXCL" }
local MOVE = { [0x1] = "MOVE_MOUNT_F_SYMLINKS", [0x2] = "MOVE_MOUNT_F_AUTOMOUNTS",
  [0x4] = "MOVE_MOUNT_F_EMPTY_PATH", [0x10] = "MOVE_MOUNT_T_SYMLINKS",
  [0x20] = "MOVE_MOUNT_T_AUTOMOUNTS", [0x40] = "MOVE_MOUNT_T_EMPTY_PATH",
  [0x100] = "MOVE_MOUNT_SET_GROUP", [0x200] = "MOVE_MOUNT_BENEATH" }

local function bits(v, names)
  if v == 0 then return "0x0" end
  local s = {}
  for i = 1, 32 do
    if v & (1 << (i - 1)) ~= 0 then s[#s + 1] = names[i] or ("0x%x"):format(1 << (i - 1)) end
  end
  return table.concat(s, " | ")
end
local function movebits(v)
  if v == 0 then return "0x0" end
  local s = {}
  for b = 0, 31 do
    local m = 1 << b
    if v & m ~= 0 then s[#s + 1] = MOVE[m] or ("0x%x"):format(m) end
  end
  return table.concat(s, " | ")
end
local function fd(n) return n == -100 and "AT_FDCWD" or tostring(n) end
local function res(r) return r >= 0 and tostring(r) or "-" .. tool.errno_name(-r) end

local function call_text(e)
  local op = e.op
  if op == 1 then
    return ('mount("%s", "%s", "%s", %s, "%s") = %s'):format(e.s1, e.s2, e.s3, bits(e.flags, MS), e.s4, res(e.ret))
  elseif op == 2 then
    return ('umount("%s", %s) = %s'):format(e.s1, bits(e.flags, UMOUNT), res(e.ret))
  elseif op == 3 then
    return ('fsopen("%s", %s) = %s'):format(e.s1, e.flags == 1 and "FSOPEN_CLOEXEC" or ("0x%x"):format(e.flags), res(e.ret))
  elseif op == 4 then
    return ('fsconfig(%d, %s, "%s", "%s", %d) = %s'):format(e.fd, FSCONFIG[e.flags] or tostring(e.flags),
      e.s1, e.s2, e.fd2, res(e.ret))
  elseif op == 5 then
    return ('fsmount(%d, %s, 0x%x) = %s'):format(e.fd, e.flags == 1 and "FSMOUNT_CLOEXEC" or ("0x%x"):format(e.flags),
      e.extra, res(e.ret))
  end
  return ('move_mount(%s, "%s", %s, "%s", %s) = %s'):format(fd(e.fd), e.s1, fd(e.fd2), e.s2,
    movebits(e.flags), res(e.ret))
end

local out = t:columns {
  o.timestamp and { "TIME", "%-8s", "time" },
  { "COMM", "%-16s", "comm" },
  { "PID", "%-7d", "pid" },
  { "TID", "%-7d", "tid" },
  { "MNT_NS", "%-11d", "mnt_ns" },
  { "CALL", "%s", "call" },
}
local ops = { "mount", "umount", "fsopen", "fsconfig", "fsmount", "move_mount" }

bpf.on(p.maps.events, function(e)
  local r = { time = tool.hms(), comm = e.comm, pid = e.pid, tid = e.tid, mnt_ns = e.mnt_ns,
              call = call_text(e), op = ops[e.op], ret = e.ret }
  if o.detailed and not t:json() then
    if o.timestamp then print(("%-7s %s"):format("TS:", r.time)) end
    for _, k in ipairs { "comm", "pid", "tid", "mnt_ns", "op", "ret" } do
      print(("%-7s %s"):format(k:upper() .. ":", tostring(r[k])))
    end
    print(("%-7s %s"):format("CALL:", r.call))
    print()
    return
  end
  out:row(r)
end, "struct event")

p:attach()
if o.detailed and not t:json() then t:say("Tracing mount syscalls... Hit Ctrl-C to end.") else out:header() end
t:run()
