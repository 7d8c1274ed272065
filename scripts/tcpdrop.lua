#!/usr/bin/env pktlua
-- tcpdrop.lua — trace TCP packets the kernel drops, with the reason and the kernel stack
-- usage: pktlua -t tcpdrop [-h] [-4 | -6] [--no-stack]
-- ci: --duration 1
-- ci-expect: TIME     PID     IP SADDR:SPORT          > DADDR:DPORT          STATE (FLAGS)
--
-- As BCC's tcpdrop (newer versions): skb:kfree_skb with a drop reason, for
-- IPv4/IPv6 TCP packets; addresses, ports and flags from the packet's
-- headers, the socket's state, the reason (named as this kernel's
-- tracepoint format names it) and the kernel stack that dropped it.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "tcpdrop",
  about = "Trace TCP drops by the kernel",
  options = {
    { "-4", "--ipv4", nil, "trace IPv4 family only" },
    { "-6", "--ipv6", nil, "trace IPv6 family only" },
    { nil, "--no-stack", nil, "do not print the kernel stack" },
  },
  examples = {
    { "tcpdrop", "trace kernel TCP drops" },
    { "tcpdrop -4", "trace IPv4 family only" },
    { "tcpdrop --json | jq .reason", "the reasons, as JSON" },
  },
  notes = [[
Hook: skb:kfree_skb with reason > NOT_SPECIFIED (BCC's older tcpdrop used a
kprobe on tcp_drop). Every drop reason counts, including NO_SOCKET: a segment
to a port nobody listens on (answered with a RST).]],
}
local o = t:parse(arg)
local family = t:ip_family()

-- The kernel's names of its drop reasons, from the tracepoint's own format.
local reasons = {}
do
  local f = io.open("/sys/kernel/tracing/events/skb/kfree_skb/format")
        or io.open("/sys/kernel/debug/tracing/events/skb/kfree_skb/format")
  if f then
    local fmt = f:read("a")
    f:close()
    for n, name in fmt:gmatch('{%s*(%d+),%s*"([%w_]+)"%s*}') do reasons[tonumber(n)] = name end
  end
end

local p = bpf.load { src = [[
#include <pktlua/tcp.h>
#define PKTLUA_STACK_NO_EXIT_WATCH     /* kernel stacks only */
#include <pktlua/stack.h>

struct event {
	__u32 pid;
	int stack_id, reason, state;
	__u16 family, sport, dport;
	__u8 flags;
	__u8 saddr[16], daddr[16];
};
PKTLUA_RINGBUF(events, 256 << 10);
PKTLUA_STACKS(stacks, 1024);

SEC("tracepoint/skb/kfree_skb")
int kfree_skb(struct trace_event_raw_kfree_skb *ctx)
{
	if (ctx->reason <= SKB_DROP_REASON_NOT_SPECIFIED)
		return 0;
	__u16 proto = ctx->protocol;
	__u16 family = proto == 0x0800 ? 2 : proto == 0x86DD ? 10 : 0;
	if (!family || tcp_family_skip(family))
		return 0;
	struct sk_buff *skb = ctx->skbaddr;
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header), th = BPF_CORE_READ(skb, transport_header);
	struct event e = { .pid = bpf_get_current_pid_tgid() >> 32, .reason = ctx->reason,
			   .family = family };
	if (family == 2) {
		struct iphdr ip;
		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) || ip.protocol != 6)
			return 0;
		__builtin_memcpy(e.saddr, &ip.saddr, 4);
		__builtin_memcpy(e.daddr, &ip.daddr, 4);
		if (th == (__u16)~0U || th <= nh)
			th = nh + ip.ihl * 4;
	} else {
		struct ipv6hdr ip6;
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh) || ip6.nexthdr != 6)
			return 0;
		bpf_probe_read_kernel(e.saddr, 16, &ip6.saddr);
		bpf_probe_read_kernel(e.daddr, 16, &ip6.daddr);
		if (th == (__u16)~0U || th <= nh)
			th = nh + sizeof(ip6);
	}
	struct tcphdr tcp;
	if (bpf_probe_read_kernel(&tcp, sizeof(tcp), head + th))
		return 0;
	e.sport = bpf_ntohs(tcp.source);
	e.dport = bpf_ntohs(tcp.dest);
	e.flags = ((__u8 *)&tcp)[13];
	struct sock *sk = BPF_CORE_READ(skb, sk);
	e.state = sk ? BPF_CORE_READ(sk, __sk_common.skc_state) : 7 /* CLOSE */;
	e.stack_id = bpf_get_stackid(ctx, &stacks, 0);
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}
]], globals = { target_family = family } }

local flag_names = { "FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR" }
local function flags_text(f)
  local s = {}
  for i, n in ipairs(flag_names) do if f & (1 << (i - 1)) ~= 0 then s[#s + 1] = n end end
  return table.concat(s, "|")
end

local function stack_of(id)
  return tool.kstack(p.maps.stacks, id)
end

local out = t:columns {
  { "TIME", "%-8s", "time" },
  { "PID", "%-7d", "pid" },
  { "IP", "%-2d", "ip" },
  { "SADDR:SPORT", "%-20s", "src" },
  { ">", "%s", "arrow", json = function() end },
  { "DADDR:DPORT", "%-20s", "dst" },
  { "STATE (FLAGS)", "%-20s", "state_flags", json = function() end },
  { "REASON", "%s", "reason_text", json = function() end },
}
bpf.on(p.maps.events, function(e)
  local ip = e.family == 10 and 6 or 4
  local sa = tool.inet(e.family, e.saddr, e.saddr)
  local da = tool.inet(e.family, e.daddr, e.daddr)
  local state, flags = tool.tcp_state(e.state), flags_text(e.flags)
  local reason = reasons[e.reason] or "UNKNOWN"
  local stack = o.no_stack and {} or stack_of(e.stack_id)
  out:row { time = tool.hms(), pid = e.pid, ip = ip, saddr = sa, sport = e.sport, daddr = da,
            dport = e.dport, src = ("%s:%d"):format(sa, e.sport), dst = ("%s:%d"):format(da, e.dport),
            arrow = ">", state = state, flags = flags, state_flags = ("%s (%s)"):format(state, flags),
            reason = reason, reason_code = e.reason, reason_text = ("%s (%d)"):format(reason, e.reason),
            stack = (#stack > 0) and stack or nil }
  if not t:json() and not o.no_stack then
    for _, f in ipairs(stack) do print("\t" .. f) end
    print()
  end
end, "struct event")

p:attach()
out:header()
t:run()
