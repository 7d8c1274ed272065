-- uprobe_calls.lua — count calls of a function in a binary (or library)
-- usage: pktlua examples/uprobe_calls.lua [BINARY] [SYMBOL] [SECONDS]
--        (default: libc's getpid, until Ctrl-C)
-- ci: /lib/x86_64-linux-gnu/libc.so.6 getpid 2
-- ci-expect: calls of getpid
--
-- A uprobe attached by binary + symbol; the count is per process name.
local bpf = require "pktlua"
local map = require "pktlua.map"

local binary = arg[1] or "/lib/x86_64-linux-gnu/libc.so.6"
local symbol = arg[2] or "getpid"

local p = bpf.load [[
#include <pktlua/bpf.h>
struct comm { char name[16]; };
PKTLUA_HASH(calls, struct comm, __u64, 1024);

SEC("uprobe")
int on_call(struct pt_regs *ctx)
{
	struct comm c = {};
	bpf_get_current_comm(c.name, sizeof(c.name));
	PKTLUA_ADD(calls, &c, (__u64)1);
	return 0;
}
]]
print(p.progs.on_call:attach { binary = binary, symbol = symbol })

bpf.at_exit(function()
  print(("calls of %s in %s:"):format(symbol, binary))
  for _, e in ipairs(map.top(p.maps.calls, 10)) do
    print(("  %-16s %d"):format(e[1].name, e[2]))
  end
end)
bpf.run(tonumber(arg[3]))
