-- globals_probe.lua STEP — counts this process's openat calls, times STEP,
-- with the PID filter and STEP set as globals before load (libbpf-tools'
-- `const volatile` knobs). globals_cache.sh runs it twice against a private
-- cache: a different PID and STEP must still be a cache hit.
local bpf = require "pktlua"

local p = bpf.load{ src = [[
#include <pktlua/bpf.h>
const volatile __u32 targ_pid = 0;
const volatile __u64 step = 1;
__u64 opens;

SEC("tracepoint/syscalls/sys_enter_openat")
int count_openat(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) == targ_pid)
		__sync_fetch_and_add(&opens, step);
	return 0;
}
]], globals = { targ_pid = bpf.pid(), step = tonumber(arg[1]) } }

p:attach()
for _ = 1, 5 do assert(io.open("/proc/self/stat")):close() end
print("opens=" .. p.globals.opens)
