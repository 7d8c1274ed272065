-- usym.lua — resolve N distinct user stacks of DEPTH frames through
-- bpf.usym (the resolver stack.user uses), timed, with RSS before and after.
--   pktlua bench/symbols/usym.lua [N [DEPTH [ADDR_FILE]]]
-- The addresses are drawn (a fixed pseudo-random sequence) from the
-- executable file mappings of this very process, so every frame lands in
-- real code; ADDR_FILE gets "FILE VADDR" per frame for the addr2line anchor.
local bpf = require "pktlua"
local symbols = require "pktlua.symbols"

local n, depth, out = tonumber(arg[1]) or 10000, tonumber(arg[2]) or 20, arg[3]
local pid = bpf.pid()

local function status(key)
  for line in io.lines("/proc/self/status") do
    local v = line:match("^" .. key .. ":%s+(%d+) kB")
    if v then return tonumber(v) end
  end
end

local maps = {}
for line in io.lines("/proc/self/maps") do
  local s, e, perms, off, path = line:match("^(%x+)%-(%x+) (%S+) (%x+) %S+ %d+%s+(/.+)$")
  if s and perms:sub(3, 3) == "x" then
    maps[#maps + 1] = { s = tonumber(s, 16), e = tonumber(e, 16), off = tonumber(off, 16), path = path }
  end
end

local seed = 12345
local function rand(m)                    -- a small LCG: the same stacks each run
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % m
end

-- Build every address first, so the timing covers resolving only.
local addrs = {}
for i = 1, n * depth do
  local m = maps[rand(#maps) + 1]
  addrs[i] = { m.s + rand(m.e - m.s), m }
end
local rss0, t0 = status("VmRSS"), bpf.clock()
local named = 0
for i = 1, n * depth do
  if bpf.usym(pid, addrs[i][1]) then named = named + 1 end
end
local ms = (bpf.clock() - t0) / 1e6
local rss1 = status("VmRSS")
-- Again: every file is parsed now; what a second pass costs is the lookups.
t0 = bpf.clock()
for i = 1, n * depth do bpf.usym(pid, addrs[i][1]) end
local ms2 = (bpf.clock() - t0) / 1e6
local st = symbols.stats()
print("| pktlua bpf.usym | stacks | frames | named | first pass | ns/frame | second pass | RSS growth | files parsed |")
print("|---|---|---|---|---|---|---|---|---|")
print(("| %d files mapped | %d | %d | %d | %.1f ms | %.0f | %.1f ms | %.1f MB | %d |"):format(
  #maps, n, n * depth, named, ms, ms * 1e6 / (n * depth), ms2, (rss1 - rss0) / 1024, st.file_parses))
if out then
  local f = assert(io.open(out, "w"))
  for i = 1, n * depth do
    local a, m = addrs[i][1], addrs[i][2]
    f:write(m.path, " ", ("0x%x"):format(a - m.s + m.off), "\n")
  end
  f:close()
end
