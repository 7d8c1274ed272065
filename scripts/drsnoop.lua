#!/usr/bin/env pktlua
-- drsnoop.lua — trace direct memory reclaim: who stalled reclaiming memory, how long, how many pages
-- usage: pktlua -t drsnoop [-h] [-d DURATION] [-e] [-p PID] [-t TID] [-M]
-- ci: -d 1
-- ci-expect: COMM             PID     LAT(ms) PAGES
--
-- As BCC's libbpf-tools drsnoop: vmscan:mm_vmscan_direct_reclaim_begin/end;
-- -M adds mm_vmscan_memcg_reclaim_begin/end, the reclaim a task does when
-- its memory cgroup is at its limit.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "drsnoop",
  about = "Trace direct reclaim latency",
  options = {
    { "-d", "--duration", "DURATION", "total duration of trace in seconds", type = "number" },
    { "-e", "--extended", nil, "extended fields output (free memory)" },
    { "-p", "--pid", "PID", "process PID to trace", type = "int" },
    { "-t", "--tid", "TID", "thread TID to trace", type = "int" },
    { "-M", "--memcg", nil, "also trace memory cgroup reclaim (a cgroup at its limit)" },
  },
  examples = {
    { "drsnoop", "trace all direct reclaim" },
    { "drsnoop -p 123", "only trace PID 123" },
    { "drsnoop -t 123", "only trace TID 123" },
    { "drsnoop -d 10", "trace for 10 seconds only" },
    { "drsnoop -e", "trace all direct reclaim events with extended fields" },
    { "drsnoop -M", "memory cgroup reclaim too" },
  },
  notes = [[
Same hooks as BCC's libbpf-tools; -M (pktlua's) adds vmscan:mm_vmscan_memcg_reclaim_*.
FREE(KB) is MemFree from /proc/meminfo when the event is printed (BCC reads
the kernel's vm_zone_stat, which this kernel's BTF does not describe).]],
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>


struct piddata { __u64 ts; };
struct event { __u64 delta_ns, nr_reclaimed; __u32 pid; int memcg; char comm[16]; };
PKTLUA_HASH(start, __u32, struct piddata, 8192);
PKTLUA_RINGBUF(events, 256 << 10);

static __always_inline int begin(void)
{
	if (tool_skip())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct piddata d = { .ts = bpf_ktime_get_ns() };
	bpf_map_update_elem(&start, &tid, &d, BPF_ANY);
	return 0;
}

static __always_inline int end(__u64 nr_reclaimed, int memcg)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct piddata *d = bpf_map_lookup_elem(&start, &tid);
	if (!d)
		return 0;
	struct event e = { .delta_ns = bpf_ktime_get_ns() - d->ts, .nr_reclaimed = nr_reclaimed,
			   .pid = id >> 32, .memcg = memcg };
	bpf_map_delete_elem(&start, &tid);
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_begin")
int direct_begin(void *ctx) { return begin(); }
SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_end")
int direct_end(struct trace_event_raw_mm_vmscan_direct_reclaim_end_template *ctx)
{ return end(ctx->nr_reclaimed, 0); }
SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_begin")
int memcg_begin(void *ctx) { return begin(); }
SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_end")
int memcg_end(struct trace_event_raw_mm_vmscan_direct_reclaim_end_template *ctx)
{ return end(ctx->nr_reclaimed, 1); }
]], globals = t:globals() }

local out = t:columns {
  { "TIME", "%-8s", "time" },
  { "COMM", "%-16s", "comm" },
  { "PID", "%-6d", "pid" },
  { "LAT(ms)", "%8.3f", "lat_ms" },
  { "PAGES", "%5d", "pages" },
  o.extended and { "FREE(KB)", "%8d", "free_kb" },
}
local function memfree()
  for line in io.lines("/proc/meminfo") do
    local kb = line:match("^MemFree:%s*(%d+)")
    if kb then return tonumber(kb) end
  end
end
bpf.on(p.maps.events, function(e)
  out:row { time = tool.hms(), comm = e.comm, pid = e.pid, lat_ms = e.delta_ns / 1e6,
            pages = e.nr_reclaimed, free_kb = o.extended and memfree() or nil, memcg = e.memcg == 1 }
end, "struct event")

p.progs.direct_begin:attach()
p.progs.direct_end:attach()
if o.memcg then
  p.progs.memcg_begin:attach()
  p.progs.memcg_end:attach()
end
t:say("Tracing %sreclaim events%s", o.memcg and "direct and memory cgroup " or "direct ",
  o.duration and (" for %s secs."):format(o.duration) or "... Hit Ctrl-C to end.")
out:header()
t:run { duration = o.duration }
