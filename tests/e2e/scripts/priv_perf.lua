-- A perf_event sampler on the context switches of one process, one sample
-- each (period 1): the target sleeps N times and pauses once, and the
-- samples must match the kernel's own count of its switches
-- (/proc/PID/status) exactly.
-- usage: priv_perf.lua TARGET N   (TARGET: tests/e2e/ctxsw_target.c)
local bpf = require "pktlua"
local target, N = assert(arg[1], "usage: priv_perf.lua TARGET N"), tonumber(arg[2]) or 20

local p = bpf.load [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(samples, __u64, 1);

SEC("perf_event")
int sample(struct bpf_perf_event_data *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&samples, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}
]]

local function read(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- The target's context switches so far, and whether it is asleep.
local function switches(pid)
  local s = assert(read("/proc/" .. pid .. "/status"))
  return tonumber(s:match("\nvoluntary_ctxt_switches:%s*(%d+)")) +
         tonumber(s:match("nonvoluntary_ctxt_switches:%s*(%d+)")), s:match("\nState:%s*(%a)")
end

local function wait_for(what, cond)
  for _ = 1, 500 do
    if cond() then return end
    os.execute("sleep 0.01")
  end
  error("timed out waiting for " .. what)
end

local pidfile = os.tmpname()
assert(os.execute(("%s %d %s &"):format(target, N, pidfile)))
local pid
wait_for("the target's pid", function()
  pid = tonumber(read(pidfile) or "")
  return pid ~= nil
end)
os.remove(pidfile)
wait_for("the target to sleep", function() return select(2, switches(pid)) == "S" end)

p.progs.sample:attach{ event = "context-switches", period = 1, pid = pid }
local c0 = switches(pid)
os.execute("kill -USR1 " .. pid)
wait_for("the target's sleeps", function()
  local n, state = switches(pid)
  return n >= c0 + N + 1 and state == "S"
end)
local c1 = switches(pid)
print(("perf_event samples=%d kernel=%d (sleeps %d, pause 1, preempted %d)")
  :format(p.maps.samples[0], c1 - c0, N, c1 - c0 - N - 1))
os.execute("kill " .. pid)
