-- The kernel's UAPI headers with no flags, alone and after vmlinux.h; a
-- snippet's own struct key next to the kernel's; a ring buffer record only
-- used through a local pointer, decoded by name. Counts against what this
-- script sends and does.
local bpf = require "pktlua"

-- Frames: Ethernet + IPv4 (protocol PROTO) or ARP.
local function ipv4(proto)
  local eth = ("\2\0\0\0\0\1\2\0\0\0\0\2\8\0")
  local ip = string.pack(">BBHHHBBHI4I4", 0x45, 0, 28, 0, 0, 64, proto, 0, 0xc6120001, 0xc6120002)
  return eth .. ip .. ("\0"):rep(8)
end
local arp = "\255\255\255\255\255\255\2\0\0\0\0\2\8\6" .. ("\0"):rep(28)

-- 1. xdp-tutorial style: UAPI headers, bpf_endian.h, the headers' macros.
local p = bpf.load { src = [[
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
} protos SEC(".maps");

SEC("xdp")
int xdp_proto(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	__u32 key = iph->protocol;
	__u64 *n = bpf_map_lookup_elem(&protos, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return iph->protocol == IPPROTO_TCP ? XDP_DROP : XDP_PASS;
}
]] }
local verdicts = {}
for _, f in ipairs { ipv4(17), ipv4(17), ipv4(6), arp, ipv4(17), ipv4(6) } do
  local rv = p.progs.xdp_proto:run(f)
  verdicts[rv] = (verdicts[rv] or 0) + 1
end
print(("uapi xdp: udp=%d tcp=%d pass=%d drop=%d"):format(p.maps.protos[17], p.maps.protos[6],
  verdicts[2] or 0, verdicts[1] or 0))

-- 2. vmlinux.h, then <linux/if_ether.h> and <linux/pkt_cls.h> for their macros.
local q = bpf.load { src = [[
#include "vmlinux.h"
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int ipv4_only(struct __sk_buff *skb)
{
	return skb->protocol == bpf_htons(ETH_P_IP) ? TC_ACT_OK : TC_ACT_SHOT;
}
]] }
print(("vmlinux+uapi tc: ipv4=%d arp=%d"):format(q.progs.ipv4_only:run(ipv4(17)),
  q.progs.ipv4_only:run(arp)))

-- 3. The snippet's own struct key (the kernel has one) as a map key, and a
-- record used only through a local pointer: bpf.on names it.
local marker = os.tmpname()
local r = bpf.load { defines = { TARGET_PID = bpf.pid() }, src = [[
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct key { __u32 pid; char comm[16]; };
struct event { __u32 pid; char file[64]; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct key);
	__type(value, __u64);
	__uint(max_entries, 16);
} opens SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct trace_event_raw_sys_enter *ctx)
{
	struct key k = {};
	__u64 one = 1, *n;

	k.pid = bpf_get_current_pid_tgid() >> 32;
	if (k.pid != TARGET_PID)
		return 0;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	n = bpf_map_lookup_elem(&opens, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&opens, &k, &one, BPF_NOEXIST);

	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = k.pid;
	bpf_probe_read_user_str(e->file, sizeof(e->file), (const char *)ctx->args[1]);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
]] }
local seen = 0
bpf.on(r.maps.events, function(e)
  if e.pid == bpf.pid() and e.file == marker then seen = seen + 1 end
end, "struct event")
r:attach()
local N = 7
for _ = 1, N do assert(io.open(marker)):close() end
bpf.run(0.3)
os.remove(marker)
local total = 0
for k, v in pairs(r.maps.opens) do
  assert(k.pid == bpf.pid(), "a key of another process")
  total = total + v
end
print(("own struct key: at least %d opens counted: %s; struct event records of the marker: %d")
  :format(N, tostring(total >= N), seen))
