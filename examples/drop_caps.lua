-- drop_caps.lua — load and attach with capabilities, then run without any
-- usage: pktlua examples/drop_caps.lua [SECONDS]   (default: until Ctrl-C)
--        as a user: sudo setpriv --reuid "$USER" --regid "$(id -g)" --init-groups \
--          --inh-caps +bpf,+perfmon,+dac_read_search \
--          --ambient-caps +bpf,+perfmon,+dac_read_search pktlua examples/drop_caps.lua
-- ci: 2
-- ci-expect: CapEff 0000000000000000
-- ci-expect: execs counted without capabilities
--
-- Loading and attaching need capabilities (README: "Running without
-- root"); what is attached does not. bpf.drop_caps() gives up every one:
-- the program keeps counting, the map keeps reading, and nothing new can be
-- loaded or attached. (--drop-caps does the same for any script.)
local bpf = require "pktlua"

local p = bpf.load [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(execs, __u64, 1);

SEC("tracepoint/sched/sched_process_exec")
int count_execs(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&execs, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}
]]
p:attach()
bpf.drop_caps()

local f = assert(io.open("/proc/self/status"))
print("CapEff " .. f:read("a"):match("CapEff:%s*(%x+)"))
f:close()
print("load now: " .. select(2, pcall(bpf.load, "int x;")))

local before = p.maps.execs[0]
os.execute("/bin/true")                  -- two execs: sh, then true
bpf.every(1, function() print("execs so far: " .. p.maps.execs[0]) end)
bpf.at_exit(function()
  if p.maps.execs[0] > before then print("execs counted without capabilities") end
end)
bpf.run(tonumber(arg[1]))
