/* pktlua/tcp.h — what the TCP tools (scripts/tcp*.lua) share on the BPF
 * side: the -4/-6 filter, and a connection's addresses as the kernel's
 * sock:inet_sock_set_state and tcp:* tracepoints give them.
 *
 *   #include <pktlua/tcp.h>
 *   struct event {
 *       __u32 pid;
 *       __u16 family, sport, dport;
 *       __u8 saddr[4], daddr[4], saddr_v6[16], daddr_v6[16];
 *   };
 *   SEC("tracepoint/tcp/tcp_retransmit_skb")
 *   int f(struct trace_event_raw_tcp_retransmit_skb *ctx)
 *   {
 *       if (tcp_family_skip(ctx->family))
 *           return 0;
 *       struct event e = { .pid = bpf_get_current_pid_tgid() >> 32 };
 *       TCP_ADDRS_COPY(&e, ctx);
 *       ...
 *   }
 *
 * and in Lua: local laddr, raddr = tool.tcp_addrs(e) (pktlua.tool). */
#ifndef PKTLUA_TCP_H
#define PKTLUA_TCP_H

#include <pktlua/tool.h>

/* -4/-6: AF_INET (2) or AF_INET6 (10), set from Lua (pktlua.tool's
 * T:ip_family()); 0: both. */
const volatile __u16 target_family = 0;

/* True when FAMILY is filtered out by target_family. */
static __always_inline bool tcp_family_skip(__u16 family)
{
	return target_family && family != target_family;
}

/* Copy the connection of tracepoint context CTX (any of those that carry
 * family, sport, dport, saddr[4], daddr[4], saddr_v6[16], daddr_v6[16]:
 * sock:inet_sock_set_state, tcp:tcp_retransmit_skb, ...) into the fields
 * of the same names in *E. A macro: the tracepoints' structs differ, their
 * field names do not. */
#define TCP_ADDRS_COPY(e, ctx)                                               \
	({                                                                   \
		(e)->family = (ctx)->family;                                 \
		(e)->sport = (ctx)->sport;                                   \
		(e)->dport = (ctx)->dport;                                   \
		bpf_probe_read_kernel((e)->saddr, 4, (ctx)->saddr);          \
		bpf_probe_read_kernel((e)->daddr, 4, (ctx)->daddr);          \
		bpf_probe_read_kernel((e)->saddr_v6, 16, (ctx)->saddr_v6);   \
		bpf_probe_read_kernel((e)->daddr_v6, 16, (ctx)->daddr_v6);   \
	})

#endif
