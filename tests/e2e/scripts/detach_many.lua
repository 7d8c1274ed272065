-- detach_many.lua — two Programs, four tracepoint links, a raw_tp and a
-- perf_event sampler each: one Program closed by the script, the other left
-- to the exit, whose links are detached all at once (pl_link__destroy_all)
-- while a helper takes the emptied perf events (perf_release.h). Both must
-- be gone after (exit_detach_many.test, exit_release.test).
local bpf = require "pktlua"

local src = [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(hits, __u64, 1);
static __always_inline void hit(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&hits, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
}
SEC("tracepoint/syscalls/sys_enter_openat") int pl_many_open(void *ctx) { hit(); return 0; }
SEC("tracepoint/syscalls/sys_enter_read") int pl_many_read(void *ctx) { hit(); return 0; }
SEC("tracepoint/syscalls/sys_enter_write") int pl_many_write(void *ctx) { hit(); return 0; }
SEC("tracepoint/syscalls/sys_enter_close") int pl_many_close(void *ctx) { hit(); return 0; }
SEC("raw_tp/sys_enter") int pl_many_raw(void *ctx) { hit(); return 0; }
SEC("perf_event") int pl_many_sample(void *ctx) { hit(); return 0; }
]]
local a = bpf.load { src = src, name = "a" }
local b = bpf.load { src = src, name = "b" }
a:attach()
b:attach()
io.open("/etc/hostname"):close()
print("attached", a.maps.hits[0] > 0, b.maps.hits[0] > 0)
b:close()
local before = a.maps.hits[0]
io.open("/etc/hostname"):close()
print("a counts on", a.maps.hits[0] > before)
-- a stays attached until the end of the script
