-- Global variables as a libbpf skeleton gives them: p.globals, and
-- bpf.load{globals = ..., max_entries = ...} before load.
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"

local src = [[
#include <pktlua/bpf.h>

const volatile __u32 targ_pid = 0;       /* .rodata: set before load only */
const volatile char targ_comm[16] = {};
const volatile __u64 step = 1;
__u64 opens;                              /* .bss */
__u64 other;
int knob = 7;                             /* .data */
struct stats { __u32 a; __u16 b[3]; char tag[8]; } st = { .a = 1, .b = { 1, 2, 3 }, .tag = "x" };
__u32 tuned SEC(".data.tuning") = 5;      /* .data.* */

PKTLUA_HASH(h, __u32, __u64, 4);
PKTLUA_ARRAY(arr, __u64, 2);

SEC("tracepoint/syscalls/sys_enter_openat")
int count_openat(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != targ_pid) {
		__sync_fetch_and_add(&other, 1);
		return 0;
	}
	__sync_fetch_and_add(&opens, step * knob * tuned);
	return 0;
}
]]

local function opens(n)
  for _ = 1, n do assert(io.open("/proc/self/stat")):close() end   -- one openat each
end

t.run {
  -- The tracepoint counts this process's own openat calls into .bss, scaled
  -- by a .rodata knob set at load and by .data values written after it.
  counts_own_openat = function()
    local p <close> = bpf.load{ src = src, globals = { targ_pid = bpf.pid(), step = 2, knob = 1, tuned = 1 } }
    local g = p.globals
    t.eq(g.targ_pid, bpf.pid(), "targ_pid")
    t.eq(g.step, 2, "step")
    t.eq(g.opens, 0, "opens before attach")
    p:attach()
    opens(25)
    t.eq(g.opens, 50, "opens (step 2)")
    g.opens = 0                       -- a write reaches the program's variable
    g.knob = 3                        -- .data
    g.tuned = 10                      -- .data.tuning
    opens(4)
    t.eq(g.opens, 4 * 2 * 3 * 10, "opens after writes")
    t.eq(g.knob, 3, "knob")
    t.eq(g.tuned, 10, "tuned")
  end,

  conversions_as_map_values = function()
    local p <close> = bpf.load{ src = src, globals = { targ_comm = "bash", st = { a = 9, b = { 4, 5, 6 }, tag = "abc" } } }
    local g = p.globals
    t.eq(g.targ_comm, "bash", "char[16] from a string")
    t.same(g.st, { a = 9, b = { 4, 5, 6 }, tag = "abc" })
    g.st = { a = 10, tag = "zz" }
    t.same(g.st, { a = 10, b = { 0, 0, 0 }, tag = "zz" })
    t.checkerr("global 'st': field 'a': -1 does not fit __u32", function() g.st = { a = -1 } end)
    t.checkerr("global 'knob': expected integer for int, got string", function() g.knob = "x" end)
    local seen = {}
    for k, v in pairs(g) do seen[k] = v end
    t.eq(seen.knob, 7, "pairs: knob")
    t.eq(seen.targ_comm, "bash", "pairs: targ_comm")
    t.eq(seen.tuned, 5, "pairs: tuned")
    t.eq(seen.opens, 0, "pairs: opens")
  end,

  rodata_read_only_after_load = function()
    local p <close> = bpf.load{ src = src }
    t.eq(p.globals.targ_pid, 0, "default")
    t.checkerr("global 'targ_pid' is read-only (.rodata): set it before load with bpf.load{globals = {targ_pid = ...}}",
      function() p.globals.targ_pid = 1 end)
    t.eq(p.globals.targ_pid, 0, "unchanged")
  end,

  unknown_names_raise = function()
    t.checkerr("bpf.load: globals: no global variable 'targ_tid' in program 'x' (it has: targ_pid, targ_comm, step,",
      bpf.load, { src = src, name = "x", globals = { targ_tid = 1 } })
    t.checkerr("bpf.load: globals.step: expected integer for __u64, got string",
      bpf.load, { src = src, globals = { step = "two" } })
    local p <close> = bpf.load{ src = src, name = "y" }
    t.checkerr("globals: no global variable 'nope' in program 'y'", function() return p.globals.nope end)
    t.checkerr("globals: no global variable 'nope' in program 'y'", function() p.globals.nope = 1 end)
    local g = p.globals
    p:close()
    t.checkerr("globals of program 'y': the Program is closed", function() return g.knob end)
    t.checkerr("program is closed", function() return p.globals end)
  end,

  max_entries_before_load = function()
    local p <close> = bpf.load{ src = src, max_entries = { h = 64, arr = 5 } }
    t.eq(#p.maps.arr, 5, "#arr")
    for i = 1, 64 do p.maps.h[i] = i end   -- more than the 4 of the source
    t.eq(#p.maps.h, 64, "#h")
    t.checkerr("map 'h' is full (max_entries 64)", function() p.maps.h[65] = 1 end)
    t.checkerr("bpf.load: max_entries: no map 'nope' in program", bpf.load,
      { src = src, max_entries = { nope = 1 } })
    t.checkerr("bpf.load: max_entries.h must be an integer >= 1, got 0", bpf.load,
      { src = src, max_entries = { h = 0 } })
  end,
}
