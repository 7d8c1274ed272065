-- A counter served as a Prometheus metric by a user, after --drop-caps:
-- the server's socket was open before the drop, so scrapes keep working.
-- Counts this script's openat calls (N of them, made after the drop) and
-- scrapes from the background while bpf.run() serves.
-- usage: pktlua --drop-caps priv_metrics.lua OUTDIR N
local bpf = require "pktlua"
local metrics = require "pktlua.metrics"
local out, N = assert(arg[1]), tonumber(arg[2]) or 5

local p = bpf.load{ src = [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(opens, __u64, 1);
const volatile __u32 target_pid;
__u32 counting;                 /* set from Lua around the opens it makes */

SEC("tracepoint/syscalls/sys_enter_openat")
int count_openat(void *ctx)
{
	if (!counting || (bpf_get_current_pid_tgid() >> 32) != target_pid)
		return 0;
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&opens, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}
]], globals = { target_pid = bpf.pid() } }
p:attach()
metrics.gauge("pl_priv_opens", "openat calls of the script after the drop.",
  function() return p.maps.opens[0] end)
local srv = metrics.serve("127.0.0.1:0")

local function status()
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("a")
  f:close()
  return s:match("CapEff:%s*(%x+)")
end

bpf.after(0, function()
  print("CapEff in run=" .. status())
  p.globals.counting = 1          -- live memory: works without capabilities
  for _ = 1, N do assert(io.open("/proc/self/stat")):close() end
  p.globals.counting = 0
  -- curl in the background: the loop must be free to answer it.
  os.execute(("(curl -s -m 10 http://127.0.0.1:%d/metrics > %s/scrape 2>&1; echo done > %s/done) &")
    :format(srv.port, out, out))
end)
bpf.every(0.05, function()
  local f = io.open(out .. "/done")
  if f then f:close(); bpf.stop() end
end)
print(bpf.run(20))
local f = assert(io.open(out .. "/scrape"))
for line in f:lines() do
  if line:match("^pl_priv_opens ") then print("scraped: " .. line) end
end
f:close()
