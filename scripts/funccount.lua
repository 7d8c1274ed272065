#!/usr/bin/env pktlua
-- funccount.lua — count function calls (user functions by glob) or tracepoint hits
-- usage: pktlua -t funccount [-h] [-p PID] [-i INTERVAL] [-d DURATION] [-T] [-r] pattern
-- ci: -d 1 t:syscalls:sys_enter_openat
-- ci-expect: FUNC                                    COUNT
--
-- As BCC's funccount, for what this kernel can probe: LIB:GLOB or
-- /PATH:GLOB (uprobes, one program told apart by attach cookies, counts in
-- a per-CPU array) and t:CATEGORY:GLOB (tracepoints).
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local elf = require "pktlua.elf"

local t = tool.new {
  name = "funccount",
  about = "Count functions, tracepoints and USDT probes",
  options = {
    { "-p", "--pid", "PID", "trace this PID only", type = "int" },
    { "-i", "--interval", "INTERVAL", "summary interval, seconds", type = "number" },
    { "-d", "--duration", "DURATION", "total duration of trace, seconds", type = "number" },
    { "-T", "--timestamp", nil, "include timestamp on output" },
    { "-r", "--regexp", nil, "use regular expressions (Lua patterns here). Default is \"*\" wildcards only." },
  },
  args = { { "pattern", "search expression for events", required = true } },
  examples = {
    { "funccount c:malloc", "count libc malloc() calls" },
    { "funccount 'c:str*'", "count libc functions starting with str" },
    { "funccount -p 185 '/usr/bin/app:handle_*'", "count functions of an app, PID 185 only" },
    { "funccount 't:sched:sched_*'", "count scheduler tracepoints" },
    { "funccount -i 1 'c:pthread_mutex_*'", "1 second summaries" },
    { "funccount -d 5 c:free", "trace for 5 seconds only" },
  },
  notes = [[
Kernel functions ("vfs_*", "k:...") need kprobes, which this kernel lacks: use
t:CATEGORY:NAME tracepoints instead. USDT probes ("u:...") are not counted
here (pktlua's usdt/ programs can). Functions are matched in the ELF symbol
tables (.symtab and .dynsym); -r takes Lua patterns.]],
}
local o = t:parse(arg)
local pat = o.pattern

local names, attach
local src
if pat:match("^t:") or pat:match("^tracepoint:") then
  names = t:tracepoints(pat, o.regexp, 1000)
  -- One small program per tracepoint (a tracepoint program has no cookie).
  local progs = {}
  for i = 1, #names do
    progs[i] = ([[SEC("tracepoint") int tp%d(void *ctx) { return hit(%d); }]]):format(i, i - 1)
  end
  src = ([[
#include <pktlua/tool.h>
PKTLUA_PERCPU_ARRAY(counts, __u64, %d);
static __always_inline int hit(__u32 i)
{
	if (tool_skip())
		return 0;
	__u64 *c = bpf_map_lookup_elem(&counts, &i);
	if (c)
		(*c)++;
	return 0;
}
%s
]]):format(#names, table.concat(progs, "\n"))
  attach = function(p)
    for i, n in ipairs(names) do
      p.progs["tp" .. i]:attach { tracepoint = n:gsub(":", "/") }
    end
  end
else
  local lib = pat:match("^(.+):[^:]+$")
  if not lib then
    t:fail(("'%s': kernel functions need kprobes, which this kernel lacks; use LIB:FUNC, /PATH:FUNC or t:CAT:NAME"):format(pat))
  end
  if lib == "k" or lib == "kprobe" then t:fail("kernel functions need kprobes, which this kernel lacks; use t:CATEGORY:NAME") end
  if lib == "u" or lib == "usdt" then t:fail("USDT probes are not counted by this funccount") end
  local path, err = elf.find(lib)
  if not path then t:fail(err) end
  local fns = t:functions(pat, path, o.regexp)
  names = {}
  for i, e in ipairs(fns) do names[i] = e.name end
  src = ([[
#include <pktlua/tool.h>
PKTLUA_PERCPU_ARRAY(counts, __u64, %d);
SEC("uprobe") int count(struct pt_regs *ctx)
{
	if (tool_skip())
		return 0;
	__u32 i = bpf_get_attach_cookie(ctx);
	__u64 *c = bpf_map_lookup_elem(&counts, &i);
	if (c)
		(*c)++;
	return 0;
}
]]):format(#fns)
  attach = function(p)
    for i, e in ipairs(fns) do
      p.progs.count:attach { binary = path, offset = e.offset, cookie = i - 1, pid = o.pid }
    end
  end
end

local p = bpf.load { src = src, globals = t:globals() }

local function report()
  local rows = {}
  for i, percpu in pairs(p.maps.counts) do
    local n = 0
    for _, c in ipairs(percpu) do n = n + c end
    if n > 0 then rows[#rows + 1] = { func = names[i + 1], count = n, i = i } end
  end
  for _, r in ipairs(rows) do p.maps.counts[r.i] = nil end
  table.sort(rows, function(a, b) return a.count < b.count or a.count == b.count and a.func < b.func end)
  if t:json() then
    local json = require "pktlua.json"
    for _, r in ipairs(rows) do json.line { time = os.date("%H:%M:%S"), func = r.func, count = r.count } end
    return
  end
  if o.timestamp then print(os.date("%H:%M:%S")) end
  print(("%-36s %8s"):format("FUNC", "COUNT"))
  for _, r in ipairs(rows) do print(("%-36s %8d"):format(r.func, r.count)) end
  print()
end

attach(p)
t:say('Tracing %d functions for "%s"... Hit Ctrl-C to end.', #names, pat)
t:run { interval = o.interval, duration = o.duration, tick = report, done = function()
  if not t:json() then print() end
  report()
  t:say("Detaching...")
end }
