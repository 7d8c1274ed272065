-- A compile error names the line of this script (line 7: undeclared 'nope').
local bpf = require "pktlua"
local p = bpf.load [[
#include <pktlua/bpf.h>
SEC("xdp") int prog(struct xdp_md *ctx)
{
	return nope;
}
]]
