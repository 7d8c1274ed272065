#!/usr/bin/env pktlua
-- tcpconnect.lua — trace active TCP connections (connect()): who, from where, to where
-- usage: pktlua -t tcpconnect [-h] [-t] [-c] [-U] [-p PID] [-u UID] [-s] [-P PORTS]
-- ci: --duration 1
-- ci-expect: PID    COMM             IP SADDR            DADDR            DPORT
--
-- BCC's tcpconnect hooks tcp_v4_connect/tcp_v6_connect with kprobes. Here
-- sock:inet_sock_set_state: CLOSE -> SYN_SENT happens inside connect(), in
-- the caller's context (its PID and command are kept); the connection is
-- printed when it leaves SYN_SENT, once the kernel has chosen the source port.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "tcpconnect",
  about = "Count/trace active tcp connections",
  options = {
    { "-t", "--timestamp", nil, "include timestamp on output" },
    { "-c", "--count", nil, "count connects per src ip and dst ip/port" },
    { "-U", "--print-uid", nil, "include UID on output" },
    { "-p", "--pid", "PID", "process PID to trace", type = "int" },
    { "-u", "--uid", "UID", "process UID to trace", type = "int" },
    { "-s", "--source-port", nil, "consider source port when counting (and print it)" },
    { "-P", "--port", "PORTS", "comma-separated list of destination ports to trace" },
  },
  examples = {
    { "tcpconnect", "trace all TCP connect()s" },
    { "tcpconnect -t", "include timestamps" },
    { "tcpconnect -p 181", "only trace PID 181" },
    { "tcpconnect -P 80", "only trace port 80" },
    { "tcpconnect -P 80,81", "only trace port 80 and 81" },
    { "tcpconnect -U", "include UID" },
    { "tcpconnect -u 1000", "only trace UID 1000" },
    { "tcpconnect -c", "count connects per src ip and dst ip/port" },
    { "tcpconnect -s", "with the source port" },
  },
  notes = [[
Hook: sock:inet_sock_set_state (BCC: kprobes on tcp_v4/v6_connect). A
connection shows when its handshake ends (established, refused or timed out),
not when connect() is called: a SYN that is never answered shows only when
the kernel gives up on it.]],
}
local o = t:parse(arg)
local ports = t:ports("-P", o.port)

local p = bpf.load { src = [[
#include <pktlua/tcp.h>

struct ident { __u64 ts; __u32 pid, uid; char comm[16]; };
struct event {
	__u64 ts;
	__u32 pid, uid;
	__u16 family, sport, dport;
	int newstate;
	__u8 saddr[4], daddr[4], saddr_v6[16], daddr_v6[16];
	char comm[16];
};
PKTLUA_HASH(idents, __u64, struct ident, 10240);
PKTLUA_RINGBUF(events, 256 << 10);

SEC("tracepoint/sock/inet_sock_set_state")
int set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != 6 /* IPPROTO_TCP */)
		return 0;
	__u64 sk = (__u64)ctx->skaddr;
	if (ctx->newstate == 2 /* SYN_SENT */) {
		if (tool_skip())
			return 0;
		__u64 id = bpf_get_current_pid_tgid();
		struct ident i = { .ts = bpf_ktime_get_ns(), .pid = id >> 32,
				   .uid = (__u32)bpf_get_current_uid_gid() };
		bpf_get_current_comm(i.comm, sizeof(i.comm));
		bpf_map_update_elem(&idents, &sk, &i, BPF_ANY);
		return 0;
	}
	if (ctx->oldstate != 2)
		return 0;
	struct ident *i = bpf_map_lookup_elem(&idents, &sk);
	if (!i)
		return 0;
	struct event e = { .ts = i->ts, .pid = i->pid, .uid = i->uid, .newstate = ctx->newstate };
	__builtin_memcpy(e.comm, i->comm, sizeof(e.comm));
	TCP_ADDRS_COPY(&e, ctx);
	pktlua_emit(&events, &e, sizeof(e));
	bpf_map_delete_elem(&idents, &sk);
	return 0;
}
]], globals = t:globals() }

local counts, first = tool.tally(), nil
local out = t:columns {
  o.timestamp and { "TIME(s)", "%-8.3f", "time" },
  o.print_uid and { "UID", "%-5d", "uid" },
  { "PID", "%-6d", "pid" },
  { "COMM", "%-16.16s", "comm" },
  { "IP", "%-2d", "ip" },
  { "SADDR", "%-16s", "saddr" },
  { "DADDR", "%-16s", "daddr" },
  o.source_port and { "SPORT", "%-5d", "sport" },
  { "DPORT", "%-5d", "dport" },
}
bpf.on(p.maps.events, function(e)
  if ports and not ports[e.dport] then return end
  first = first or e.ts
  local saddr, daddr = tool.tcp_addrs(e)
  local r = { time = (e.ts - first) / 1e9, uid = e.uid, pid = e.pid, comm = e.comm,
              ip = e.family == 10 and 6 or 4, saddr = saddr, daddr = daddr,
              sport = e.sport, dport = e.dport, result = e.newstate == 1 and "established" or "failed" }
  if o.count then
    counts:add(table.concat({ r.saddr, r.daddr, o.source_port and r.sport or "", r.dport }, "|"), r)
    return
  end
  out:row(r)
end, "struct event")

p:attach()
if o.count then
  t:say("Tracing connect ... Hit Ctrl-C to end")
  t:run { done = function()
    local rows = counts:sorted()
    if t:json() then
      local json = require "pktlua.json"
      for _, c in ipairs(rows) do
        json.line { saddr = c.r.saddr, daddr = c.r.daddr, sport = o.source_port and c.r.sport or nil,
                    dport = c.r.dport, connects = c.n }
      end
      return
    end
    io.write(("\n%-25s %-25s"):format("LADDR", "RADDR"))
    if o.source_port then io.write((" %-20s"):format("LPORT")) end
    io.write((" %-20s %-10s\n"):format("RPORT", "CONNECTS"))
    for _, c in ipairs(rows) do
      io.write(("%-25s %-25s"):format(c.r.saddr, c.r.daddr))
      if o.source_port then io.write((" %-20d"):format(c.r.sport)) end
      io.write((" %-20d %-10d\n"):format(c.r.dport, c.n))
    end
  end }
else
  out:header()
  t:run()
end
