#!/usr/bin/env pktlua
-- tcplife.lua — trace TCP sessions: one line per closed connection with bytes and duration
-- usage: pktlua -t tcplife [-h] [-p PID] [-4 | -6] [-w] [-T] [-L PORTS] [-D PORTS]
-- ci: --duration 1
-- ci-expect: PID     COMM             LADDR           LPORT RADDR           RPORT TX_KB  RX_KB  MS
--
-- As BCC's libbpf-tools tcplife: sock:inet_sock_set_state; a session's life
-- from its first state change to TCP_CLOSE, the bytes from tcp_sock's
-- bytes_acked and bytes_received, the process from the state changes a
-- process makes (connect, close).
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "tcplife",
  about = "Trace the lifespan of TCP sessions and summarize",
  options = {
    { "-p", "--pid", "PID", "process ID to trace", type = "int" },
    { "-4", "--ipv4", nil, "trace IPv4 only" },
    { "-6", "--ipv6", nil, "trace IPv6 only" },
    { "-w", "--wide", nil, "wide column output (fits IPv6 addresses)" },
    { "-T", "--time", nil, "include timestamp on output" },
    { "-L", "--localport", "LOCALPORT", "comma-separated list of local ports to trace" },
    { "-D", "--remoteport", "REMOTEPORT", "comma-separated list of remote ports to trace" },
  },
  examples = {
    { "tcplife", "trace all TCP connect()s" },
    { "tcplife -T", "include time column (HH:MM:SS)" },
    { "tcplife -w", "wider columns (fit IPv6)" },
    { "tcplife -p 181", "only trace PID 181" },
    { "tcplife -L 80", "only trace local port 80" },
    { "tcplife -L 80,81", "only trace local ports 80 and 81" },
    { "tcplife -D 80", "only trace remote port 80" },
    { "tcplife -4", "only trace IPv4 family" },
  },
  notes = [[
Same hook as BCC's libbpf-tools: sock:inet_sock_set_state. The process is the
one that moved the socket to SYN_SENT, FIN_WAIT1 or LAST_ACK (connect() or
close()); a socket only ever changed in softirq context shows whoever ran then.]],
}
local o = t:parse(arg)
local family = t:ip_family()
local lports, rports = t:ports("-L", o.localport), t:ports("-D", o.remoteport)

local p = bpf.load { src = [[
#include <pktlua/tcp.h>

struct ident { __u32 pid; char comm[16]; };
struct event {
	__u64 span_us, rx_b, tx_b;
	__u32 pid;
	__u16 family, sport, dport;
	__u8 saddr[4], daddr[4], saddr_v6[16], daddr_v6[16];
	char comm[16];
};
PKTLUA_HASH(birth, __u64, __u64, 10240);
PKTLUA_HASH(idents, __u64, struct ident, 10240);
PKTLUA_RINGBUF(events, 256 << 10);

SEC("tracepoint/sock/inet_sock_set_state")
int set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != 6)
		return 0;
	if (tcp_family_skip(ctx->family))
		return 0;
	__u64 sk = (__u64)ctx->skaddr;
	int ns = ctx->newstate;
	if (ns < 4 /* TCP_FIN_WAIT1 */) {
		__u64 ts = bpf_ktime_get_ns();
		if (!bpf_map_lookup_elem(&birth, &sk))
			bpf_map_update_elem(&birth, &sk, &ts, BPF_ANY);
	}
	if (ns == 2 /* SYN_SENT */ || ns == 9 /* LAST_ACK */ || ns == 4 /* FIN_WAIT1 */) {
		struct ident i = { .pid = bpf_get_current_pid_tgid() >> 32 };
		if (i.pid) {
			bpf_get_current_comm(i.comm, sizeof(i.comm));
			bpf_map_update_elem(&idents, &sk, &i, BPF_ANY);
		}
	}
	if (ns != 7 /* TCP_CLOSE */)
		return 0;
	__u64 *start = bpf_map_lookup_elem(&birth, &sk);
	if (!start) {
		bpf_map_delete_elem(&idents, &sk);
		return 0;
	}
	struct event e = {};
	e.span_us = (bpf_ktime_get_ns() - *start) / 1000;
	struct ident *i = bpf_map_lookup_elem(&idents, &sk);
	if (i) {
		e.pid = i->pid;
		__builtin_memcpy(e.comm, i->comm, sizeof(e.comm));
	} else {
		e.pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(e.comm, sizeof(e.comm));
	}
	if (targ_pid && e.pid != targ_pid)
		goto cleanup;
	struct tcp_sock *tp = (struct tcp_sock *)ctx->skaddr;
	e.rx_b = BPF_CORE_READ(tp, bytes_received);
	e.tx_b = BPF_CORE_READ(tp, bytes_acked);
	TCP_ADDRS_COPY(&e, ctx);
	pktlua_emit(&events, &e, sizeof(e));
cleanup:
	bpf_map_delete_elem(&birth, &sk);
	bpf_map_delete_elem(&idents, &sk);
	return 0;
}
]], globals = { targ_pid = o.pid, target_family = family } }

local w = o.wide and 39 or 15
local out = t:columns {
  o.time and { "TIME(s)", "%8s", "time" },
  { "PID", "%-7d", "pid" },
  { "COMM", "%-16s", "comm" },
  { "LADDR", "%-" .. w .. "s", "laddr" },
  { "LPORT", "%-5d", "lport" },
  { "RADDR", "%-" .. w .. "s", "raddr" },
  { "RPORT", "%-5d", "rport" },
  { "TX_KB", "%-6.2f", "tx_kb" },
  { "RX_KB", "%-6.2f", "rx_kb" },
  { "MS", "%.2f", "ms" },
}
bpf.on(p.maps.events, function(e)
  if lports and not lports[e.sport] then return end
  if rports and not rports[e.dport] then return end
  local laddr, raddr = tool.tcp_addrs(e)
  out:row { time = tool.hms(), pid = e.pid, comm = e.comm,
            laddr = laddr, lport = e.sport, raddr = raddr, rport = e.dport,
            tx_kb = e.tx_b / 1024, rx_kb = e.rx_b / 1024, tx_bytes = e.tx_b, rx_bytes = e.rx_b,
            ms = e.span_us / 1000 }
end, "struct event")

p:attach()
out:header()
t:run()
