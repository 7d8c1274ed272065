-- json_out.lua — with --json, hist.print and json.line write one JSON
-- object per line (the json.test case parses them with jq).
local bpf = require "pktlua"
local hist = require "pktlua.hist"
local json = require "pktlua.json"

local p = bpf.load { defines = { PID = bpf.pid() }, src = [[
#include <pktlua/hist.h>
PKTLUA_HASH(counts, __u32, __u64, 16);
PKTLUA_HIST(lat);

SEC("tracepoint/syscalls/sys_enter_openat")
int json_opens(void *ctx)
{
	__u32 k = 1;
	if (bpf_get_current_pid_tgid() >> 32 != PID)
		return 0;
	PKTLUA_ADD(counts, &k, (__u64)1);
	PKTLUA_HIST_ADD(lat, 100);
	return 0;
}
]] }
p:attach()
for _ = 1, 10 do io.open("/dev/null"):close() end
json.line { output = bpf.output, opens = p.maps.counts[1], name = "tab\there \"q\" \1 \255",
            counts = p.maps.counts, ratio = 0.25, nan = 0 / 0 }
hist.print(p.maps.lat, "lat")
hist.print({ 5, 15, 15, 120 }, { name = "lin", min = 0, max = 100, step = 10 })
