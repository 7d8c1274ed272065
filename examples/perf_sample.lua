-- perf_sample.lua — which processes are on CPU, sampled 99 times a second
-- usage: pktlua examples/perf_sample.lua [SECONDS]   (default: until Ctrl-C)
-- ci: 2
--
-- A perf_event program: attach{freq = 99} opens a cpu-clock sampling event
-- on every CPU and runs the program at each sample.
local bpf = require "pktlua"
local map = require "pktlua.map"

local p = bpf.load [[
#include <pktlua/bpf.h>
struct comm { char name[16]; };
PKTLUA_HASH(samples, struct comm, __u64, 1024);

SEC("perf_event")
int sample(void *ctx)
{
	struct comm c = {};
	bpf_get_current_comm(c.name, sizeof(c.name));
	PKTLUA_ADD(samples, &c, (__u64)1);
	return 0;
}
]]
p.progs.sample:attach { freq = 99 }

bpf.at_exit(function()
  for _, e in ipairs(map.top(p.maps.samples, 10)) do
    print(("%-16s %d"):format(e[1].name, e[2]))
  end
end)
bpf.run(tonumber(arg[1]))
