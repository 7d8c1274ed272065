-- bpf.drop_caps(): every capability gone, what is loaded keeps working.
-- One test: dropping is for good, so it runs once, in this process.
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"

local function status(field)
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("a")
  f:close()
  return s:match(field .. ":%s*(%x+)")
end

-- Each openat of this process bumps counts[0] and sends its number to ring.
local p = bpf.load{ src = [[
#include <pktlua/bpf.h>
#include <pktlua/events.h>
PKTLUA_ARRAY(counts, __u64, 1);
PKTLUA_HASH(seen, __u32, __u64, 16);
PKTLUA_RINGBUF(ring, 1 << 16);
struct ev { __u64 n; };

SEC("tracepoint/syscalls/sys_enter_openat")
int count_openat(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
		return 0;
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);
	if (!v)
		return 0;
	struct ev e = { .n = __sync_fetch_and_add(v, 1) + 1 };
	pktlua_emit(&ring, &e, sizeof(e));
	return 0;
}
]], defines = { TARGET_PID = bpf.pid() } }

local function opens(n)
  for _ = 1, n do assert(io.open("/proc/self/stat")):close() end
end

t.run {
  drop_caps = function()
    p:attach()
    t.eq(status("CapEff") ~= "0000000000000000", true, "CapEff before")
    bpf.drop_caps()
    t.eq(status("CapEff"), "0000000000000000", "CapEff")
    t.eq(status("CapPrm"), "0000000000000000", "CapPrm")
    t.eq(status("CapAmb"), "0000000000000000", "CapAmb")
    t.eq(status("CapBnd"), "0000000000000000", "CapBnd")
    bpf.drop_caps()                                   -- twice is fine

    -- The program still runs, the maps read and write, the ring delivers.
    local c0 = p.maps.counts[0]
    local got = {}
    bpf.on(p.maps.ring, function(e) got[#got + 1] = e.n end, "struct ev")
    opens(5)
    t.eq(p.maps.counts[0] - c0, 5, "openat counted after the drop")
    t.eq(bpf.run(0.05), "timeout", "run")
    t.eq(#got >= 5 and got[#got], c0 + 5, "last record")
    p.maps.seen[7] = 70
    t.eq(p.maps.seen[7], 70, "hash write")
    local n = 0
    for _ in pairs(p.maps.seen) do n = n + 1 end
    t.eq(n, 1, "pairs")

    -- Nothing new can be loaded or attached, and the errors say why.
    t.checkerr("capabilities were dropped (bpf.drop_caps() or --drop-caps): load and "
               .. "attach everything before dropping them", bpf.load,
               "#include <pktlua/bpf.h>\nSEC(\"xdp\") int x(struct xdp_md *c) { return 2; }")
    t.checkerr("tracepoint attach: capabilities were dropped", p.progs.count_openat.attach,
               p.progs.count_openat)

    -- Called from the script, the errors name its line, as luaL_error's do.
    local here = debug.getinfo(1, "S").short_src
    local ok, err = pcall(function() bpf.load{ src = "int x;", name = "pl_caps_late" } end)
    t.eq(err, here .. ":" .. (debug.getinfo(1, "l").currentline - 1) .. ": bpf.load: object "
         .. "'pl_caps_late' cannot be loaded: capabilities were dropped (bpf.drop_caps() or "
         .. "--drop-caps): load and attach everything before dropping them", "bpf.load's line")
    ok, err = pcall(function() p:attach() end)
    t.eq(err, here .. ":" .. (debug.getinfo(1, "l").currentline - 1) .. ": tracepoint attach: "
         .. "capabilities were dropped (bpf.drop_caps() or --drop-caps): load and attach "
         .. "everything before dropping them (program 'count_openat')", "p:attach()'s line")
    ok, err = pcall(function() p.progs.count_openat:attach() end)
    t.eq(err, here .. ":" .. (debug.getinfo(1, "l").currentline - 1) .. ": tracepoint attach: "
         .. "capabilities were dropped (bpf.drop_caps() or --drop-caps): load and attach "
         .. "everything before dropping them (program 'count_openat')", "prog:attach()'s line")
    t.eq(ok, false, "refused")
  end,
}
