-- Attach an XDP and a tc program to IFACE and wait (to be killed).
local bpf = require "pktlua"
local iface = assert(arg[1], "usage: hold_tc_xdp.lua IFACE")
local p = bpf.load [[
#include <pktlua/xdp.h>
#include <pktlua/tc.h>
SEC("xdp") int pl_kill_xdp(struct xdp_md *ctx) { return XDP_PASS; }
SEC("tc") int pl_kill_tc(struct __sk_buff *skb) { return TC_ACT_OK; }
]]
p.progs.pl_kill_xdp:attach{ iface = iface, mode = "skb" }
p.progs.pl_kill_tc:attach{ iface = iface, direction = "ingress" }
p.progs.pl_kill_tc:attach{ iface = iface, direction = "egress" }
print("attached")
io.stdout:flush()
bpf.run()
