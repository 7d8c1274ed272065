#!/usr/bin/env pktlua
-- biolatency.lua — summarize block device I/O latency as a histogram
-- usage: pktlua -t biolatency [-h] [-T] [-Q] [-m] [-D] [-F] [-d DISK] [interval] [count]
-- ci: 1 1
-- ci-expect: Tracing block device I/O
--
-- As BCC's libbpf-tools biolatency: tp_btf block_rq_insert (-Q),
-- block_rq_issue and block_rq_complete; the time from issue (or insert)
-- to completion, in log2 buckets, per disk (-D) or per flags (-F).
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "biolatency",
  about = "Summarize block device I/O latency as a histogram",
  options = {
    { "-T", "--timestamp", nil, "include timestamp on output" },
    { "-Q", "--queued", nil, "include OS queued time in I/O time" },
    { "-m", "--milliseconds", nil, "millisecond histogram" },
    { "-D", "--disks", nil, "print a histogram per disk device" },
    { "-F", "--flags", nil, "print a histogram per set of I/O flags" },
    { "-d", "--disk", "DISK", "trace this disk only" },
  },
  args = {
    { "interval", "output interval, in seconds", type = "number" },
    { "count", "number of outputs", type = "int" },
  },
  examples = {
    { "biolatency", "summarize block I/O latency as a histogram" },
    { "biolatency 1 10", "print 1 second summaries, 10 times" },
    { "biolatency -mT 1", "1s summaries, milliseconds, and timestamps" },
    { "biolatency -Q", "include OS queued time in I/O time" },
    { "biolatency -D", "show each disk device separately" },
    { "biolatency -F", "show I/O flags separately" },
    { "biolatency -d sdc", "trace sdc only" },
  },
  notes = "Same hooks as BCC: tp_btf/block_rq_insert, block_rq_issue, block_rq_complete.",
}
local o = t:parse(arg)
local dev = t:disk(o.disk)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile bool targ_per_disk = false;
const volatile bool targ_per_flag = false;
const volatile bool targ_queued = false;
const volatile bool targ_ms = false;

struct hist_key { __u32 dev, flags; };
PKTLUA_HASH(start, __u64, __u64, 10240);
PKTLUA_HASH(hists, struct hist_key, struct tool_hist, 1024);

static __always_inline int trace_start(struct request *rq)
{
	if (tool_dev_skip(tool_rq_dev(rq)))
		return 0;
	__u64 key = (__u64)rq, ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &key, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(block_rq_insert, struct request *rq)
{
	return targ_queued ? trace_start(rq) : 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue, struct request *rq)
{
	if (targ_queued && BPF_CORE_READ(rq, q, elevator))
		return 0;
	return trace_start(rq);
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq;
	__u64 *tsp = bpf_map_lookup_elem(&start, &key);
	if (!tsp)
		return 0;
	__s64 delta = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&start, &key);
	if (delta < 0)
		return 0;
	struct hist_key hk = {};
	if (targ_per_disk)
		hk.dev = tool_rq_dev(rq);
	if (targ_per_flag)
		hk.flags = tool_rq_flags(BPF_CORE_READ(rq, cmd_flags));
	TOOL_HIST_ADD(hists, &hk, targ_ms ? delta / 1000000 : delta / 1000);
	return 0;
}
]], globals = { targ_per_disk = o.disks, targ_per_flag = o.flags, targ_queued = o.queued,
                targ_ms = o.milliseconds, targ_dev = dev } }

local units = o.milliseconds and "msecs" or "usecs"
local function by_disk_flags(a, b)
  return a.k.dev ~= b.k.dev and a.k.dev < b.k.dev or a.k.flags < b.k.flags
end
local function report()
  t:interval_header(o.timestamp)
  for _, r in ipairs(tool.take(p.maps.hists, by_disk_flags)) do
    local extra = {}
    if o.disks then extra.disk = tool.disk_name(r.k.dev) end
    if o.flags then extra.flags = tool.req_flags(r.k.flags) end
    if not t:json() then
      if o.disks then io.write(("\ndisk = %s\t"):format(extra.disk)) end
      if o.flags then io.write(("flags = %s"):format(extra.flags)) end
      if o.disks or o.flags then io.write("\n") end
    end
    tool.print_log2_hist(r.v, units, extra)
  end
end

p:attach()
t:say("Tracing block device I/O... Hit Ctrl-C to end.")
t:run { interval = o.interval, count = o.count, tick = report, done = report }
