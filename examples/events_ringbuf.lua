-- events_ringbuf.lua — every file open on the machine, streamed through a ring buffer
-- usage: pktlua examples/events_ringbuf.lua [SECONDS]   (default: until Ctrl-C)
-- ci: 
-- ci-expect: PID      COMM
-- ci-expect: events received,
--
-- The BPF side fills a struct per openat and sends it with pktlua_emit();
-- bpf.on() hands each record to Lua decoded by name (a table with pid,
-- comm, file). pktlua_emit() counts what does not fit, and bpf.lost()
-- reads that count.
local bpf = require "pktlua"

local p = bpf.load [[
#include <pktlua/bpf.h>
#include <pktlua/events.h>

struct open_event {
	__u32 pid;
	char comm[16];
	char file[64];
};
PKTLUA_RINGBUF(opens, 256 * 1024);

SEC("tracepoint/syscalls/sys_enter_openat")
int on_open(struct trace_event_raw_sys_enter *ctx)
{
	struct open_event e = { .pid = bpf_get_current_pid_tgid() >> 32 };
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_probe_read_user_str(e.file, sizeof(e.file), (const char *)ctx->args[1]);
	pktlua_emit(&opens, &e, sizeof(e));
	return 0;
}
]]
p:attach()

local n = 0
print(("%-8s %-16s %s"):format("PID", "COMM", "FILE"))
bpf.on(p.maps.opens, function(e)
  n = n + 1
  if n <= 20 then print(("%-8d %-16s %s"):format(e.pid, e.comm, e.file)) end
end, "struct open_event")

-- Open one file ourselves, so there is something to see.
bpf.after(0.5, function() io.open("/etc/hostname"):close() end)
bpf.at_exit(function()
  print(("%d events received, %d lost"):format(n, bpf.lost(p.maps.opens)))
end)
bpf.run(tonumber(arg[1]))
