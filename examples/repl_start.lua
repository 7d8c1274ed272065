-- repl_start.lua — set up a probe, then poke at it from pktlua's prompt
-- usage: pktlua -i examples/repl_start.lua
--        (run without -i it only sets up and exits, as CI does)
-- ci:
-- ci-expect: loaded: p.maps.calls
--
-- With -i, the prompt starts after the script, with its globals in reach:
--   > bpf.run(2)                 -- let the tracepoint count for 2 s
--   > p.maps.calls[0]            -- read the map like a table
--   > map.top(p.maps.by_comm, 3) -- or rank it
-- Ctrl-C ends a bpf.run(), Ctrl-D the prompt; everything detaches at exit.
bpf = require "pktlua"
map = require "pktlua.map"

p = bpf.load [[
#include <pktlua/bpf.h>
struct comm { char name[16]; };
PKTLUA_ARRAY(calls, __u64, 1);
PKTLUA_HASH(by_comm, struct comm, __u64, 1024);

SEC("tracepoint/syscalls/sys_enter_openat")
int count_opens(void *ctx)
{
	__u32 zero = 0;
	struct comm c = {};
	bpf_get_current_comm(c.name, sizeof(c.name));
	PKTLUA_ADD(calls, &zero, 1);
	PKTLUA_ADD(by_comm, &c, 1);
	return 0;
}
]]
p:attach()
print("loaded: p.maps.calls (openat calls), p.maps.by_comm (per command); try bpf.run(2)")
