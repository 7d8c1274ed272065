-- map_kinds.lua — a bloom filter set from Lua, a queue filled by BPF, a map pinned for later runs
-- usage: pktlua examples/map_kinds.lua [SECONDS]   (default: until Ctrl-C)
-- ci: 2
-- ci-expect: openat by watched pids:
-- ci-expect: pinned at /sys/fs/bpf/
--
-- Lua puts the pids to watch into a bloom filter (m:push(v)); the program
-- checks it for every openat and queues the pid; Lua pops
-- the queue (m:pop() is nil when empty), whose size max_entries sets at
-- load. Names like push/pop/pin live on maps that cannot have string keys,
-- so they never hide an entry.
local bpf = require "pktlua"

local p = bpf.load{ src = [[
#include <pktlua/bpf.h>
struct { __uint(type, BPF_MAP_TYPE_BLOOM_FILTER); __uint(max_entries, 64); __type(value, __u32); } watched SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 1024); __type(value, __u32); } hits SEC(".maps");
PKTLUA_ARRAY(total, __u64, 1);

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32, k = 0;
	if (bpf_map_peek_elem(&watched, &pid))          /* 0: maybe in the filter */
		return 0;
	bpf_map_push_elem(&hits, &pid, 0);
	PKTLUA_ADD(total, &k, (__u64)1);
	return 0;
}
]], max_entries = { hits = 4096 } }  -- sized from Lua, before load
p.maps.watched:push(bpf.pid())            -- watch ourselves
p:attach()

local counts = {}
bpf.every(0.2, function()
  io.open("/proc/self/stat"):close()      -- something to see
  for pid in function() return p.maps.hits:pop() end do
    counts[pid] = (counts[pid] or 0) + 1
  end
end)
bpf.at_exit(function()
  io.write("openat by watched pids:")
  for pid, n in pairs(counts) do io.write((" %d=%d"):format(pid, n)) end
  print()
  -- A pinned map outlives the script: bpftool map dump pinned PATH, or
  -- bpf.open_pinned(PATH) in another script. Removed again here.
  local path = "/sys/fs/bpf/pktlua_example_" .. bpf.pid()
  p.maps.total:pin(path)
  print("pinned at " .. path .. ": total " .. bpf.open_pinned(path)[0])
  p.maps.total:unpin()
end)
bpf.run(tonumber(arg[1]))
