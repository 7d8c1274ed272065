-- bpf_output.lua — print from BPF: pktlua_printf lines on stdout, bpf_printk lines on stderr
-- usage: pktlua examples/bpf_output.lua [all] [SECONDS]   (default: our children, until Ctrl-C)
-- ci: 1
-- ci-expect: exec of
-- ci-expect: printk: exec of
--
-- pktlua_printf is bpftrace's printf: formatted in the kernel, sent through a
-- ring buffer, printed in order while bpf.run() runs. bpf_printk lines (BCC's
-- trace_print) are relayed to stderr: only those of this script's programs.
-- "all": every exec on the machine; default: the children of this script.
local bpf = require "pktlua"

local all = arg[1] == "all"
local p = bpf.load{ src = [[
#include <pktlua/bpf.h>
const volatile __u32 parent = 0;          /* 0: everyone */

SEC("tracepoint/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	if (parent && BPF_CORE_READ(task, real_parent, tgid) != parent)
		return 0;
	char comm[16];
	bpf_get_current_comm(comm, sizeof(comm));
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	pktlua_printf("exec of %s, pid %u\n", comm, pid);
	bpf_printk("printk: exec of %s, pid %u", comm, pid);
	return 0;
}
]], globals = { parent = all and 0 or bpf.pid() } }
p:attach()
bpf.after(0.2, function() os.execute("/bin/true") end)  -- an exec to see
bpf.run(tonumber(arg[#arg]))
