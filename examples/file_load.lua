-- file_load.lua — a BPF C file as a libbpf project has it, loaded unchanged
-- usage: pktlua examples/file_load.lua [SECONDS] [PID]   (default: until Ctrl-C, every process)
-- ci: 2
-- ci-expect: opens by command
--
-- bpf.load{file = "x.bpf.c"} compiles a file (its folder first on the
-- include path, so its own "opencount.h" is found; messages name
-- opencount.bpf.c:LINE); file = "x.bpf.o" would load an object clang built
-- (`clang -target bpf -O2 -g -c x.bpf.c`) without compiling. globals= sets
-- its const volatile knob before load, as a skeleton's user does.
local bpf = require "pktlua"

local seconds, pid = tonumber(arg[1]), tonumber(arg[2]) or 0
local here = arg[0]:match("^(.*)/") or "."
local p = bpf.load { file = here .. "/bpf/opencount.bpf.c", globals = { targ_tgid = pid } }
p:attach()
bpf.run(seconds)

print("opens by command:")
local rows = {}
for k, n in pairs(p.maps.opens) do rows[#rows + 1] = { k.comm, n } end
table.sort(rows, function(a, b) return a[2] > b[2] end)
for i = 1, math.min(#rows, 10) do print(("%8d  %s"):format(rows[i][2], rows[i][1])) end
