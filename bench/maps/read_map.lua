-- read_map.lua — the map benchmark in pktlua: read an N-entry hash map
-- (__u32 key -> __u64 value) into Lua with pairs(), ROUNDS times
-- usage: pktlua bench/maps/read_map.lua N [ROUNDS]
-- The map is filled in the kernel (one BPF_PROG_TEST_RUN of a bpf_loop
-- over keys 0..N-1, value = 2*key), so only the read is timed: bpf.clock()
-- (CLOCK_MONOTONIC) around a loop that counts the entries and sums the
-- values. Prints "pktlua pairs N: MEDIAN ms (min MIN, ROUNDS rounds)".
local bpf = require "pktlua"

local n = math.tointeger(tonumber(arg[1])) or error("usage: read_map.lua N [ROUNDS]")
local rounds = math.tointeger(tonumber(arg[2] or 5))

local p = bpf.load { src = [[
#include <pktlua/bpf.h>
PKTLUA_HASH(m, __u32, __u64, N);

static long fill_one(__u64 i, void *ctx)
{
	__u32 k = i;
	__u64 v = 2 * i;

	bpf_map_update_elem(&m, &k, &v, BPF_ANY);
	return 0;
}

SEC("xdp") int fill(struct xdp_md *ctx)
{
	bpf_loop(N, fill_one, NULL, 0);
	return XDP_PASS;
}
]], defines = { N = n } }

p.progs.fill:run(string.rep("\0", 64))
local m = p.maps.m
local want_sum = n * (n - 1)              -- sum of 2*k for k < n

local times = {}
for r = 1, rounds do
  local t0 = bpf.clock()
  local count, sum = 0, 0
  for _, v in pairs(m) do
    count = count + 1
    sum = sum + v
  end
  local ms = (bpf.clock() - t0) / 1e6
  if count ~= n or sum ~= want_sum then
    error(("read %d entries summing to %d, expected %d and %d"):format(count, sum, n, want_sum))
  end
  times[r] = ms
end
table.sort(times)
print(("pktlua pairs %d: %.1f ms (min %.1f, %d rounds)"):format(
  n, times[(rounds + 1) // 2], times[1], rounds))
