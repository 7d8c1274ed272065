-- This kernel has no kprobes (CONFIG_KPROBES is off): attaching one must say so.
local bpf = require "pktlua"
local p = bpf.load [[
#include <pktlua/bpf.h>
SEC("kprobe/do_sys_openat2")
int on_open(struct pt_regs *ctx) { return 0; }
]]
p:attach()
print("attached")
