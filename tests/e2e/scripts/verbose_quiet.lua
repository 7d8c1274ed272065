-- A minimal script whose record type is only used through a local pointer:
-- pktlua keeps that type's BTF in the object (compiler.c's type
-- references), and -v must not print libbpf's "skipping unrecognized data
-- section" for it. The record is decoded by name, so the type is there.
local bpf = require "pktlua"
local p = bpf.load [[
#include <pktlua/xdp.h>
PKTLUA_RINGBUF(rb, 4096);
struct pl_quiet_ev { __u32 len; __u32 magic; };
SEC("xdp") int pl_quiet(struct xdp_md *ctx)
{
	struct pl_quiet_ev *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return XDP_PASS;
	e->len = ctx->data_end - ctx->data;
	e->magic = 0xfeed;
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}
]]
bpf.on(p.maps.rb, function(e)
  print(("record len=%d magic=%x"):format(e.len, e.magic))
  bpf.stop()
end, "struct pl_quiet_ev")
p.progs.pl_quiet:run(string.rep("\0", 64))
print(bpf.run(5))
