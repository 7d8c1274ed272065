#!/usr/bin/env pktlua
-- stackcount.lua — count the stacks that lead to a function or tracepoint
-- usage: pktlua -t stackcount [-h] [-p PID] [-i INTERVAL] [-D DURATION] [-T] [-r] [-s] [-P] [-K] [-U] [-d] [-f] pattern
-- ci: -D 1 -K t:sched:sched_switch
-- ci-expect: Tracing 1 functions for "t:sched:sched_switch"
--
-- As BCC's stackcount, for what this kernel can probe: LIB:GLOB or
-- /PATH:GLOB (uprobes, user stacks) and t:CATEGORY:GLOB (tracepoints,
-- kernel and user stacks); each distinct stack is counted in the kernel.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local elf = require "pktlua.elf"

local t = tool.new {
  name = "stackcount",
  about = "Count events and their stack traces",
  options = {
    { "-p", "--pid", "PID", "trace this PID only", type = "int" },
    { "-i", "--interval", "INTERVAL", "summary interval, seconds", type = "number" },
    { "-D", "--duration", "DURATION", "total duration of trace, seconds", type = "number" },
    { "-T", "--timestamp", nil, "include timestamp on output" },
    { "-r", "--regexp", nil, "use regular expressions (Lua patterns). Default is \"*\" wildcards only." },
    { "-s", "--offset", nil, "show address offsets (name+0x..)" },
    { "-P", "--perpid", nil, "display stacks separately for each process" },
    { "-K", "--kernel-stacks-only", nil, "kernel stack only" },
    { "-U", "--user-stacks-only", nil, "user stack only" },
    { "-d", "--delimited", nil, "insert delimiter between kernel/user stacks" },
    { "-f", "--folded", nil, "output folded format" },
  },
  args = { { "pattern", "search expression for events", required = true } },
  examples = {
    { "stackcount 't:sched:sched_switch'", "count stacks for context switches" },
    { "stackcount -K 't:block:block_rq_issue'", "kernel stacks that issue block I/O" },
    { "stackcount -U c:malloc", "user stacks calling malloc()" },
    { "stackcount -p 185 -U '/usr/bin/app:handle_*'", "an app's functions, PID 185" },
    { "stackcount -f -D 10 t:sched:sched_switch > out.folded", "folded, for flame graphs" },
  },
  notes = [[
Kernel functions need kprobes, which this kernel lacks: use tracepoints. A
uprobe sees no kernel stack (-K with one is refused).]],
}
local o = t:parse(arg)
if o.kernel_stacks_only and o.user_stacks_only then t:fail("-K and -U go one at a time") end
local pat = o.pattern
local want_k, want_u = not o.user_stacks_only, not o.kernel_stacks_only

local names, attach, is_uprobe = {}, nil, false
local nprogs
if pat:match("^t:") or pat:match("^tracepoint:") then
  names = t:tracepoints(pat, o.regexp, 100)
  nprogs = #names
else
  local lib = pat:match("^(.+):[^:]+$")
  if not lib then t:fail(("'%s': kernel functions need kprobes, which this kernel lacks; use LIB:FUNC or t:CAT:NAME"):format(pat)) end
  local path, err = elf.find(lib)
  if not path then t:fail(err) end
  if o.kernel_stacks_only then t:fail("-K: a uprobe has no kernel stack") end
  want_k = false
  is_uprobe = true
  local fns = t:functions(pat, path, o.regexp)
  for i, e in ipairs(fns) do names[i] = e.name end
  attach = function(p)
    for i, e in ipairs(fns) do
      p.progs.count_u:attach { binary = path, offset = e.offset, cookie = i - 1, pid = o.pid }
    end
  end
end

local progs = {}
for i = 1, nprogs or 0 do
  progs[i] = ([[SEC("tracepoint") int tp%d(void *ctx) { return count(ctx); }]]):format(i)
end
local p = bpf.load { src = [[
#include <pktlua/tool.h>
#include <pktlua/stack.h>

const volatile bool want_k = true, want_u = true, per_pid = false;
struct sc_key { __u32 pid; int kstack, ustack; char comm[16]; };
PKTLUA_HASH(counts, struct sc_key, __u64, 10240);
PKTLUA_STACKS(stacks, 10240);

static __always_inline int count(void *ctx)
{
	if (tool_skip())
		return 0;
	struct sc_key k = { .kstack = -1, .ustack = -1 };
	k.pid = bpf_get_current_pid_tgid() >> 32;   /* the user stack's process */
	if (per_pid)
		bpf_get_current_comm(k.comm, sizeof(k.comm));
	if (want_k)
		k.kstack = pktlua_stack_kernel(ctx, &stacks);
	if (want_u)   /* marks the process: its mappings are kept if it exits */
		k.ustack = pktlua_stack_user(ctx, &stacks);
	if (!per_pid && !want_u)
		k.pid = 0;
	PKTLUA_ADD(counts, &k, 1);
	return 0;
}

SEC("uprobe") int count_u(struct pt_regs *ctx) { return count(ctx); }
]] .. table.concat(progs, "\n"), globals = t:globals { want_k = want_k, want_u = want_u, per_pid = o.perpid } }

if not attach then
  attach = function(pp)
    for i, n in ipairs(names) do pp.progs["tp" .. i]:attach { tracepoint = n:gsub(":", "/") } end
  end
end

local function frames_of(k)
  local kf = want_k and k.kstack >= 0 and tool.kstack(p.maps.stacks, k.kstack) or {}
  local uf = want_u and k.ustack >= 0 and tool.ustack(p.maps.stacks, k.ustack, k.pid) or {}
  if not o.offset then
    for _, l in ipairs { kf, uf } do
      for i, f in ipairs(l) do l[i] = f:gsub("%+%d+$", ""):gsub("%+0x%x+$", "") end
    end
  end
  return kf, uf
end

local function report()
  -- One row per distinct stack (and process, with -P): without -P the same
  -- user stack in two processes is one row, as in BCC.
  local rows, by = {}, {}
  for k, n in pairs(p.maps.counts) do
    local kf, uf = frames_of(k)
    local id = table.concat(kf, ";") .. "|" .. table.concat(uf, ";") .. (o.perpid and ("|" .. k.pid) or "")
    local r = by[id]
    if not r then
      r = { k = k, n = 0, kf = kf, uf = uf }
      by[id] = r
      rows[#rows + 1] = r
    end
    r.n = r.n + n
  end
  require("pktlua.map").clear(p.maps.counts)
  table.sort(rows, function(a, b) return a.n < b.n end)
  if o.timestamp and not t:json() then print(os.date("%H:%M:%S")) end
  for _, r in ipairs(rows) do
    local kf, uf = r.kf, r.uf
    if t:json() then
      require("pktlua.json").line { count = r.n, pid = o.perpid and r.k.pid or nil,
        comm = o.perpid and r.k.comm or nil, kstack = want_k and kf or nil, ustack = want_u and uf or nil }
    elseif o.folded then
      local parts = {}
      if o.perpid then parts[#parts + 1] = ("%s [%d]"):format(r.k.comm, r.k.pid) end
      for i = #uf, 1, -1 do parts[#parts + 1] = uf[i] end
      if o.delimited and #uf > 0 and #kf > 0 then parts[#parts + 1] = "-" end
      for i = #kf, 1, -1 do parts[#parts + 1] = kf[i] end
      print(("%s %d"):format(table.concat(parts, ";"), r.n))
    else
      for _, f in ipairs(kf) do print("  " .. f) end
      if o.delimited and #kf > 0 and #uf > 0 then print("    --") end
      for _, f in ipairs(uf) do print("  " .. f) end
      if o.perpid then print(("    %s [%d]"):format(r.k.comm, r.k.pid)) end
      print(("    %d"):format(r.n))
      print()
    end
  end
end

attach(p)
t:say('Tracing %d functions for "%s"... Hit Ctrl-C to end.', #names, pat)
t:run { interval = o.interval, duration = o.duration, tick = report, done = report }
