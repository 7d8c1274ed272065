-- A tracepoint counter that drops every capability once attached: it counts
-- exactly the openat calls this script makes, N before bpf.drop_caps() and
-- M after; then a load and an attach must fail, saying why.
-- usage: priv_tracepoint.lua N M
local bpf = require "pktlua"
local N, M = tonumber(arg[1]) or 10, tonumber(arg[2]) or 10

local function status(field)
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("a")
  f:close()
  return s:match(field .. ":%s*(%x+)")
end

-- The pid is a global set at load, not a define: the compiled object stays
-- the same from run to run, a compile cache hit.
local p = bpf.load{ src = [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(counts, __u64, 1);
const volatile __u32 target_pid;

SEC("tracepoint/syscalls/sys_enter_openat")
int count_openat(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_pid)
		return 0;
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}
]], globals = { target_pid = bpf.pid() } }
p:attach()

local function opens(n)
  local c0 = p.maps.counts[0]
  for _ = 1, n do assert(io.open("/proc/self/stat")):close() end
  return p.maps.counts[0] - c0
end

print("CapEff before: " .. status("CapEff"))
print("openat before drop_caps=" .. opens(N))
bpf.drop_caps()
print("CapEff after: " .. status("CapEff") .. " CapPrm after: " .. status("CapPrm"))
print("openat after drop_caps=" .. opens(M))
print("load after drop_caps: " .. select(2, pcall(function() return bpf.load("int x;") end)))
print("attach after drop_caps: " .. select(2, pcall(function() return p:attach() end)))
