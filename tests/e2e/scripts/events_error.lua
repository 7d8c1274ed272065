-- An error inside an event callback ends the script with its line.
local bpf = require "pktlua"

local p = bpf.load { src = [[
#include <pktlua/bpf.h>
#include <pktlua/events.h>
struct event { __u32 pid; };
PKTLUA_RINGBUF(events, 4096);

SEC("tracepoint/syscalls/sys_enter_openat")
int on_open(void *ctx)
{
	struct event e = { .pid = bpf_get_current_pid_tgid() >> 32 };
	if (e.pid == PID)
		pktlua_emit(&events, &e, sizeof(e));
	return 0;
}
]], defines = { PID = bpf.pid() } }
p:attach()

bpf.on(p.maps.events, function(e)
  return e.pid + e.nosuch                  -- line 22: arithmetic on nil
end, "struct event")
io.open("/proc/self/stat"):close()
bpf.run(5)
print("not reached")
