-- vmlinux_core_mm.lua — CO-RE reads through task->mm with only struct
-- task_struct named: the pruned vmlinux.h follows the "mm" member to
-- struct mm_struct. The values must be what /proc/self/stat says.
local bpf = require "pktlua"

local p = bpf.load{ src = [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(seen, __u64, 3);

SEC("tp_btf/sys_enter")
int BPF_PROG(on_enter, struct pt_regs *regs, long id)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 k;
	__u64 v;

	if ((bpf_get_current_pid_tgid() >> 32) != PID)
		return 0;
	k = 0; v = BPF_CORE_READ(t, mm, start_code);
	bpf_map_update_elem(&seen, &k, &v, BPF_ANY);
	k = 1; v = t->mm->end_code;                 /* a direct BTF load */
	bpf_map_update_elem(&seen, &k, &v, BPF_ANY);
	k = 2; v = BPF_CORE_READ(t, mm, start_stack);
	bpf_map_update_elem(&seen, &k, &v, BPF_ANY);
	return 0;
}
]], defines = { PID = bpf.pid() } }

p:attach()
local f = assert(io.open("/proc/self/stat"))     -- syscalls of ours: the program runs
local stat = f:read("a")
f:close()
-- Fields after the ")" closing the command name start at field 3.
local rest = stat:match("%) (.*)$")
local fields = {}
for w in rest:gmatch("%S+") do fields[#fields + 1] = w end
local want = { start_code = tonumber(fields[26 - 2]), end_code = tonumber(fields[27 - 2]),
               start_stack = tonumber(fields[28 - 2]) }
local got = { start_code = p.maps.seen[0], end_code = p.maps.seen[1], start_stack = p.maps.seen[2] }
for _, k in ipairs{ "start_code", "end_code", "start_stack" } do
  print(k, got[k] == want[k] and got[k] ~= 0 and "ok" or
        string.format("MISMATCH bpf=%#x proc=%#x", got[k], want[k]))
end
