-- globals_knobs.lua — libbpf-style knobs: `const volatile` globals set at load, counters read live
-- usage: pktlua examples/globals_knobs.lua [COMM] [SECONDS]   (default: every command, until Ctrl-C)
-- ci: pktlua 2
-- ci-expect: pktlua: opens
--
-- BCC's libbpf-tools filter with `const volatile` globals that user space
-- sets before load (targ_comm here); the compiled object does not change, so
-- another COMM is a compile cache hit. Plain globals (.bss, .data) are read
-- and written while the program runs: p.globals.NAME.
local bpf = require "pktlua"

local comm = arg[1] or ""
local p = bpf.load{ src = [[
#include <pktlua/bpf.h>

const volatile char targ_comm[16] = "";   /* "": every command */
__u64 opens, other;                       /* .bss: counted in the kernel */
__u32 paused;                             /* .bss: written from Lua */

SEC("tracepoint/syscalls/sys_enter_openat")
int count_opens(void *ctx)
{
	char c[16];
	if (paused)
		return 0;
	bpf_get_current_comm(c, sizeof(c));
	if (targ_comm[0] && bpf_strncmp(c, sizeof(c), (const char *)targ_comm)) {
		__sync_fetch_and_add(&other, 1);
		return 0;
	}
	__sync_fetch_and_add(&opens, 1);
	return 0;
}
]], globals = { targ_comm = comm } }
p:attach()

-- Our own openat calls, so that "pktlua" has something to count.
bpf.every(0.1, function() io.open("/proc/self/stat"):close() end)
bpf.at_exit(function()
  p.globals.paused = 1                    -- a write the program sees at once
  print(("%s: opens %d, other commands %d"):format(
    p.globals.targ_comm ~= "" and p.globals.targ_comm or "all", p.globals.opens, p.globals.other))
end)
bpf.run(tonumber(arg[2]))
