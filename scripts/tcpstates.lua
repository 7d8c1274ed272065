#!/usr/bin/env pktlua
-- tcpstates.lua — trace TCP session state changes, with the time spent in each state
-- usage: pktlua -t tcpstates [-h] [-T] [-4 | -6] [-w] [-L PORTS] [-D PORTS]
-- ci: --duration 1
-- ci-expect: SKADDR           PID     COMM       LADDR           LPORT RADDR           RPORT OLDSTATE    -> NEWSTATE    MS
--
-- As BCC's libbpf-tools tcpstates: sock:inet_sock_set_state, every change,
-- with how long the socket was in the state it leaves.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "tcpstates",
  about = "Trace TCP session state changes and durations",
  options = {
    { "-T", "--timestamp", nil, "include timestamp on output" },
    { "-4", "--ipv4", nil, "trace IPv4 family only" },
    { "-6", "--ipv6", nil, "trace IPv6 family only" },
    { "-w", "--wide", nil, "wide column output (fits IPv6 addresses)" },
    { "-L", "--localport", "LPORT", "comma-separated list of local ports to trace" },
    { "-D", "--remoteport", "DPORT", "comma-separated list of remote ports to trace" },
  },
  examples = {
    { "tcpstates", "trace all TCP state changes" },
    { "tcpstates -T", "include timestamp column" },
    { "tcpstates -w", "wider columns (fit IPv6)" },
    { "tcpstates -L 80", "only trace local port 80" },
    { "tcpstates -D 80", "only trace remote port 80" },
    { "tcpstates -4", "only trace IPv4 family" },
  },
  notes = [[
Same hook as BCC: sock:inet_sock_set_state. PID and COMM are whoever was running
when the state changed (often the kernel's softirq, on behalf of nobody).]],
}
local o = t:parse(arg)
local family = t:ip_family()
local lports, rports = t:ports("-L", o.localport), t:ports("-D", o.remoteport)

local p = bpf.load { src = [[
#include <pktlua/tcp.h>

struct event {
	__u64 skaddr, ts_us, delta_us;
	__u32 pid;
	int oldstate, newstate;
	__u16 family, sport, dport;
	__u8 saddr[4], daddr[4], saddr_v6[16], daddr_v6[16];
	char comm[16];
};
PKTLUA_HASH(timestamps, __u64, __u64, 10240);
PKTLUA_RINGBUF(events, 256 << 10);

SEC("tracepoint/sock/inet_sock_set_state")
int set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != 6)
		return 0;
	if (tcp_family_skip(ctx->family))
		return 0;
	__u64 sk = (__u64)ctx->skaddr, ts = bpf_ktime_get_ns();
	__u64 *tsp = bpf_map_lookup_elem(&timestamps, &sk);
	struct event e = { .skaddr = sk, .ts_us = ts / 1000, .delta_us = tsp ? (ts - *tsp) / 1000 : 0,
			   .pid = bpf_get_current_pid_tgid() >> 32, .oldstate = ctx->oldstate,
			   .newstate = ctx->newstate };
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	TCP_ADDRS_COPY(&e, ctx);
	pktlua_emit(&events, &e, sizeof(e));
	if (ctx->newstate == 7 /* TCP_CLOSE */)
		bpf_map_delete_elem(&timestamps, &sk);
	else
		bpf_map_update_elem(&timestamps, &sk, &ts, BPF_ANY);
	return 0;
}
]], globals = { target_family = family } }

local w = o.wide and 39 or 15
local out = t:columns {
  o.timestamp and { "TIME(s)", "%8s", "time" },
  { "SKADDR", "%-16x", "skaddr" },
  { "PID", "%-7d", "pid" },
  { "COMM", o.wide and "%-16.16s" or "%-10.10s", "comm" },
  o.wide and { "IP", "%-2d", "ip" },
  { "LADDR", "%-" .. w .. "s", "laddr" },
  { "LPORT", "%-5d", "lport" },
  { "RADDR", "%-" .. w .. "s", "raddr" },
  { "RPORT", "%-5d", "rport" },
  { "OLDSTATE", "%-11s", "oldstate" },
  { "->", "%s", "arrow", json = function() end },
  { "NEWSTATE", "%-11s", "newstate" },
  { "MS", "%.3f", "ms" },
}
bpf.on(p.maps.events, function(e)
  if lports and not lports[e.sport] then return end
  if rports and not rports[e.dport] then return end
  local laddr, raddr = tool.tcp_addrs(e)
  out:row { time = tool.hms(), skaddr = e.skaddr, pid = e.pid, comm = e.comm, ip = e.family == 10 and 6 or 4,
            laddr = laddr, lport = e.sport, raddr = raddr, rport = e.dport,
            oldstate = tool.tcp_state(e.oldstate), newstate = tool.tcp_state(e.newstate),
            arrow = "->", ms = e.delta_us / 1000 }
end, "struct event")

p:attach()
out:header()
t:run()
