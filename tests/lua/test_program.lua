-- Programs: load options, progs/maps tables, prog:run, links, timers.
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"

local p = bpf.load{ name = "runner", defines = { VERDICT = "XDP_DROP", MAGIC = 0x5a }, src = [[
#include <pktlua/xdp.h>
PKTLUA_ARRAY(seen, __u64, 1);

SEC("xdp")
int judge(struct xdp_md *ctx)
{
	struct pkt pkt;
	__u32 k = 0;
	if (pkt_parse(ctx, &pkt) < 0)
		return XDP_ABORTED;
	PKTLUA_ADD(seen, &k, pkt.len);
	if (pkt.l4proto == IPPROTO_UDP && pkt.dport == 53)
		return VERDICT;
	return XDP_PASS;
}

SEC("xdp")
int magic(struct xdp_md *ctx) { return MAGIC; }
]] }

-- Ethernet + IPv4 + UDP to port 53, built by hand.
local function udp_packet(dport)
  local eth = ("\x02\0\0\0\0\1\x02\0\0\0\0\2\x08\0")
  local ip = string.pack(">BBHHHBBH", 0x45, 0, 28, 1, 0, 64, 17, 0) ..
             string.char(198, 18, 0, 1, 198, 18, 0, 2)
  local udp = string.pack(">HHHH", 1234, dport, 8, 0)
  return eth .. ip .. udp
end

t.run {
  progs_and_maps_by_name = function()
    t.eq(p.name, "runner", "object name")
    t.eq(p.progs.judge.name, "judge", "prog name")
    t.eq(p.progs.judge.section, "xdp", "section")
    t.eq(p.progs.judge.type, "xdp", "type")
    assert(p.progs.judge.fd > 0)
    t.eq(p.progs.nosuch, nil, "unknown prog")
    assert(tostring(p.maps.seen):find("pktlua.Map 'seen'", 1, true))
  end,

  run_returns_verdict_output_and_time = function()
    local pkt = udp_packet(53)
    local rc, out, ns = p.progs.judge:run(pkt)
    t.eq(rc, 1, "XDP_DROP (from defines)")
    t.eq(out, pkt, "output bytes")
    assert(math.type(ns) == "integer" and ns >= 0, "duration")
    t.eq(p.progs.judge:run(udp_packet(54)), 2, "XDP_PASS")
    t.eq(p.maps.seen[0], 2 * #pkt, "map updated by test runs")
    t.eq(p.progs.magic:run(pkt), 0x5a, "numeric define")
    local rc2 = p.progs.judge:run(pkt, { ["repeat"] = 10 })
    t.eq(rc2, 1, "repeat")
  end,

  inline_asm_with_instructions = function()
    -- may_goto in inline asm (libbpf's can_loop): the compiler shim must
    -- assemble it, and the kernel bounds the loop, not the verifier.
    local q <close> = bpf.load [[
#include <pktlua/xdp.h>
#define can_loop ({ __label__ l_break, l_continue; int ret_ = 1; \
	asm volatile goto("may_goto %l[l_break]" :::: l_break); goto l_continue; \
	l_break: ret_ = 0; l_continue:; ret_; })
/* Walk a chain of length bytes (each: skip it and that many more). */
SEC("xdp") int hops(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
	unsigned long long i = 0;
	int n = 0;
	while (can_loop) {
		unsigned char *q = d + i;
		if (i > 4096 || q + 1 > e)
			break;
		n++;
		i += q[0] + 1;
	}
	return n;
}
]]
    -- 40 one-byte hops over zeros, then 'x' (120) jumps past the end.
    t.eq(q.progs.hops:run(("\0"):rep(40) .. ("x"):rep(24)), 41, "a may_goto loop's trips")
  end,

  run_checks_its_input = function()
    t.checkerr("at least 14 bytes", function() p.progs.judge:run("short") end)
    t.checkerr("bad argument #1", function() p.progs.judge:run(nil) end)
  end,

  load_errors = function()
    t.checkerr("unknown option 'srcc'", bpf.load, { srcc = "" })
    t.checkerr("'src' (the C source) must be a string", bpf.load, { name = "x" })
    t.checkerr("defines.X must be", bpf.load, { src = "", defines = { X = {} } })
  end,

  timers_fire_and_stop = function()
    local n = 0
    local every = bpf.every(0.02, t.expect(function() n = n + 1 end))
    bpf.after(0.15, t.expect(function() bpf.stop() end, 1))
    t.eq(bpf.run(5), "stopped", "run result")
    assert(n >= 4 and n <= 8, "every fired " .. n .. " times in 0.15 s")
    every:cancel()
    local before = n
    t.eq(bpf.run(0.1), "timeout", "timeout")
    t.eq(n, before, "cancelled timer stays quiet")
  end,

  callback_error_is_raised_by_run = function()
    bpf.after(0, function() error("boom in callback") end)
    t.checkerr("boom in callback", bpf.run, 1)
  end,
}
