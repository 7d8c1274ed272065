-- The verifier refuses an unchecked packet read; the error names line 15.
local bpf = require "pktlua"

local unused = 1

local p = bpf.load{ name = "reject", src = [[
#include <pktlua/xdp.h>

SEC("xdp")
int bad_read(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	int x = 0;

	x = *(volatile int *)(data + 4);   /* no bounds check against data_end */
	return x ? XDP_PASS : XDP_DROP;
}
]] }
