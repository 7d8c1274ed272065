-- A tracepoint counter sees exactly the openat calls this script makes.
local bpf = require "pktlua"

local p = bpf.load{ src = [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(counts, __u64, 1);

SEC("tracepoint/syscalls/sys_enter_openat")
int count_openat(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
		return 0;
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}
]], defines = { TARGET_PID = bpf.pid() } }

p:attach()
local N = tonumber(arg[1]) or 25
for _ = 1, N do
  local f = assert(io.open("/proc/self/stat"))   -- one openat each
  f:close()
end
print("openat=" .. p.maps.counts[0])
