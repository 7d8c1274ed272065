#!/usr/bin/env pktlua
-- bitesize.lua — summarize block device I/O size as a histogram per process name
-- usage: pktlua -t bitesize [-h] [-T] [-c COMM] [-d DISK] [interval] [count]
-- ci: 1 1
-- ci-expect: Tracing block device I/O
--
-- As BCC's libbpf-tools bitesize: tp_btf block_rq_issue, the request's size
-- in Kbytes by the command that issued it.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "bitesize",
  about = "Summarize block device I/O size as a histogram",
  options = {
    { "-T", "--timestamp", nil, "include timestamp on output" },
    { "-c", "--comm", "COMM", "trace this comm only" },
    { "-d", "--disk", "DISK", "trace this disk only" },
  },
  args = {
    { "interval", "output interval, in seconds", type = "number" },
    { "count", "number of outputs", type = "int" },
  },
  examples = {
    { "bitesize", "summarize block I/O size as a histogram" },
    { "bitesize 1 10", "print 1 second summaries, 10 times" },
    { "bitesize -T 1", "1s summaries with timestamps" },
    { "bitesize -c fio", "trace fio only" },
    { "bitesize -d sdc", "trace sdc only" },
  },
  notes = [[
Same hook as BCC: tp_btf/block_rq_issue; the process is whichever issued the
request (a kernel worker for writeback and for requests issued later).]],
}
local o = t:parse(arg)
if o.comm and #o.comm > 15 then t:fail("-c: a command name has at most 15 characters") end
local dev = t:disk(o.disk)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

struct hist_key { char comm[16]; };
PKTLUA_HASH(hists, struct hist_key, struct tool_hist, 10240);

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue, struct request *rq)
{
	if (tool_dev_skip(tool_rq_dev(rq)))
		return 0;
	struct hist_key hk = {};
	bpf_get_current_comm(hk.comm, sizeof(hk.comm));
	if (!tool_comm_ok(hk.comm))
		return 0;
	TOOL_HIST_ADD(hists, &hk, BPF_CORE_READ(rq, __data_len) / 1024);
	return 0;
}
]], globals = { targ_comm = o.comm, targ_dev = dev } }

local function report()
  t:interval_header(o.timestamp)
  for _, r in ipairs(tool.take(p.maps.hists, function(a, b) return a.k.comm < b.k.comm end)) do
    if not t:json() then print(("\nProcess Name = %s"):format(r.k.comm)) end
    tool.print_log2_hist(r.v, "Kbytes", { comm = r.k.comm })
  end
end

p:attach()
t:say("Tracing block device I/O... Hit Ctrl-C to end.")
t:run { interval = o.interval, count = o.count, tick = report, done = report }
