#!/usr/bin/env pktlua
-- oomkill.lua — trace the out-of-memory killer: who triggered it, who was killed
-- usage: pktlua -t oomkill [-h]
-- ci: --duration 1
-- ci-expect: Tracing OOM kills
--
-- BCC's oomkill hooks oom_kill_process with a kprobe; here oom:mark_victim,
-- which the OOM killer hits in the context of the task that triggered it.
local bpf = require "pktlua"
local tool = require "pktlua.tool"

local t = tool.new {
  name = "oomkill",
  about = "Trace the OOM killer",
  examples = { { "oomkill", "trace OOM kills until Ctrl-C" } },
  notes = [[
Hook: oom:mark_victim (BCC: a kprobe on oom_kill_process, which this kernel
lacks). "pages" is the victim's resident memory (anon + file + shmem) in 4 KB
pages; BCC prints the OOM domain's total pages instead.]],
}
t:parse(arg)

local p = bpf.load { src = [[
#include <pktlua/tool.h>

struct event {
	__u32 fpid, tpid, uid;
	__u64 rss_kb, total_vm_kb;
	char fcomm[16], tcomm[16];
};
PKTLUA_RINGBUF(events, 64 << 10);

SEC("tracepoint/oom/mark_victim")
int mark_victim(struct trace_event_raw_mark_victim *ctx)
{
	struct event e = {};
	e.fpid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e.fcomm, sizeof(e.fcomm));
	e.tpid = ctx->pid;
	e.uid = ctx->uid;
	/* the tracepoint records kB (its format prints "total-vm=%lukB") */
	e.rss_kb = ctx->anon_rss + ctx->file_rss + ctx->shmem_rss;
	e.total_vm_kb = ctx->total_vm;
	unsigned int loc = ctx->__data_loc_comm;
	bpf_probe_read_kernel_str(e.tcomm, sizeof(e.tcomm), (void *)ctx + (loc & 0xffff));
	pktlua_emit(&events, &e, sizeof(e));
	return 0;
}
]] }

bpf.on(p.maps.events, function(e)
  local r = { time = tool.hms(), trigger_pid = e.fpid, trigger_comm = e.fcomm,
              victim_pid = e.tpid, victim_comm = e.tcomm, pages = e.rss_kb // 4, rss_kb = e.rss_kb,
              total_vm_kb = e.total_vm_kb, uid = e.uid, loadavg = tool.loadavg() }
  if t:json() then
    require("pktlua.json").line(r)
  else
    print(('%s Triggered by PID %d ("%s"), OOM kill of PID %d ("%s"), %d pages, loadavg: %s'):format(
      r.time, r.trigger_pid, r.trigger_comm, r.victim_pid, r.victim_comm, r.pages, r.loadavg))
  end
end, "struct event")

p:attach()
t:say("Tracing OOM kills... Ctrl-C to stop.")
t:run()
