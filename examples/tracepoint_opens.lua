-- tracepoint_opens.lua — which commands open files, counted in the kernel
-- usage: pktlua examples/tracepoint_opens.lua [SECONDS]   (default: until Ctrl-C)
-- ci: 2
-- ci-expect: OPENS
--
-- A tracepoint program keyed by a struct with a char[16]: in Lua the key
-- arrives as a table, comm as a string. pktlua.map ranks the counts.
local bpf = require "pktlua"
local map = require "pktlua.map"

local p = bpf.load [[
#include <pktlua/bpf.h>

struct who {
	__u32 pid;
	char comm[16];
};
PKTLUA_HASH(opens, struct who, __u64, 4096);

SEC("tracepoint/syscalls/sys_enter_openat")
int count_opens(void *ctx)
{
	struct who w = { .pid = bpf_get_current_pid_tgid() >> 32 };
	bpf_get_current_comm(w.comm, sizeof(w.comm));
	PKTLUA_ADD(opens, &w, (__u64)1);
	return 0;
}
]]
p:attach()                                -- by SEC(): the tracepoint

bpf.at_exit(function()
  print(("%-8s %-16s %s"):format("PID", "COMM", "OPENS"))
  for _, e in ipairs(map.top(p.maps.opens, 10)) do
    local who, n = e[1], e[2]
    print(("%-8d %-16s %d"):format(who.pid, who.comm, n))
  end
end)
bpf.run(tonumber(arg[1]))                 -- nil: until Ctrl-C
