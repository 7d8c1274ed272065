-- Load and attach one program of KIND ("socket": a socket filter on lo,
-- "cgroup": cgroup_skb/ingress on the root cgroup); prints "attached".
-- usage: priv_attach.lua KIND
local bpf = require "pktlua"
local kind = arg[1]

local src = {
  socket = [[SEC("socket") int keep(struct __sk_buff *skb) { return 0; }]],
  cgroup = [[SEC("cgroup_skb/ingress") int pass(struct __sk_buff *skb) { return 1; }]],
}
local p = bpf.load("#include <pktlua/bpf.h>\n" .. assert(src[kind], "KIND: socket or cgroup"))
print(p:attach{ iface = kind == "socket" and "lo" or nil }[1])
print("attached")
