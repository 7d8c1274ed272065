#!/usr/bin/env pktlua
-- tcpaccept.lua — trace passive TCP connections (accept()): who accepted whom, on which port
-- usage: pktlua -t tcpaccept [-h] [-T] [-t] [-p PID] [-P PORTS] [-4 | -6]
-- ci: --duration 1
-- ci-expect: PID     COMM         IP RADDR            RPORT LADDR            LPORT
--
-- BCC's tcpaccept uses a kretprobe on inet_csk_accept. Here sys_exit_accept
-- and sys_exit_accept4: the new descriptor's socket, found through the
-- task's file table, in the accepting process's context (so the PID is
-- right, unlike a tcpaccept built on inet_sock_set_state).
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "tcpaccept",
  about = "Trace TCP accepts",
  options = {
    { "-T", "--time", nil, "include time column on output (HH:MM:SS)" },
    { "-t", "--timestamp", nil, "include timestamp on output" },
    { "-p", "--pid", "PID", "trace this PID only", type = "int" },
    { "-P", "--port", "PORTS", "comma-separated list of local ports to trace" },
    { "-4", "--ipv4", nil, "trace IPv4 family only" },
    { "-6", "--ipv6", nil, "trace IPv6 family only" },
  },
  examples = {
    { "tcpaccept", "trace all TCP accept()s" },
    { "tcpaccept -t", "include timestamps" },
    { "tcpaccept -P 80,81", "only trace port 80 and 81" },
    { "tcpaccept -p 181", "only trace PID 181" },
    { "tcpaccept -4", "trace IPv4 family only" },
  },
  notes = [[
Hooks: syscalls:sys_exit_accept, sys_exit_accept4 (BCC: a kretprobe on
inet_csk_accept, which this kernel lacks). Accepts made without those system
calls (io_uring) are not seen.]],
}
local o = t:parse(arg)
local family = t:ip_family()
local lports = t:ports("-P", o.port)

local p = bpf.load { src = [[
#include <pktlua/tcp.h>

struct event {
	__u64 ts;
	__u32 pid;
	__u16 family, lport, rport;
	__u8 laddr[16], raddr[16];
	char comm[16];
};
PKTLUA_RINGBUF(events, 256 << 10);

static __always_inline int leave(long ret)
{
	if (ret < 0 || tool_skip())
		return 0;
	struct task_struct *task = (void *)bpf_get_current_task();
	struct file **table = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	if ((unsigned long)ret >= max)
		return 0;
	struct file *file = NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &table[ret]);
	if (!file)
		return 0;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != 6)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if ((family != 2 && family != 10) || tcp_family_skip(family))
		return 0;
	struct event e = { .ts = bpf_ktime_get_ns(), .pid = bpf_get_current_pid_tgid() >> 32,
			   .family = family };
	e.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e.rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == 2) {
		bpf_probe_read_kernel(e.laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_probe_read_kernel(e.raddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_probe_read_kernel(e.laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_probe_read_kernel(e.raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx) { return leave(ctx->ret); }
]], globals = t:globals { target_family = family } }

local first
local out = t:columns {
  o.time and { "TIME", "%-9s", "time" },
  o.timestamp and { "TIME(s)", "%-9.3f", "timestamp" },
  { "PID", "%-7d", "pid" },
  { "COMM", "%-12.12s", "comm" },
  { "IP", "%-2d", "ip" },
  { "RADDR", "%-16s", "raddr" },
  { "RPORT", "%-5d", "rport" },
  { "LADDR", "%-16s", "laddr" },
  { "LPORT", "%d", "lport" },
}
bpf.on(p.maps.events, function(e)
  if lports and not lports[e.lport] then return end
  first = first or e.ts
  out:row { time = tool.hms(), timestamp = (e.ts - first) / 1e9, pid = e.pid, comm = e.comm,
            ip = e.family == 10 and 6 or 4, raddr = tool.inet(e.family, e.raddr, e.raddr),
            rport = e.rport, laddr = tool.inet(e.family, e.laddr, e.laddr), lport = e.lport }
end, "struct event")

p:attach()
out:header()
t:run()
