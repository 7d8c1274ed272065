-- pcap_replay_file.lua — replay FILE through a pass-all XDP program, print the counts
-- usage: pktlua pcap_replay_file.lua FILE
local bpf = require "pktlua"
local pcap = require "pktlua.pcap"
local p = bpf.load [[
#include <pktlua/xdp.h>
SEC("xdp") int pass(struct xdp_md *ctx) { return XDP_PASS; }
]]
local r = pcap.replay(p.progs.pass, arg[1])
print(("packets=%d errors=%d pass=%d"):format(r.packets, r.errors, r.XDP_PASS or 0))
