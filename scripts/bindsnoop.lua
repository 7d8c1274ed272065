#!/usr/bin/env pktlua
-- bindsnoop.lua — trace bind() of IPv4 and IPv6 sockets: port, address, options, result
-- usage: pktlua -t bindsnoop [-h] [-t] [-x] [-p PID] [-P PORTS]
-- ci: --duration 1
-- ci-expect: PID     COMM             RET PROTO OPTS  IF   PORT  ADDR
--
-- BCC's libbpf-tools bindsnoop hooks inet_bind/inet6_bind with kprobes;
-- here sys_enter_bind keeps the fd and sys_exit_bind finds the socket
-- through the task's file table and reads what the kernel bound.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local net = require "pktlua.net"

local t = tool.new {
  name = "bindsnoop",
  about = "Trace bind syscalls",
  options = {
    { "-t", "--timestamp", nil, "include timestamp on output" },
    { "-x", "--failed", nil, "include errors on output" },
    { "-p", "--pid", "PID", "process ID to trace", type = "int" },
    { "-P", "--ports", "PORTS", "comma-separated list of ports to trace",
      check = function(v) if not v:match("^%d+[%d,]*$") then return "a list of port numbers" end end },
  },
  examples = {
    { "bindsnoop", "trace all bind syscalls" },
    { "bindsnoop -t", "include timestamps" },
    { "bindsnoop -x", "include errors on output" },
    { "bindsnoop -p 1216", "only trace PID 1216" },
    { "bindsnoop -P 80,81", "only trace port 80 and 81" },
  },
  notes = [[
Hooks: syscalls:sys_enter_bind/sys_exit_bind (BCC: kprobes on inet_bind and
inet6_bind, which this kernel lacks). The socket is read at the syscall's exit,
so PORT is the port the kernel chose for a bind to port 0. Only IPv4 and IPv6
sockets are shown. OPTS: F freebind, T transparent, N bind_address_no_port,
R reuseaddr, r reuseport.]],
}
local o = t:parse(arg)
local ports
if o.ports then
  ports = {}
  for p in o.ports:gmatch("%d+") do ports[tonumber(p)] = true end
end

local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile bool ignore_errors = true;

struct event {
	__u64 ts;
	__u32 pid, bound_dev_if;
	int ret;
	__u16 port, proto;
	__u8 ver, opts;
	__u8 addr[16];
	char comm[16];
};
PKTLUA_HASH(fds, __u32, int, 10240);
PKTLUA_RINGBUF(events, 256 << 10);

SEC("tracepoint/syscalls/sys_enter_bind")
int enter_bind(struct trace_event_raw_sys_enter *ctx)
{
	if (tool_skip())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	int fd = ctx->args[0];
	bpf_map_update_elem(&fds, &tid, &fd, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	int *fdp = bpf_map_lookup_elem(&fds, &tid);
	if (!fdp)
		return 0;
	int fd = *fdp, ret = ctx->ret;
	bpf_map_delete_elem(&fds, &tid);
	if (ignore_errors && ret != 0)
		return 0;
	if (ret == -9 /* EBADF */ || ret == -88 /* ENOTSOCK */ || fd < 0)
		return 0;
	/* fd -> struct file -> struct socket -> struct sock */
	struct task_struct *task = (void *)bpf_get_current_task();
	struct file **table = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	if ((unsigned int)fd >= max)
		return 0;
	struct file *file = NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &table[fd]);
	if (!file)
		return 0;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != 2 /* AF_INET */ && family != 10 /* AF_INET6 */)
		return 0;
	struct inet_sock *inet = (struct inet_sock *)sk;
	struct event e = {};
	e.ts = bpf_ktime_get_ns();
	e.pid = id >> 32;
	e.ret = ret;
	e.port = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
	e.proto = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
	e.bound_dev_if = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
	__u8 opts = 0;
	unsigned long flags = BPF_CORE_READ(inet, inet_flags);
	if (flags & (1UL << INET_FLAGS_FREEBIND)) opts |= 1;
	if (flags & (1UL << INET_FLAGS_TRANSPARENT)) opts |= 2;
	if (flags & (1UL << INET_FLAGS_BIND_ADDRESS_NO_PORT)) opts |= 4;
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_reuse)) opts |= 8;
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_reuseport)) opts |= 16;
	e.opts = opts;
	if (family == 2) {
		e.ver = 4;
		bpf_probe_read_kernel(e.addr, 4, &inet->inet_saddr);
	} else {
		e.ver = 6;
		bpf_probe_read_kernel(e.addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	}
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}
]], globals = t:globals { ignore_errors = not o.failed } }

local protos = { [6] = "TCP", [17] = "UDP" }
local out = t:columns {
  o.timestamp and { "TIME(s)", "%8s", "time" },
  { "PID", "%-7d", "pid" },
  { "COMM", "%-16s", "comm" },
  { "RET", "%-3d", "ret" },
  { "PROTO", "%-5s", "proto" },
  { "OPTS", "%-5s", "opts" },
  { "IF", "%-4d", "if" },
  { "PORT", "%-5d", "port" },
  { "ADDR", "%s", "addr" },
}

bpf.on(p.maps.events, function(e)
  if ports and not ports[e.port] then return end
  local letters, s = { "F", "T", "N", "R", "r" }, {}
  for i = 1, 5 do s[i] = e.opts & (1 << (i - 1)) ~= 0 and letters[i] or "." end
  local bytes = string.char(table.unpack(e.addr, 1, e.ver == 4 and 4 or 16))
  out:row { time = tool.hms(), pid = e.pid, comm = e.comm, ret = e.ret,
            proto = protos[e.proto] or "UNK", opts = table.concat(s), ["if"] = e.bound_dev_if,
            port = e.port, addr = net.ip(bytes) }
end, "struct event")

p:attach()
out:header()
t:run()
