-- Symbols and stacks: bpf.ksym, bpf.usym, require "pktlua.stack" (frames,
-- bpftrace text, folded lines, SVG).
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"
local stack = require "pktlua.stack"
local symbols = require "pktlua.symbols"

local tests = {}

-- A function symbol from /proc/kallsyms whose address no other symbol has.
local function some_kernel_function()
  local seen, pick = {}, {}
  for line in io.lines("/proc/kallsyms") do
    local addr, ty, name = line:match("^(%x+) (%a) (%S+)$")
    if addr then
      seen[addr] = (seen[addr] or 0) + 1
      if (ty == "T" or ty == "t") and #pick < 200 and addr ~= string.rep("0", #addr) then
        pick[#pick + 1] = { addr = addr, name = name }
      end
    end
  end
  for i = 100, #pick do
    if seen[pick[i].addr] == 1 and seen[("%016x"):format(tonumber(pick[i].addr, 16) + 4)] == nil then
      return math.tointeger(tonumber(pick[i].addr, 16)), pick[i].name
    end
  end
end

function tests.ksym_kallsyms_address_plus_4()
  local addr, name = some_kernel_function()
  assert(addr, "no usable symbol in /proc/kallsyms")
  local n, off, mod = bpf.ksym(addr + 4)
  t.eq(n, name, "name")
  t.eq(off, 4, "offset")
  t.eq(mod, nil, "module of a kernel-image symbol")
  local n0, off0 = bpf.ksym(addr)
  t.eq(n0, name, "name at the start")
  t.eq(off0, 0, "offset at the start")
  t.eq(bpf.ksym(16), nil, "an address below every symbol")
end

function tests.ksym_module_or_bpf_symbol()
  -- Loaded BPF programs are in kallsyms as module [bpf].
  local p <close> = bpf.load [[
#include <pktlua/bpf.h>
SEC("tracepoint/syscalls/sys_enter_getpid") int pl_stack_ksym_prog(void *ctx) { return 0; }
]]
  local addr
  for line in io.lines("/proc/kallsyms") do
    local a, name, mod = line:match("^(%x+) %a (%S+)%s+%[(%S+)%]")
    if name and name:find("pl_stack_ksym_prog", 1, true) then addr = tonumber(a, 16); t.eq(mod, "bpf", "module"); break end
  end
  assert(addr, "the program is not in /proc/kallsyms")
  local name, off, mod = bpf.ksym(math.tointeger(addr) + 1)
  assert(name and name:find("pl_stack_ksym_prog", 1, true), "name: " .. tostring(name))
  t.eq(off, 1, "offset")
  t.eq(mod, "bpf", "module")
end

function tests.usym_of_this_process()
  -- pktlua's own main: the address of a function we can find in its maps.
  local pid = bpf.pid()
  local exe = io.popen("readlink /proc/" .. pid .. "/exe"):read("l")
  local start
  for line in io.lines("/proc/" .. pid .. "/maps") do
    local s, perms, path = line:match("^(%x+)%-%x+ (%S+) %x+ %S+ %d+%s+(.*)$")
    if path == exe and perms:sub(3, 3) == "x" then start = tonumber(s, 16); break end
  end
  assert(start, "no executable mapping of " .. exe)
  -- Some address inside pktlua's code resolves to a name, in its file.
  local found = 0
  for i = 0, 63 do
    local name, off, mod = bpf.usym(pid, math.tointeger(start) + i * 4096 + 16)
    if name then found = found + 1; t.eq(mod, exe, "module"); assert(off >= 0) end
  end
  assert(found > 32, "few pktlua addresses resolve: " .. found)
  t.eq(bpf.usym(pid, 8), nil, "an unmapped address")
  t.checkerr("a process id", bpf.usym, 0, 1)
end

function tests.kernel_stack_at_openat_has_a_syscall_frame()
  local p <close> = bpf.load {
    src = [[
#include <pktlua/stack.h>
PKTLUA_STACKS(stacks, 64);
PKTLUA_ARRAY(ids, __s64, 2);
SEC("tracepoint/syscalls/sys_enter_openat") int opened(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != PID)
		return 0;
	__u32 k = 0, u = 1;
	__s64 kid = pktlua_stack_kernel(ctx, &stacks), uid = pktlua_stack_user(ctx, &stacks);
	bpf_map_update_elem(&ids, &k, &kid, BPF_ANY);
	bpf_map_update_elem(&ids, &u, &uid, BPF_ANY);
	return 0;
}
]], defines = { PID = bpf.pid() } }
  p:attach()
  io.open("/etc/hostname"):close()
  local kid, uid = p.maps.ids[0], p.maps.ids[1]
  assert(kid >= 0, "no kernel stack: " .. kid)
  local frames = stack.kernel(p.maps.stacks, kid)
  local names = {}
  for _, f in ipairs(frames) do names[#names + 1] = f.name or "?" end
  local text = table.concat(names, " ")
  assert(text:find("do_syscall_64", 1, true) or text:find("entry_SYSCALL_64", 1, true),
         "no syscall frame in: " .. text)
  -- bpftrace's text: newline, then "    name+offset" per frame.
  local s = stack.format(frames)
  assert(s:match("^\n    [%w_.]+%+%d+\n"), "format: " .. s)
  t.eq(select(2, s:gsub("\n", "")), #frames + 1, "lines")
  -- The user stack of the same call: libc's open, in pktlua's process.
  assert(uid >= 0, "no user stack: " .. uid)
  local uf = stack.user(p.maps.stacks, uid, bpf.pid())
  assert(#uf > 0 and uf[1].module and uf[1].module:find("libc", 1, true),
         "innermost user frame not in libc: " .. stack.format(uf))
  local addrs = stack.addrs(p.maps.stacks, kid)
  t.eq(#addrs, #frames, "addresses")
  t.eq(addrs[1], frames[1].addr, "first address")
  t.same(stack.kernel(p.maps.stacks, -14), {}, "a failed stack id")
  t.checkerr("not a stack-trace map", stack.kernel, p.maps.ids, 0)
end

function tests.build_id_stack_maps_are_refused_clearly()
  local p <close> = bpf.load [[
#include <pktlua/stack.h>
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 32 * 8);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_STACK_BUILD_ID);
} bids SEC(".maps");
SEC("perf_event") int s(void *ctx) { return bpf_get_stackid(ctx, &bids, BPF_F_USER_STACK) < 0; }
]]
  t.checkerr("holds build-id stacks (BPF_F_STACK_BUILD_ID), which pktlua.stack does not decode",
             stack.user, p.maps.bids, 0, 1)
end

local F = function(...) local r = {} for i, n in ipairs({...}) do r[i] = { addr = i, name = n, offset = i } end return r end

function tests.folded_lines()
  local a, b = F("inner", "middle", "outer"), F("inner", "middle", "outer")
  local c = F("other", "outer")
  local text = stack.folded({ [a] = 3, [b] = 2, [c] = 1, ["x;y"] = 4 })
  t.eq(text, "outer;middle;inner 5\nouter;other 1\nx;y 4\n", "folded")
  local mixed = stack.folded({ [{ user = F("u1", "main"), kernel = F("k1", "entry") }] = 7 }, { annotate = true })
  t.eq(mixed, "main;u1;entry_[k];k1_[k] 7\n", "user then kernel")
  local unknown = stack.folded({ [{ { addr = 1, module = "/lib/libz.so", offset = 4 }, { addr = 2 } }] = 1 })
  t.eq(unknown, "[unknown];[libz.so] 1\n", "frames without names")
  t.eq(stack.folded({}), "", "empty")
  t.eq(stack.frame_text({ addr = 0x1234, module = "/x/libq.so", offset = 0x34 }), "0x1234 (libq.so+0x34)", "unknown frame")
end

function tests.svg_flame_graph()
  local file = os.tmpname()
  stack.flamegraph(file, { [F("pl_inner<&>", "pl_outer")] = 30, [F("pl_other", "pl_outer")] = 10 }, { title = "t & t" })
  local svg = io.open(file):read("a")
  os.remove(file)
  assert(svg:find("^<%?xml"), "xml header")
  assert(svg:find("pl_inner&lt;&amp;&gt;", 1, true), "escaped name")
  assert(svg:find("pl_outer (40 samples, 100.00%)", 1, true), "outer frame's tooltip")
  assert(svg:find("pl_other (10 samples, 25.00%)", 1, true), "other frame's tooltip")
  assert(svg:find("t &amp; t", 1, true), "title")
  -- Well-formed XML, when xmllint is there to say so.
  if os.execute("command -v xmllint >/dev/null") then
    local f = os.tmpname()
    io.open(f, "w"):write(svg):close()
    assert(os.execute("xmllint --noout " .. f), "xmllint rejects the SVG")
    os.remove(f)
  end
end

return t.run(tests)
