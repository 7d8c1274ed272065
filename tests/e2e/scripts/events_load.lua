-- events_load.lua — a producer far faster than the callback: every write(2)
-- of PID (`yes >/dev/null`: about a million a second) emits a record; the
-- callback takes 1 ms. The loop keeps its promises: bpf.run(S) returns in
-- time, and every record is received or counted lost.
-- usage: pktlua events_load.lua ring|perf PID [SECONDS]   (no SECONDS: until Ctrl-C)
local bpf = require "pktlua"
local kind, pid, seconds = arg[1], tonumber(arg[2]), tonumber(arg[3])

local p = bpf.load { src = [[
#include <pktlua/bpf.h>
#include <pktlua/events.h>

struct pl_load_ev { __u64 seq; };
#ifdef RING
PKTLUA_RINGBUF(events, 64 * 1024);
#else
PKTLUA_PERF_EVENTS(events);
#endif
PKTLUA_ARRAY(emitted, __u64, 1);

SEC("tracepoint/syscalls/sys_enter_write")
int pl_load_write(void *ctx)
{
	__u32 k = 0;
	if ((bpf_get_current_pid_tgid() >> 32) != PRODUCER)
		return 0;
	__u64 *n = bpf_map_lookup_elem(&emitted, &k);
	if (!n)
		return 0;
	struct pl_load_ev e = { .seq = __sync_fetch_and_add(n, 1) };
#ifdef RING
	pktlua_emit(&events, &e, sizeof(e));
#else
	pktlua_perf_emit(ctx, &events, &e, sizeof(e));
#endif
	return 0;
}
]], defines = { PRODUCER = pid, RING = kind == "ring" } }

local received, busy = 0, true
bpf.on(p.maps.events, function()
  received = received + 1
  if busy then                                -- 1 ms of work
    local t = bpf.clock() + 1000000
    while bpf.clock() < t do end
  end
end, "struct pl_load_ev")
local link = p.progs.pl_load_write:attach()
print("ready")
io.stdout:flush()

local t0 = bpf.clock()
local how = bpf.run(seconds)
local took = (bpf.clock() - t0) / 1e9
print(("%s: run(%s) returned %q after %.3f s"):format(kind, tostring(seconds), how, took))
if how == "signal" then                       -- Ctrl-C: the shell times it
  print(("%s: returned at %d"):format(kind, bpf.clock("realtime")))
  return
end

-- Stop the producer's records, let the callback run fast, empty the buffer.
busy = false
link:detach()
repeat                                        -- until a run brings nothing new
  local before = received
  bpf.run(0.2)
until received == before
local emitted, lost = p.maps.emitted[0], bpf.lost(p.maps.events)
print(("%s: emitted=%d received=%d lost=%d"):format(kind, emitted, received, lost))
print(("%s: emitted = received + lost within 1%%: %s"):format(kind,
  tostring(math.abs(emitted - received - lost) <= emitted / 100)))
print(("%s: returned within 4 s: %s"):format(kind, tostring(took < 4)))
print(("%s: overloaded (lost > received): %s"):format(kind, tostring(lost > received)))
