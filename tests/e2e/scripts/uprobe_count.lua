-- A uprobe on a function of a test binary counts its calls.
local bpf = require "pktlua"
local target, N = assert(arg[1], "usage: uprobe_count.lua BINARY N"), tonumber(arg[2]) or 7

local p = bpf.load [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(calls, __u64, 1);

SEC("uprobe")
int count_calls(struct pt_regs *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&calls, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}
]]
p.progs.count_calls:attach{ binary = target, symbol = "pl_target_fn" }
assert(os.execute(target .. " " .. N))
print("calls=" .. p.maps.calls[0])
