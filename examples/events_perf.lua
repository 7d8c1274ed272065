-- events_perf.lua — new programs as they start, through a perf event buffer
-- usage: pktlua examples/events_perf.lua [all|mine] [SECONDS]   (default: all, until Ctrl-C)
-- ci: mine
-- ci-expect: PID      PPID     COMM
-- ci-expect: 2 execs, 0 lost
--
-- Perf event arrays are the older way out of BPF (one buffer per CPU);
-- pktlua_perf_emit() writes to the current CPU's buffer, and the kernel
-- itself counts the records that did not fit: bpf.lost() sums them.
local bpf = require "pktlua"

-- "mine": only the programs this script starts (PARENT is our pid).
local mine = arg[1] == "mine"
local p = bpf.load { defines = { PARENT = mine and bpf.pid() or 0 }, src = [[
#include <pktlua/bpf.h>
#include <pktlua/events.h>

struct exec_event {
	__u32 pid, ppid;
	char comm[16];
};
PKTLUA_PERF_EVENTS(execs);

SEC("tracepoint/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exec_event e = {
		.pid = bpf_get_current_pid_tgid() >> 32,
		.ppid = BPF_CORE_READ(task, real_parent, tgid),
	};
	if (PARENT && e.ppid != PARENT)
		return 0;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	pktlua_perf_emit(ctx, &execs, &e, sizeof(e));
	return 0;
}
]] }
p:attach()

local n = 0
print(("%-8s %-8s %s"):format("PID", "PPID", "COMM"))
bpf.on(p.maps.execs, function(e)
  n = n + 1
  print(("%-8d %-8d %s"):format(e.pid, e.ppid, e.comm))
end, "struct exec_event")

-- Start a program ourselves, so there is something to see: sh, then the
-- /bin/true it becomes (two execs, one process).
bpf.after(0.5, function() os.execute("exec /bin/true") end)
bpf.at_exit(function()
  print(("%d execs, %d lost"):format(n, bpf.lost(p.maps.execs)))
end)
bpf.run(tonumber(arg[2] or arg[1]))
