#!/usr/bin/env pktlua
-- biosnoop.lua — trace block device I/O: one line per request with its latency
-- usage: pktlua -t biosnoop [-h] [-Q] [-d DISK] [-m MIN] [-t]
-- ci: --duration 1
-- ci-expect: TIME(s)     COMM           PID     DISK    T    SECTOR     BYTES   LAT(ms)
--
-- As BCC's libbpf-tools biosnoop: tp_btf block_io_start (who), block_rq_insert
-- (-Q), block_rq_issue and block_rq_complete.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "biosnoop",
  about = "Trace block I/O",
  options = {
    { "-Q", "--queued", nil, "include OS queued time in I/O time" },
    { "-d", "--disk", "DISK", "trace this disk only" },
    { "-m", "--min", "MIN", "min latency to trace, in ms", type = "number" },
    { "-t", "--timestamp", nil, "include timestamp on output" },
  },
  examples = {
    { "biosnoop", "trace all block I/O" },
    { "biosnoop -Q", "include OS queued time in I/O time" },
    { "biosnoop -t", "use timestamps instead" },
    { "biosnoop -d sdc", "trace sdc only" },
    { "biosnoop -m 10", "only I/O slower than 10 ms" },
  },
  notes = [[
Same hooks as BCC's libbpf-tools: tp_btf/block_io_start (the process that
started the I/O), block_rq_insert, block_rq_issue, block_rq_complete. An I/O
merged into a request another process started shows that process.]],
}
local o = t:parse(arg)
local dev = t:disk(o.disk)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

const volatile bool targ_queued = false;
const volatile __u64 min_ns = 0;

struct piddata { char comm[16]; __u32 pid; };
struct stage { __u64 insert, issue; __u32 dev; };
struct event {
	__u64 ts, delta, qdelta, sector;
	__u32 pid, len, flags, dev;
	char comm[16];
	char disk[32];
};
PKTLUA_HASH(infobyreq, __u64, struct piddata, 10240);
PKTLUA_HASH(start, __u64, struct stage, 10240);
PKTLUA_RINGBUF(events, 1 << 20);

SEC("tp_btf/block_io_start")
int BPF_PROG(block_io_start, struct request *rq)
{
	__u64 key = (__u64)rq;
	struct piddata d = { .pid = bpf_get_current_pid_tgid() >> 32 };
	bpf_get_current_comm(d.comm, sizeof(d.comm));
	bpf_map_update_elem(&infobyreq, &key, &d, BPF_ANY);
	return 0;
}

static __always_inline int trace_rq_start(struct request *rq, bool insert)
{
	__u64 key = (__u64)rq, ts = bpf_ktime_get_ns();
	struct stage *s = bpf_map_lookup_elem(&start, &key), st = {};
	if (!s) {
		st.dev = tool_rq_dev(rq);
		if (tool_dev_skip(st.dev))
			return 0;
		s = &st;
	}
	if (insert)
		s->insert = ts;
	else
		s->issue = ts;
	if (s == &st)
		bpf_map_update_elem(&start, &key, s, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(block_rq_insert, struct request *rq) { return trace_rq_start(rq, true); }

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue, struct request *rq) { return trace_rq_start(rq, false); }

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq, ts = bpf_ktime_get_ns();
	struct stage *s = bpf_map_lookup_elem(&start, &key);
	if (!s)
		return 0;
	__s64 delta = ts - s->issue;
	if (!s->issue || delta < 0 || delta < min_ns)
		goto cleanup;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		pktlua__count_lost(&events);
		goto cleanup;
	}
	struct piddata *d = bpf_map_lookup_elem(&infobyreq, &key);
	if (d) {
		__builtin_memcpy(e->comm, d->comm, sizeof(e->comm));
		e->pid = d->pid;
	} else {
		__builtin_memset(e->comm, 0, sizeof(e->comm));
		e->comm[0] = '?';
		e->pid = 0;
	}
	e->ts = ts;
	e->delta = delta;
	e->qdelta = (targ_queued && s->insert) ? s->issue - s->insert : (__u64)-1;
	e->sector = BPF_CORE_READ(rq, __sector);
	e->len = BPF_CORE_READ(rq, __data_len);
	e->flags = tool_rq_flags(BPF_CORE_READ(rq, cmd_flags));
	e->dev = s->dev;
	struct gendisk *disk = BPF_CORE_READ(rq, q, disk);
	if (disk)
		bpf_probe_read_kernel_str(e->disk, sizeof(e->disk), disk->disk_name);
	else
		e->disk[0] = 0;
	bpf_ringbuf_submit(e, 0);
cleanup:
	bpf_map_delete_elem(&start, &key);
	bpf_map_delete_elem(&infobyreq, &key);
	return 0;
}
PKTLUA_EVENT_TYPE(struct event);
]], globals = { targ_queued = o.queued, targ_dev = dev,
                min_ns = o.min and math.floor(o.min * 1e6) or nil } }

local first
local out = t:columns {
  o.timestamp and { "TIMESTAMP", "%-12s", "timestamp" } or { "TIME(s)", "%-11.6f", "time" },
  { "COMM", "%-14.14s", "comm" },
  { "PID", "%-7d", "pid" },
  { "DISK", "%-7s", "disk" },
  { "T", "%-4s", "rwbs" },
  { "SECTOR", "%-10d", "sector" },
  { "BYTES", "%-7d", "bytes" },
  o.queued and { "QUE(ms)", "%7.3f", "que_ms" },
  { "LAT(ms)", "%7.3f", "lat_ms" },
}
bpf.on(p.maps.events, function(e)
  first = first or e.ts
  local ms = (bpf.clock("realtime") // 1000000) % 1000
  out:row { time = (e.ts - first) / 1e9, timestamp = ("%s.%03d"):format(os.date("%H:%M:%S"), ms),
            comm = e.comm, pid = e.pid, disk = e.disk ~= "" and e.disk or tool.disk_name(e.dev),
            rwbs = tool.rwbs(e.flags), sector = e.sector, bytes = e.len,
            que_ms = e.qdelta ~= -1 and e.qdelta / 1e6 or -1, lat_ms = e.delta / 1e6 }
end, "struct event")

p:attach()
out:header()
t:run()
