-- json_lines.lua — per-second counts as JSON lines, ready for jq
-- usage: pktlua examples/json_lines.lua [SECONDS] | jq -c 'select(.type == "opens")'
-- ci: 3
-- ci-expect: "type":"opens"
--
-- pktlua.json turns Lua values (maps included) into one JSON object per
-- line: keys sorted, integers as integers, odd bytes escaped, so every
-- line parses. Each second: the openat() calls per command, then cleared.
local bpf = require "pktlua"
local json = require "pktlua.json"
local map = require "pktlua.map"

local p = bpf.load [[
#include <pktlua/bpf.h>

struct comm { char name[16]; };
PKTLUA_HASH(opens, struct comm, __u64, 1024);

SEC("tracepoint/syscalls/sys_enter_openat")
int count_opens(void *ctx)
{
	struct comm c = {};
	bpf_get_current_comm(c.name, sizeof(c.name));
	PKTLUA_ADD(opens, &c, (__u64)1);
	return 0;
}
]]
p:attach()

local function report()
  local by_comm = {}
  for k, n in pairs(p.maps.opens) do by_comm[k.name] = n end
  map.clear(p.maps.opens)
  json.line { type = "opens", time = os.time(), total = map.sum(by_comm), by_comm = by_comm }
end
bpf.every(1, report)
bpf.at_exit(report)
bpf.run(tonumber(arg[1]))
