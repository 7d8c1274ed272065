-- stack_user.lua — sample the user stacks of a process that spins in known
-- functions and check that they resolve to those names.
--   pktlua stack_user.lua TARGET MODE WHEN
--   MODE: main (pl_spin_outer > pl::spin_middle(long) > pl_spin_inner) or
--         lib (pl_lib_outer > pl_lib_spin, in a shared library)
--   WHEN: alive (stacks read while it spins) or exited (read after it
--         exited: its mappings come from the exit hook, /proc is never read)
--         or usym (as exited, but the first lookup after the exit is
--         symbols.usym of one address, with the exit records still unread:
--         the lookup misses in /proc, reads the exit ring and resolves)
local bpf = require "pktlua"
local stack = require "pktlua.stack"
local symbols = require "pktlua.symbols"

local target, mode, when = arg[1], arg[2] or "main", arg[3] or "exited"
local want = mode == "lib" and { "pl_lib_spin", "pl_lib_outer", "main" }
  or { "pl_spin_inner", "pl::spin_middle(long)", "pl_spin_outer", "main" }

local p = bpf.load [[
#include <pktlua/stack.h>
#include <bpf/usdt.bpf.h>
PKTLUA_STACKS(stacks, 4096);
PKTLUA_HASH(counts, struct pktlua_stack_key, __u64, 4096);
PKTLUA_ARRAY(target, __u32, 1);

PKTLUA_ARRAY(spinning, __u32, 1);

/* The target's USDT probe pktlua_test:spin fires as its spin starts: only
 * samples from then on count (not its start-up in ld.so, or a sanitizer's). */
SEC("usdt") int BPF_USDT(spin_starts)
{
	__u32 zero = 0, tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_map_update_elem(&spinning, &zero, &tgid, BPF_ANY);
	return 0;
}

SEC("perf_event") int sample(void *ctx)
{
	__u32 zero = 0, *want = bpf_map_lookup_elem(&target, &zero);
	__u32 *started = bpf_map_lookup_elem(&spinning, &zero);
	if (!want || !started || (bpf_get_current_pid_tgid() >> 32) != *want || *started != *want)
		return 0;
	struct pktlua_stack_key k;
	pktlua_stack_key(ctx, &stacks, &k, PKTLUA_STACK_USER);
	PKTLUA_ADD(counts, &k, 1);
	return 0;
}
]]
p.progs.sample:attach { freq = 499 }
p.progs.spin_starts:attach { binary = target, provider = "pktlua_test", name = "spin" }
local spin = when == "alive" and 30000 or 500    -- ms of CPU time
local h = assert(io.popen(("%s 50 %d %s >/dev/null 2>&1 & echo $!"):format(target, spin, mode)))
local pid = math.tointeger(tonumber(h:read("l")))
h:close()
p.maps.target[0] = pid

local function alive() return io.open("/proc/" .. pid .. "/stat") ~= nil end
local function samples()
  local n = 0
  for k, c in pairs(p.maps.counts) do if k.pid == pid then n = n + c end end
  return n
end
if when == "alive" then
  -- Until 100 samples (a loaded machine gives the target less CPU).
  local t0 = bpf.clock()
  repeat bpf.run(0.2) until samples() >= 100 or bpf.clock() - t0 > 10e9
  assert(alive(), "the target ended too soon")
else
  -- (usym: a first stack read while the target runs registers the exit
  -- ring and finds it empty; nothing reads it again before symbols.usym)
  if when == "usym" then stack.user(p.maps.stacks, -1, pid) end
  local t0 = bpf.clock()
  while alive() and bpf.clock() - t0 < 20e9 do bpf.run(0.05) end
  assert(not alive(), "the target did not end")
end
if when == "usym" then
  -- One sampled stack, each address through symbols.usym (the first call
  -- misses in /proc and reads the exit ring), then the same stack through
  -- stack.user: the same names, and "main" among them (every sample after
  -- the spin's USDT probe runs under main).
  local id
  for k in pairs(p.maps.counts) do
    local addrs = k.pid == pid and k.ustack >= 0 and symbols.addrs(p.maps.stacks, k.ustack)
    if addrs and #addrs >= 3 then id = k.ustack break end
  end
  assert(id, "no user stack of 3 frames or more sampled")
  local names, has_main = {}, false
  for i, a in ipairs(symbols.addrs(p.maps.stacks, id)) do
    names[i] = symbols.usym(pid, a) or "?"
    has_main = has_main or names[i] == "main"
  end
  local ref = {}
  for i, f in ipairs(stack.user(p.maps.stacks, id, pid)) do ref[i] = f.name or "?" end
  print(("usym after the exit: %s"):format(table.concat(names, " < ")))
  assert(table.concat(names, " < ") == table.concat(ref, " < "),
         "symbols.usym and stack.user disagree: " .. table.concat(ref, " < "))
  assert(has_main, "the exited process's addresses did not resolve")
end

local total, good, example = 0, 0, nil
for k, n in pairs(p.maps.counts) do
  local frames = k.pid == pid and k.ustack >= 0 and stack.user(p.maps.stacks, k.ustack, k.pid) or {}
  -- A sample taken while the process is being exec'ed has no user frames
  -- (its user IP is 0): not a user stack to resolve.
  if #frames > 0 then
    local names = {}
    for _, f in ipairs(frames) do if f.name then names[f.name] = f end end
    local ok = true
    for _, w in ipairs(want) do ok = ok and names[w] ~= nil end
    total = total + n
    if ok then
      good = good + n
      example = example or frames
    else
      print("unresolved sample:" .. stack.format(frames))
    end
  end
end
if when == "alive" then os.execute("kill " .. pid) end
local st = symbols.stats()
print(("%s %s: %d of %d samples resolve to %s (%.1f%%); maps read %d times, %d exit records")
  :format(mode, when, good, total, table.concat(want, " < "), total > 0 and 100 * good / total or 0,
          st.maps_reads, st.exit_records))
if example then
  io.write("example:" .. stack.format(example))
  local f = example[1]
  print(("module %s"):format(f.module))
end
assert(total >= 20, "too few samples: " .. total)
assert(good >= 0.9 * total, "under 90% resolved")
if when ~= "alive" then
  assert(st.maps_reads <= (when == "usym" and 1 or 0), "exited process: /proc was read")
  assert(st.exit_records > 0, "no exit records")
end
print("PASS")
