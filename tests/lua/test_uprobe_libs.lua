-- uprobes on libraries named as BCC names them: "c", "libc", "libc.so",
-- "libc.so.6", or the library a process (pid=) has mapped. Each attaches to
-- libc's getenv and counts exactly the calls os.getenv makes.
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"

local p <close> = bpf.load{ src = [[
#include <pktlua/bpf.h>
const volatile __u32 targ_pid = 0;
__u64 calls;
SEC("uprobe")
int on_getenv(struct pt_regs *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) == targ_pid)
		__sync_fetch_and_add(&calls, 1);
	return 0;
}
]], globals = { targ_pid = bpf.pid() } }

-- Where this process's libc is, and where ld.so's cache says libc.so.6 is:
-- the ground truth the names must resolve to.
local function mapped_libc()
  for line in io.lines("/proc/self/maps") do
    local path = line:match("(/%S*/libc[.-]%S*%.so%S*)$") or line:match("(/%S*/libc%.so%.6)$")
    if path then return path end
  end
end
local function cached_libc()
  local f = assert(io.popen("ldconfig -p 2>/dev/null"))
  for line in f:lines() do
    local path = line:match("^%s*libc%.so%.6 %(libc6,x86%-64[^)]*%) => (%S+)")
    if path then f:close(); return path end
  end
  f:close()
end

local function counts_getenv(opts, want_path)
  local link = p.progs.on_getenv:attach(opts)
  local desc = tostring(link)
  assert(desc:find(want_path, 1, true), ("%s: link is %q, want %s"):format(opts.binary, desc, want_path))
  local before = p.globals.calls
  for _ = 1, 7 do os.getenv("PKTLUA_TEST_NOPE") end
  local n = p.globals.calls - before
  link:detach()
  t.eq(n, 7, ("getenv calls through binary=%q"):format(opts.binary))
end

local cached = cached_libc()
local tests = {
  by_process_maps = function()
    local path = assert(mapped_libc(), "no libc in /proc/self/maps")
    for _, name in ipairs { "c", "libc", "libc.so" } do
      counts_getenv({ binary = name, symbol = "getenv", pid = bpf.pid() }, path)
    end
  end,
  not_found = function()
    t.checkerr("uprobe: binary 'pl_no_such_lib' not found in PATH, the library directories or the ld.so cache",
      p.progs.on_getenv.attach, p.progs.on_getenv, { binary = "pl_no_such_lib", symbol = "x" })
  end,
}
if cached then
  tests.by_ld_so_cache = function()
    for _, name in ipairs { "c", "libc", "libc.so", "libc.so.6" } do
      counts_getenv({ binary = name, symbol = "getenv" }, cached)
    end
  end
else
  print("note: ldconfig -p shows no x86-64 libc.so.6: the ld.so cache case is not run")
end
t.run(tests)
