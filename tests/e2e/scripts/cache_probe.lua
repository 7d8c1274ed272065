-- cache_probe.lua — a program whose result depends on its source (SRC_TAG),
-- a define (VAL, from arg[1]) and a header next to the script (HDR, from
-- cache_probe.h); cache_case.sh runs copies of it against a private cache.
-- Prints the program's result, and whether LLVM is mapped into this process
-- after bpf.load (it must never be, least of all on a cache hit).
local bpf = require "pktlua"

local p = bpf.load{ src = [[
#include <pktlua/xdp.h>
#include "cache_probe.h"
#warning cache probe warning
#define SRC_TAG 1

SEC("xdp")
int probe(struct xdp_md *ctx)
{
	return SRC_TAG * 10000 + VAL * 100 + HDR;
}
]], defines = { VAL = tonumber(arg[1]) or 1 } }

local mapped = {}
for line in io.lines("/proc/self/maps") do
  local lib = line:match("/(lib[%w_]*LLVM[^/%s]*)") or line:match("/(libclang[^/%s]*)")
    or line:match("/(libpktlua%-cc[^/%s]*)")
  if lib then mapped[lib] = true end
end
local names = {}
for lib in pairs(mapped) do names[#names + 1] = lib end
table.sort(names)
print("compiler libraries mapped: " .. (#names > 0 and table.concat(names, " ") or "none"))

local ret = p.progs.probe:run(string.rep("\0", 64))
print("result " .. ret)
