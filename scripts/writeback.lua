#!/usr/bin/env pktlua
-- writeback.lua — trace file system writeback: device, pages, reason and duration
-- usage: pktlua -t writeback [-h]
-- ci: --duration 1
-- ci-expect: TIME      DEVICE   PAGES    REASON           ms
--
-- As bpftrace's writeback.bt (there is no BCC version): writeback:writeback_start
-- and writeback:writeback_written, per backing device.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "writeback",
  about = "Trace file system writeback events with details",
  examples = { { "writeback", "trace writeback until Ctrl-C" } },
  notes = [[
Same hooks as bpftrace's writeback.bt. PAGES is the work item's page count as
the tracepoint gives it, masked to 16 bits as bpftrace prints it.]],
}
t:parse(arg)

local reasons = { [0] = "background", "vmscan", "sync", "periodic", "laptop_timer",
                  "free_more_memory", "fs_free_space", "forker_thread", "foreign_flush" }

local p = bpf.load { src = [[
#include <pktlua/tool.h>

struct event { __u64 lat_ns; long nr_pages; int reason; __u32 sb_dev; char name[32]; };
PKTLUA_HASH(start, __u32, __u64, 1024);
PKTLUA_RINGBUF(events, 256 << 10);

SEC("tracepoint/writeback/writeback_start")
int wb_start(struct trace_event_raw_writeback_work_class *ctx)
{
	__u32 dev = ctx->sb_dev;
	__u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &dev, &ts, BPF_ANY);
	return 0;
}

SEC("tracepoint/writeback/writeback_written")
int wb_written(struct trace_event_raw_writeback_work_class *ctx)
{
	__u32 dev = ctx->sb_dev;
	__u64 *ts = bpf_map_lookup_elem(&start, &dev);
	if (!ts)
		return 0;
	struct event e = { .lat_ns = bpf_ktime_get_ns() - *ts, .nr_pages = ctx->nr_pages,
			   .reason = ctx->reason, .sb_dev = dev };
	bpf_map_delete_elem(&start, &dev);
	bpf_probe_read_kernel_str(e.name, sizeof(e.name), ctx->name);
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}
]] }

local out = t:columns {
  { "TIME", "%-9s", "time" },
  { "DEVICE", "%-8s", "device" },
  { "PAGES", "%-8d", "pages" },
  { "REASON", "%-16s", "reason" },
  { "ms", "%s", "ms", fn = function(v) return ("%d.%03d"):format(v // 1000, v % 1000) end },
}
bpf.on(p.maps.events, function(e)
  local us = e.lat_ns // 1000
  out:row { time = tool.hms(), device = e.name, pages = e.nr_pages & 0xffff,
            reason = reasons[e.reason] or tostring(e.reason), ms = us, lat_ns = e.lat_ns }
end, "struct event")

p:attach()
t:say("Tracing writeback... Hit Ctrl-C to end.")
out:header()
t:run()
