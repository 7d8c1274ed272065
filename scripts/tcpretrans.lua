#!/usr/bin/env pktlua
-- tcpretrans.lua — trace TCP retransmits: which connection, in which state
-- usage: pktlua -t tcpretrans [-h] [-c] [-s] [-4 | -6]
-- ci: --duration 1
-- ci-expect: TIME     PID     IP LADDR:LPORT          T> RADDR:RPORT          STATE
--
-- As BCC's tcpretrans, on tcp:tcp_retransmit_skb (BCC uses this tracepoint
-- too where it has it).
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "tcpretrans",
  about = "Trace TCP retransmits",
  options = {
    { "-c", "--count", nil, "count occurred retransmits per flow" },
    { "-s", "--sequence", nil, "display TCP sequence numbers" },
    { "-4", "--ipv4", nil, "trace IPv4 family only" },
    { "-6", "--ipv6", nil, "trace IPv6 family only" },
  },
  examples = {
    { "tcpretrans", "trace TCP retransmits" },
    { "tcpretrans -c", "count occurred retransmits per flow" },
    { "tcpretrans -s", "with sequence numbers" },
    { "tcpretrans -4", "trace IPv4 family only" },
  },
  notes = [[
Hook: tcp:tcp_retransmit_skb. No -l (tail loss probes): BCC takes those from a
kprobe on tcp_send_loss_probe, which this kernel lacks. PID is whoever ran
when the timer or ACK caused the retransmit (usually 0). Attempts that sent
nothing (the tracepoint's err, Linux 6.13+: -EBUSY while the original is
still queued in the host) are not shown, as RetransSegs does not count them.]],
}
local o = t:parse(arg)
local family = t:ip_family()

local p = bpf.load { src = [[
#include <pktlua/tcp.h>

struct event {
	__u32 pid, seq;
	int state;
	__u16 family, sport, dport;
	__u8 saddr[4], daddr[4], saddr_v6[16], daddr_v6[16];
};
PKTLUA_RINGBUF(events, 256 << 10);

SEC("tracepoint/tcp/tcp_retransmit_skb")
int retransmit(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	if (tcp_family_skip(ctx->family))
		return 0;
	/* Since Linux 6.13 the tracepoint also fires for an attempt that sent
	 * nothing (err: -EBUSY while the original still sits in a host queue,
	 * ...): not a retransmit, and not in the RetransSegs counter either. */
	if (bpf_core_field_exists(ctx->err) && ctx->err)
		return 0;
	struct event e = { .pid = bpf_get_current_pid_tgid() >> 32, .state = ctx->state };
	TCP_ADDRS_COPY(&e, ctx);
	struct sk_buff *skb = (struct sk_buff *)ctx->skbaddr;
	struct tcp_skb_cb *cb = (struct tcp_skb_cb *)&skb->cb[0];
	e.seq = BPF_CORE_READ(cb, seq);
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}
]], globals = { target_family = family } }

local counts = tool.tally()
local out = t:columns {
  { "TIME", "%-8s", "time" },
  { "PID", "%-7d", "pid" },
  { "IP", "%-2d", "ip" },
  { "LADDR:LPORT", "%-20s", "laddr_port" },
  { "T>", "%2s", "type" },
  { "RADDR:RPORT", "%-20s", "raddr_port" },
  { "STATE", "%s", "state" },
  o.sequence and { "SEQ", "%d", "seq" },
}
bpf.on(p.maps.events, function(e)
  local la, ra = tool.tcp_addrs(e)
  local r = { time = tool.hms(), pid = e.pid, ip = e.family == 10 and 6 or 4,
              laddr = la, lport = e.sport, raddr = ra, rport = e.dport,
              laddr_port = ("%s:%d"):format(la, e.sport), raddr_port = ("%s:%d"):format(ra, e.dport),
              type = "R>", state = tool.tcp_state(e.state), seq = e.seq }
  if o.count then
    counts:add(r.laddr_port .. " " .. r.raddr_port, r)
    return
  end
  out:row(r)
end, "struct event")

p:attach()
if o.count then
  t:say("Tracing retransmits ... Hit Ctrl-C to end")
  t:run { done = function()
    local rows = counts:sorted()
    if t:json() then
      for _, c in ipairs(rows) do
        require("pktlua.json").line { laddr = c.r.laddr, lport = c.r.lport, raddr = c.r.raddr,
                                      rport = c.r.rport, retransmits = c.n }
      end
      return
    end
    print(("\n%-25s %-25s %-10s"):format("LADDR:LPORT", "RADDR:RPORT", "RETRANSMITS"))
    for _, c in ipairs(rows) do
      print(("%-25s %-25s %-10d"):format(c.r.laddr_port, c.r.raddr_port, c.n))
    end
  end }
else
  t:say("Tracing retransmits ... Hit Ctrl-C to end")
  out:header()
  t:run()
end
