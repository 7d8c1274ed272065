-- tp_count.lua — the startup benchmark's tiny tracepoint counter in pktlua
-- usage: pktlua bench/startup/tp_count.lua [SECONDS]
-- Counts sys_enter_openat into a 1-entry array, prints "attached" right
-- after the attach, then exits (or runs SECONDS and prints the count).
local bpf = require "pktlua"

local p = bpf.load [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(c, __u64, 1);

SEC("tracepoint/syscalls/sys_enter_openat")
int count(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&c, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}
]]
p:attach()
print("attached")
io.stdout:flush()
if arg[1] then
  bpf.run(tonumber(arg[1]))
  print("opens", p.maps.c[0])
end
