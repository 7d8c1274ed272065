#!/usr/bin/env pktlua
-- biotop.lua — block device I/O top: processes by disk I/O, refreshed every interval
-- usage: pktlua -t biotop [-h] [-C] [-s SORT] [-r ROWS] [-p PID] [interval] [count]
-- ci: -C 1 1
-- ci-expect: PID     COMM             D MAJ MIN DISK       I/O  Kbytes  AVGms
--
-- As BCC's libbpf-tools biotop: tp_btf block_io_start (who started the
-- I/O), block_rq_issue and block_rq_complete; per process, disk and
-- direction: I/Os, Kbytes and average latency.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "biotop",
  about = "Block device (disk) I/O by process",
  options = {
    { "-C", "--noclear", nil, "don't clear the screen" },
    { "-s", "--sort", "SORT", "sort columns, default all [all, io, bytes, time]",
      type = { "all", "io", "bytes", "time" }, default = "all" },
    { "-r", "--rows", "ROWS", "maximum rows to print, default 20", type = "int", default = 20 },
    { "-p", "--pid", "PID", "process ID to trace", type = "int" },
  },
  args = {
    { "interval", "output interval, in seconds (default 1)", type = "number" },
    { "count", "number of outputs", type = "int" },
  },
  examples = {
    { "biotop", "block device I/O top, 1 second refresh" },
    { "biotop -C", "don't clear the screen" },
    { "biotop -p 181", "only PID 181" },
    { "biotop 5", "5 second summaries" },
    { "biotop 5 10", "5 second summaries, 10 times only" },
  },
  notes = [[
Same hooks as BCC's libbpf-tools (tp_btf/block_io_start instead of a kprobe on
blk_account_io_start). Under --json each row is a line with an "interval" field.]],
}
local o = t:parse(arg)
local interval = o.interval or 1

local p = bpf.load { src = [[
#include <pktlua/tool.h>

struct who { __u32 pid; char comm[16]; };
struct start_t { __u64 ts; __u32 data_len; };
struct info_t { __u32 pid; int rwflag; int major, minor; char name[16]; };
struct val_t { __u64 bytes, us; __u32 io; };
PKTLUA_HASH(whobyreq, __u64, struct who, 10240);
PKTLUA_HASH(start, __u64, struct start_t, 10240);
PKTLUA_HASH(counts, struct info_t, struct val_t, 10240);

SEC("tp_btf/block_io_start")
int BPF_PROG(block_io_start, struct request *rq)
{
	if (tool_skip())
		return 0;
	__u64 key = (__u64)rq;
	struct who w = { .pid = bpf_get_current_pid_tgid() >> 32 };
	bpf_get_current_comm(w.comm, sizeof(w.comm));
	bpf_map_update_elem(&whobyreq, &key, &w, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue, struct request *rq)
{
	__u64 key = (__u64)rq;
	struct start_t s = { .ts = bpf_ktime_get_ns(), .data_len = BPF_CORE_READ(rq, __data_len) };
	bpf_map_update_elem(&start, &key, &s, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq;
	struct start_t *s = bpf_map_lookup_elem(&start, &key);
	if (!s)
		return 0;
	struct who *w = bpf_map_lookup_elem(&whobyreq, &key);
	if (targ_pid && !w)
		goto cleanup;
	__u64 delta_us = (bpf_ktime_get_ns() - s->ts) / 1000;
	struct info_t info = {};
	struct gendisk *disk = BPF_CORE_READ(rq, q, disk);
	if (disk) {
		info.major = BPF_CORE_READ(disk, major);
		info.minor = BPF_CORE_READ(disk, first_minor);
	}
	info.rwflag = (BPF_CORE_READ(rq, cmd_flags) & 0xff) == 1 /* REQ_OP_WRITE */;
	if (w) {
		info.pid = w->pid;
		__builtin_memcpy(info.name, w->comm, sizeof(info.name));
	}
	struct val_t *v = bpf_map_lookup_elem(&counts, &info);
	if (!v) {
		struct val_t zero = {};
		bpf_map_update_elem(&counts, &info, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&counts, &info);
		if (!v)
			goto cleanup;
	}
	__sync_fetch_and_add(&v->bytes, s->data_len);
	__sync_fetch_and_add(&v->us, delta_us);
	__sync_fetch_and_add(&v->io, 1);
cleanup:
	bpf_map_delete_elem(&start, &key);
	bpf_map_delete_elem(&whobyreq, &key);
	return 0;
}
]], globals = t:globals() }

local sorters = {
  all = function(a, b) return a.v.bytes + a.v.us + a.v.io > b.v.bytes + b.v.us + b.v.io end,
  io = function(a, b) return a.v.io > b.v.io end,
  bytes = function(a, b) return a.v.bytes > b.v.bytes end,
  time = function(a, b) return a.v.us > b.v.us end,
}

local function report()
  local rows = tool.take(p.maps.counts, sorters[o.sort])
  if t:json() then
    local json = require "pktlua.json"
    for i = 1, math.min(#rows, o.rows) do
      local k, v = rows[i].k, rows[i].v
      json.line { time = os.date("%H:%M:%S"), pid = k.pid, comm = k.name, dir = k.rwflag == 1 and "W" or "R",
                  major = k.major, minor = k.minor, disk = tool.disk_name((k.major << 20) | k.minor),
                  io = v.io, kbytes = v.bytes // 1024, bytes = v.bytes,
                  avg_ms = v.io > 0 and v.us / v.io / 1000 or 0 }
    end
    return
  end
  if not o.noclear then io.write("\27[H\27[2J") else print() end
  print(("%8s loadavg: %s"):format(os.date("%H:%M:%S"), tool.loadavg()))
  print()
  print(("%-7s %-16s %1s %-3s %-3s %-8s %5s %7s %6s"):format("PID", "COMM", "D", "MAJ", "MIN",
    "DISK", "I/O", "Kbytes", "AVGms"))
  for i = 1, math.min(#rows, o.rows) do
    local k, v = rows[i].k, rows[i].v
    print(("%-7d %-16s %1s %-3d %-3d %-8s %5d %7d %6.2f"):format(k.pid, k.name,
      k.rwflag == 1 and "W" or "R", k.major, k.minor, tool.disk_name((k.major << 20) | k.minor),
      v.io, v.bytes // 1024, v.io > 0 and v.us / v.io / 1000 or 0))
  end
end

p:attach()
t:say("Tracing... Output every %s secs. Hit Ctrl-C to end", interval)
t:run { interval = interval, count = o.count, tick = report }
