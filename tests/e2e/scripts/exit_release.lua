-- exit_release.lua — three tracepoint links and a perf_event sampler, left
-- attached to the end of the script: at exit the programs are detached and
-- unloaded, and only empty perf events go to the release helper
-- (host/perf_release.h). exit_release.test looks right after the exit.
local bpf = require "pktlua"

local p = bpf.load [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(hits, __u64, 1);
static __always_inline void hit(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&hits, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
}
SEC("tracepoint/syscalls/sys_enter_openat") int pl_rel_open(void *ctx) { hit(); return 0; }
SEC("tracepoint/syscalls/sys_enter_read") int pl_rel_read(void *ctx) { hit(); return 0; }
SEC("tracepoint/syscalls/sys_enter_close") int pl_rel_close(void *ctx) { hit(); return 0; }
SEC("perf_event") int pl_rel_sample(void *ctx) { hit(); return 0; }
]]
p:attach()
io.open("/etc/hostname"):close()
print("attached", p.maps.hits[0] > 0)
