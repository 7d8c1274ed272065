#!/usr/bin/env pktlua
-- capable.lua — trace security capability checks: who needed which capability, and the verdict
-- usage: pktlua -t capable [-h] [-p PID] [-x] [-u] [-K]
-- ci: --duration 1
-- ci-expect: TIME     UID   PID     COMM             CAP  NAME                 VERDICT
--
-- As BCC's capable, on capability:cap_capable (BCC hooks cap_capable with
-- a kprobe); the verdict is the check's return value.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "capable",
  about = "Trace security capability checks (cap_capable())",
  options = {
    { "-p", "--pid", "PID", "trace this PID only", type = "int" },
    { "-x", "--extra", nil, "extra fields: TID and the user namespace's inode" },
    { "-u", "--unique", nil, "don't repeat the same capability check for a PID" },
    { "-K", "--kernel-stack", nil, "output the kernel stack trace of each check" },
  },
  examples = {
    { "capable", "trace capability checks" },
    { "capable -p 181", "only trace PID 181" },
    { "capable -K", "add kernel stacks to trace" },
    { "capable -x", "extra fields: TID and the user namespace" },
    { "capable -u", "don't repeat a PID's check of a capability" },
  },
  notes = [[
Hook: capability:cap_capable (BCC: a kprobe on cap_capable, which this kernel
lacks). The tracepoint does not carry the audit flag: there is no AUDIT column,
and checks made with CAP_OPT_NOAUDIT show too (BCC hides them without -v).]],
}
local o = t:parse(arg)

local caps = { [0] = "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
  "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
  "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
  "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE" }

local p = bpf.load { src = [[
#include <pktlua/tool.h>
#define PKTLUA_STACK_NO_EXIT_WATCH     /* kernel stacks only */
#include <pktlua/stack.h>

const volatile bool unique = false;
struct event { __u32 pid, tid, uid, userns; int cap, ret, stack_id; char comm[16]; };
struct seen_key { __u32 pid; int cap; };
PKTLUA_RINGBUF(events, 256 << 10);
PKTLUA_LRU_HASH(seen, struct seen_key, __u8, 10240);
PKTLUA_STACKS(stacks, 1024);
const volatile bool kernel_stack = false;

SEC("tracepoint/capability/cap_capable")
int cap_capable(struct trace_event_raw_cap_capable *ctx)
{
	if (tool_skip())
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct event e = { .pid = id >> 32, .tid = (__u32)id,
			   .uid = (__u32)bpf_get_current_uid_gid(), .cap = ctx->cap, .ret = ctx->ret,
			   .stack_id = -1 };
	if (unique) {
		struct seen_key k = { .pid = e.pid, .cap = e.cap };
		__u8 one = 1;
		if (bpf_map_update_elem(&seen, &k, &one, BPF_NOEXIST))
			return 0;
	}
	e.userns = BPF_CORE_READ(ctx->target_ns, ns.inum);
	if (kernel_stack)
		e.stack_id = bpf_get_stackid(ctx, &stacks, 0);
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}
]], globals = t:globals { unique = o.unique, kernel_stack = o.kernel_stack } }

local out = t:columns {
  { "TIME", "%-8s", "time" },
  { "UID", "%-5d", "uid" },
  { "PID", "%-7d", "pid" },
  o.extra and { "TID", "%-7d", "tid" },
  { "COMM", "%-16s", "comm" },
  { "CAP", "%-4d", "cap" },
  { "NAME", "%-20s", "name" },
  o.extra and { "USERNS", "%-11d", "userns" },
  { "VERDICT", "%s", "verdict" },
}
bpf.on(p.maps.events, function(e)
  local r = { time = tool.hms(), uid = e.uid, pid = e.pid, tid = e.tid, comm = e.comm, cap = e.cap,
              name = caps[e.cap] or ("CAP_%d"):format(e.cap), userns = e.userns,
              verdict = e.ret == 0 and "allow" or "deny" }
  if o.kernel_stack then
    r.stack = tool.kstack(p.maps.stacks, e.stack_id)
  end
  out:row(r)
  if o.kernel_stack and not t:json() then
    for _, f in ipairs(r.stack) do print("\t" .. f) end
  end
end, "struct event")

p:attach()
out:header()
t:run()
