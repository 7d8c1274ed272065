-- Perf buffer overflow: every record is either received or counted lost.
-- Run pinned to one CPU (taskset): the kernel reports a CPU buffer's losses
-- with the next record that fits in that buffer.
local bpf = require "pktlua"

local p = bpf.load { src = [[
#include <pktlua/bpf.h>
#include <pktlua/events.h>

struct big { __u64 seq; char pad[248]; };
PKTLUA_PERF_EVENTS(events);
PKTLUA_ARRAY(produced, __u64, 1);

SEC("tracepoint/syscalls/sys_enter_openat")
int on_open(void *ctx)
{
	__u32 k = 0;
	if ((bpf_get_current_pid_tgid() >> 32) != PID)
		return 0;
	__u64 *n = bpf_map_lookup_elem(&produced, &k);
	if (!n)
		return 0;
	struct big b = { .seq = __sync_fetch_and_add(n, 1) };
	pktlua_perf_emit(ctx, &events, &b, sizeof(b));
	return 0;
}
]], defines = { PID = bpf.pid() } }

local got = 0
bpf.on(p.maps.events, function() got = got + 1 end, "struct big")
p:attach()
local function opens(n)
  for i = 1, n do
    local f = io.open("/nonexistent/" .. i)
    if f then f:close() end
  end
end
opens(4000)        -- 4000 x 264 bytes into 64 pages (256 KiB), nobody reading
bpf.run(0.05)
opens(10)          -- carries the loss report
bpf.run(0.05)
local produced, lost = p.maps.produced[0], bpf.lost(p.maps.events)
print(("produced=%d received=%d lost=%d"):format(produced, got, lost))
print("lost>0: " .. tostring(lost > 0))
print("balanced: " .. tostring(lost == produced - got))
