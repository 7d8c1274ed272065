-- Load and attach one program of KIND ("socket": a socket filter on lo,
-- "cgroup": cgroup_skb/ingress on the root cgroup); prints "attached".
-- "pin": load a map and pin it at PATH instead.
-- usage: priv_attach.lua KIND [PATH]
local bpf = require "pktlua"
local kind = arg[1]

if kind == "pin" then
  local p = bpf.load[[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(kept, __u64, 1);
SEC("socket") int keep(struct __sk_buff *skb) { __u32 k = 0; bpf_map_lookup_elem(&kept, &k); return 0; }
]]
  p.maps.kept:pin(assert(arg[2]))
  print("pinned")
  return
end

local src = {
  socket = [[SEC("socket") int keep(struct __sk_buff *skb) { return 0; }]],
  cgroup = [[SEC("cgroup_skb/ingress") int pass(struct __sk_buff *skb) { return 1; }]],
}
local p = bpf.load("#include <pktlua/bpf.h>\n" .. assert(src[kind], "KIND: socket or cgroup"))
print(p:attach{ iface = kind == "socket" and "lo" or nil }[1])
print("attached")
