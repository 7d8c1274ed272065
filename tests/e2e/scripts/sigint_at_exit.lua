-- Ctrl-C during bpf.run(): the loop ends, at_exit handlers run, exit 0.
local bpf = require "pktlua"
local p = bpf.load [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(hits, __u64, 1);
SEC("tracepoint/syscalls/sys_enter_getppid")
int pl_sigint_tp(void *ctx) { __u32 k = 0; PKTLUA_ADD(hits, &k, (__u64)1); return 0; }
]]
p:attach()
bpf.at_exit(function() print("at_exit ran") end)
local ticks = 0
bpf.every(0.1, function() ticks = ticks + 1 end)
bpf.after(0.3, function() print("ready") io.stdout:flush() end)
print("run ended: " .. bpf.run())
print("ticks>0: " .. tostring(ticks > 0))
