#!/usr/bin/env pktlua
-- gethostlatency.lua — show the latency of host name lookups (getaddrinfo, gethostbyname)
-- usage: pktlua -t gethostlatency [-h] [-p PID] [-l LIBC]
-- ci: --duration 1
-- ci-expect: TIME     PID     COMM             LATms      HOST
--
-- As BCC's libbpf-tools gethostlatency: uprobes and uretprobes on libc's
-- getaddrinfo, gethostbyname and gethostbyname2.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local elf = require "pktlua.elf"

local t = tool.new {
  name = "gethostlatency",
  about = "Show latency for getaddrinfo/gethostbyname[2] calls",
  options = {
    { "-p", "--pid", "PID", "process ID to trace", type = "int" },
    { "-l", "--libc", "LIBC", "specify which libc.so to use", default = "libc.so.6" },
  },
  examples = {
    { "gethostlatency", "time getaddrinfo/gethostbyname[2] calls" },
    { "gethostlatency -p 1216", "only trace PID 1216" },
  },
  notes = "Same hooks as BCC: uprobes on getaddrinfo, gethostbyname, gethostbyname2 in libc.",
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

struct event { __u64 time, ts; __u32 pid; char comm[16]; char host[80]; };
PKTLUA_HASH(starts, __u32, struct event, 10240);
PKTLUA_RINGBUF(events, 256 << 10);

static __always_inline int entry(const char *host)
{
	if (tool_skip())
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct event e = { .ts = bpf_ktime_get_ns(), .pid = id >> 32 };
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_probe_read_user_str(e.host, sizeof(e.host), host);
	bpf_map_update_elem(&starts, &tid, &e, BPF_ANY);
	return 0;
}

static __always_inline int leave(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *e = bpf_map_lookup_elem(&starts, &tid);
	if (!e)
		return 0;
	e->time = bpf_ktime_get_ns() - e->ts;
	pktlua_emit(&events, e, sizeof(*e));
	bpf_map_delete_elem(&starts, &tid);
	return 0;
}

SEC("uprobe") int BPF_KPROBE(handle_entry, const char *host) { return entry(host); }
SEC("uretprobe") int BPF_KRETPROBE(handle_return) { return leave(); }
]], globals = t:globals() }

local lib, err = elf.find(o.libc)
if not lib then t:fail("-l: " .. err) end
for _, fn in ipairs { "getaddrinfo", "gethostbyname", "gethostbyname2" } do
  local off = elf.offset(lib, fn)
  if not off then t:fail(("%s has no %s()"):format(lib, fn)) end
  p.progs.handle_entry:attach { binary = lib, offset = off, pid = o.pid }
  p.progs.handle_return:attach { binary = lib, offset = off, retprobe = true, pid = o.pid }
end

local out = t:columns {
  { "TIME", "%-8s", "time" },
  { "PID", "%-7d", "pid" },
  { "COMM", "%-16s", "comm" },
  { "LATms", "%-10.3f", "lat_ms" },
  { "HOST", "%s", "host" },
}
bpf.on(p.maps.events, function(e)
  out:row { time = tool.hms(), pid = e.pid, comm = e.comm, lat_ms = e.time / 1e6, host = e.host }
end, "struct event")

out:header()
t:run()
