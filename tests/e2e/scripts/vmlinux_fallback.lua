-- vmlinux_fallback.lua — a type the pruned vmlinux.h cannot see (its name
-- only exists after token pasting) still compiles: pktlua falls back to the
-- full header. The program must load and run.
local bpf = require "pktlua"

local p = bpf.load{ src = [[
#include <pktlua/bpf.h>
#define KSTRUCT(a, b) struct a##b
PKTLUA_ARRAY(seen, __u64, 1);

SEC("tp_btf/sys_enter")
int BPF_PROG(on_enter, KSTRUCT(pt_, regs) *regs, long id)
{
	KSTRUCT(task_, struct) *t = bpf_get_current_task_btf();
	__u32 k = 0;
	__u64 v = BPF_CORE_READ(t, tgid);

	if ((bpf_get_current_pid_tgid() >> 32) == PID)
		bpf_map_update_elem(&seen, &k, &v, BPF_ANY);
	return 0;
}
]], defines = { PID = bpf.pid() } }

p:attach()
io.open("/proc/self/stat"):close()
print("tgid", p.maps.seen[0] == bpf.pid() and "ok" or ("MISMATCH " .. p.maps.seen[0]))
