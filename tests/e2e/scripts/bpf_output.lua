-- bpf_output.lua N [RING] — N openat calls of this process, each making one
-- pktlua_printf line (stdout) and one bpf_printk line (stderr) that carry
-- their sequence number. With RING (bytes), the printf ring is that small and
-- the loop does not run until the end, so lines are lost and counted.
-- bpf_output.sh checks what arrives.
local bpf = require "pktlua"

local N, ring = tonumber(arg[1]), tonumber(arg[2])
local p = bpf.load{ src = [[
#include <pktlua/bpf.h>
const volatile __u32 targ_pid = 0;
__u64 seq;
SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != targ_pid)
		return 0;
	__u64 n = __sync_fetch_and_add(&seq, 1) + 1;
	pktlua_printf("printf seq=%llu pid=%u %s|%d|%x|end\n", n, targ_pid,
		      "some text to make the line longer than a few words", -42, 0xbeef);
	bpf_printk("printk seq=%llu", n);
	return 0;
}
]], globals = { targ_pid = bpf.pid() }, defines = ring and { PKTLUA_PRINTF_RING = ring } or nil }

p:attach()
io.stdout:write("header from Lua\n")
for i = 1, N do
  assert(io.open("/proc/self/stat")):close()
  if not ring and i % 200 == 0 then bpf.run(0) end    -- the ring holds ~990 lines
end
p:close()                                           -- the rest, before the count
io.stdout:write("footer from Lua\n")
