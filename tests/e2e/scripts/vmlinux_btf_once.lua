-- vmlinux_btf_once.lua — three objects that need the kernel BTF at load
-- (tp_btf attach targets, CO-RE relocations): one parse serves all.
-- Each program must also run.
local bpf = require "pktlua"

local progs = {}
for i, tp in ipairs{ "sys_enter", "sys_exit", "sched_switch" } do
  progs[i] = bpf.load{ src = [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(hits, __u64, 1);

SEC("tp_btf/]] .. tp .. [[")
int BPF_PROG(on_event)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 k = 0;

	if (BPF_CORE_READ(t, pid) >= 0)
		PKTLUA_ADD(hits, &k, (__u64)1);
	return 0;
}
]], name = tp }
  progs[i]:attach()
end
bpf.run(0.2)
for _, p in ipairs(progs) do
  print(p.name, p.maps.hits[0] > 0 and "ran" or "DID NOT RUN")
end
