-- hist_latency.lua — read() latency as a log2 histogram, bpftrace style
-- usage: pktlua examples/hist_latency.lua [SECONDS]   (default: until Ctrl-C; --json for JSON lines)
-- ci: 2
-- ci-expect: @usecs: 
--
-- Two tracepoints time each read(): entry stores a timestamp per thread,
-- exit adds the elapsed microseconds to a log2 histogram with
-- PKTLUA_HIST_ADD (<pktlua/hist.h>). At the end pktlua.hist prints it
-- exactly as bpftrace's `@usecs = hist(...)` would:
--   bpftrace -e 't:syscalls:sys_enter_read { @s[tid] = nsecs; }
--     t:syscalls:sys_exit_read /@s[tid]/ { @usecs = hist((nsecs - @s[tid]) / 1000); delete(@s[tid]); }'
local bpf = require "pktlua"
local hist = require "pktlua.hist"

local p = bpf.load [[
#include <pktlua/hist.h>

PKTLUA_HASH(start, __u32, __u64, 10240);   /* thread id -> entry time (ns) */
PKTLUA_HIST(usecs);

SEC("tracepoint/syscalls/sys_enter_read")
int read_enter(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&start, &tid, &now, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_read")
int read_exit(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *t0 = bpf_map_lookup_elem(&start, &tid);

	if (!t0)
		return 0;   /* the read began before we attached */
	PKTLUA_HIST_ADD(usecs, (bpf_ktime_get_ns() - *t0) / 1000);
	bpf_map_delete_elem(&start, &tid);
	return 0;
}
]]
p:attach()
if bpf.output ~= "json" then print("Tracing read() latency... Hit Ctrl-C to end.") end

bpf.at_exit(function()
  hist.print(p.maps.usecs, "@usecs")
end)
bpf.run(tonumber(arg[1]))
