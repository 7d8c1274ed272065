#!/usr/bin/env pktlua
-- bashreadline.lua — print the command lines entered in every running bash shell
-- usage: pktlua -t bashreadline [-h] [-s PATH] [-p PID]
-- ci: --duration 1
-- ci-expect: TIME      PID     COMMAND
--
-- As BCC's libbpf-tools bashreadline: a uretprobe on readline() in bash (or
-- in libreadline with -s) reads the line it returns.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local elf = require "pktlua.elf"

local t = tool.new {
  name = "bashreadline",
  about = "Print entered bash commands from all running shells",
  options = {
    { "-s", "--shared", "PATH", "the location of libreadline.so library (default: readline in bash)" },
    { "-p", "--pid", "PID", "only this shell", type = "int" },
    { nil, "--bash", "PATH", "the bash binary", default = "/bin/bash" },
  },
  examples = {
    { "bashreadline", "every interactive bash on the system" },
    { "bashreadline -s /usr/lib/x86_64-linux-gnu/libreadline.so.8", "a bash linked to libreadline" },
  },
  notes = "Same hook as BCC: uretprobe on readline(). Lines longer than 255 bytes are cut.",
}
local o = t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

struct event { __u32 pid; char comm[16]; char str[256]; };
PKTLUA_RINGBUF(events, 256 << 10);

SEC("uretprobe")
int BPF_KRETPROBE(printret, const void *ret)
{
	if (!ret || tool_skip())
		return 0;
	char comm[16];
	bpf_get_current_comm(comm, sizeof(comm));
	if (comm[0] != 'b' || comm[1] != 'a' || comm[2] != 's' || comm[3] != 'h' || comm[4] != 0)
		return 0;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		pktlua__count_lost(&events);
		return 0;
	}
	e->pid = bpf_get_current_pid_tgid() >> 32;
	__builtin_memcpy(e->comm, comm, sizeof(comm));
	bpf_probe_read_user_str(e->str, sizeof(e->str), ret);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
PKTLUA_EVENT_TYPE(struct event);
]], globals = t:globals() }

local bin, err = elf.find(o.shared or o.bash)
if not bin then t:fail(err) end
local off = elf.offset(bin, "readline")
if not off then t:fail(bin .. " has no readline() (bash linked to libreadline? try -s)") end

local out = t:columns {
  { "TIME", "%-9s", "time" },
  { "PID", "%-7d", "pid" },
  { "COMMAND", "%s", "command" },
}
bpf.on(p.maps.events, function(e)
  out:row { time = tool.hms(), pid = e.pid, command = e.str }
end, "struct event")

p.progs.printret:attach { binary = bin, offset = off, retprobe = true }
out:header()
t:run()
