-- An XDP counter of the UDP datagrams sent to ADDR:39124 on lo: N before
-- bpf.run() and M from a timer, after --drop-caps dropped every capability.
-- usage: pktlua [--drop-caps] priv_xdp.lua ADDR N M
local bpf = require "pktlua"
local ADDR, N, M = assert(arg[1]), tonumber(arg[2]) or 10, tonumber(arg[3]) or 10
local PORT = 39124

local p = bpf.load{ src = [[
#include <pktlua/xdp.h>
PKTLUA_ARRAY(udp, __u64, 1);

SEC("xdp")
int count_udp(struct xdp_md *ctx)
{
	struct pkt pkt;
	__u32 k = 0;
	if (pkt_parse(ctx, &pkt) < 0 || pkt.l4proto != IPPROTO_UDP || pkt.dport != PORT)
		return XDP_PASS;
	__u64 *v = bpf_map_lookup_elem(&udp, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return XDP_PASS;
}
]], defines = { PORT = PORT } }
print(p.progs.count_udp:attach{ iface = "lo", mode = "skb" })

local function send(n)
  assert(os.execute(("bash -c 'for i in $(seq %d); do echo x > /dev/udp/%s/%d; done'")
    :format(n, ADDR, PORT)))
end

local function cap_eff()
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("a")
  f:close()
  return s:match("CapEff:%s*(%x+)")
end

send(N)
print("udp before run=" .. p.maps.udp[0] .. " CapEff=" .. cap_eff())
bpf.after(0, function()
  local c0 = p.maps.udp[0]
  print("CapEff in run=" .. cap_eff())
  send(M)
  print("udp in run=" .. (p.maps.udp[0] - c0))
  bpf.stop()
end)
print(bpf.run(10))
