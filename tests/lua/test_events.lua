-- Ring buffers and perf buffers as Lua callbacks: bpf.on, bpf.lost.
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"

-- Each openat of this process, while ctl[0] (the mode) is set, sends one
-- record built from the file name to the buffer the mode picks.
local SRC = [[
#include <pktlua/bpf.h>
#include <pktlua/events.h>

struct inner {
	__u16 port;
	__u8 addr[4];
};
struct event {
	__u32 seq;
	__s32 neg;
	__u64 big;
	char name[16];
	struct inner in;
};
typedef struct { __u32 seq; __s32 neg; } small_t;

PKTLUA_RINGBUF(ring, 1 << 20);
PKTLUA_RINGBUF(tiny, 4096);
PKTLUA_RINGBUF(shorts, 4096);
PKTLUA_RINGBUF(raw, 1 << 16);
PKTLUA_RINGBUF(errs, 4096);
PKTLUA_RINGBUF(dup, 4096);
PKTLUA_RINGBUF(typed, 4096);
PKTLUA_PERF_EVENTS(perf);
PKTLUA_ARRAY(ctl, __u32, 2);         /* [0] mode, [1] next seq */
PKTLUA_ARRAY(produced, __u64, 8);    /* records offered, by mode */

SEC("tracepoint/syscalls/sys_enter_openat")
int on_open(struct trace_event_raw_sys_enter *ctx)
{
	__u32 k0 = 0, k1 = 1;
	if ((bpf_get_current_pid_tgid() >> 32) != PID)
		return 0;
	__u32 *mode = bpf_map_lookup_elem(&ctl, &k0);
	__u32 *seq = bpf_map_lookup_elem(&ctl, &k1);
	if (!mode || !seq || !*mode || *mode >= 8)
		return 0;
	struct event ev = {};
	ev.seq = (*seq)++;
	ev.neg = -(__s32)ev.seq;
	ev.big = (1ULL << 40) + ev.seq;
	bpf_probe_read_user_str(ev.name, sizeof(ev.name), (const char *)ctx->args[1]);
	ev.in.port = 8080;
	ev.in.addr[0] = 198;
	ev.in.addr[1] = 18;
	ev.in.addr[3] = 1;
	__u32 m = *mode;
	__u64 *n = bpf_map_lookup_elem(&produced, &m);
	if (n)
		__sync_fetch_and_add(n, 1);
	small_t s = { ev.seq, ev.neg };
	switch (m) {
	case 1: pktlua_emit(&ring, &ev, sizeof(ev)); break;
	case 2: pktlua_perf_emit(ctx, &perf, &ev, sizeof(ev)); break;
	case 3: pktlua_emit(&tiny, &ev, sizeof(ev)); break;
	case 4: pktlua_emit(&shorts, &s, sizeof(s)); break;
	case 5: pktlua_emit(&raw, &ev, sizeof(ev)); break;
	case 6: pktlua_emit(&errs, &ev, sizeof(ev)); break;
	case 7: pktlua_emit(&typed, &s, sizeof(s)); break;
	}
	return 0;
}
]]

local p = bpf.load { src = SRC, defines = { PID = bpf.pid() } }
p:attach()
local ctl, M = p.maps.ctl, p.maps

-- N openat calls of names ev<seq> (they do not exist: each fails, after the
-- tracepoint saw it), sent to MODE's buffer; returns the first seq.
local function burst(mode, n)
  local first = ctl[1]
  ctl[0] = mode
  for i = 0, n - 1 do
    local f = io.open("ev" .. (first + i))
    if f then f:close() end
  end
  ctl[0] = 0
  return first
end

local function check_event(e, seq)
  t.same(e, { seq = seq, neg = -seq, big = (1 << 40) + seq, name = "ev" .. seq,
              ["in"] = { port = 8080, addr = { 198, 18, 0, 1 } } })
end

t.run {
  ringbuf_records_decoded_in_order = function()
    local got = {}
    bpf.on(M.ring, function(e) got[#got + 1] = e end, "struct event")
    local first = burst(1, 2000)
    t.eq(bpf.run(0.05), "timeout", "run")
    t.eq(#got, 2000, "records")
    for i, e in ipairs(got) do check_event(e, first + i - 1) end
    t.eq(bpf.lost(M.ring), 0, "lost")
  end,

  perf_records_decoded_complete = function()
    local got, seen = 0, {}
    bpf.on(M.perf, function(e)
      got = got + 1
      check_event(e, e.seq)
      seen[e.seq] = true
    end, "struct event")
    local first = burst(2, 1000)
    bpf.run(0.05)
    t.eq(got, 1000, "records")
    -- Each CPU's buffer is in order; across CPUs records interleave.
    for s = first, first + 999 do t.eq(seen[s], true, "seq " .. s) end
    t.eq(bpf.lost(M.perf), 0, "lost")
  end,

  short_record_reads_zero_padded = function()
    local got = {}
    bpf.on(M.shorts, function(e) got[#got + 1] = e end, "struct event")
    local first = burst(4, 3)
    bpf.run(0.01)
    t.eq(#got, 3, "records")
    t.same(got[2], { seq = first + 1, neg = -(first + 1), big = 0, name = "",
                     ["in"] = { port = 0, addr = { 0, 0, 0, 0 } } })
  end,

  typedef_name_decodes = function()
    local got = {}
    bpf.on(M.typed, function(e) got[#got + 1] = e end, "small_t")
    local first = burst(7, 2)
    bpf.run(0.01)
    t.same(got, { { seq = first, neg = -first }, { seq = first + 1, neg = -first - 1 } })
  end,

  raw_bytes_without_a_type = function()
    local got = {}
    bpf.on(M.raw, t.expect(function(s) got[#got + 1] = s end, 5))
    local first = burst(5, 5)
    bpf.run(0.01)
    t.eq(#got[1], 40, "record size")
    local seq, neg = string.unpack("<I4i4", got[5])
    t.eq(seq, first + 4, "seq")
    t.eq(neg, -(first + 4), "neg")
  end,

  overflow_counts_every_lost_record = function()
    local got = 0
    bpf.on(M.tiny, function() got = got + 1 end, "struct event")
    burst(3, 3000)                 -- 3000 x 48 bytes into a 4 KiB ring, unread
    bpf.run(0.01)
    local lost = bpf.lost(M.tiny)
    t.eq(lost > 0, true, "lost > 0")
    t.eq(lost, M.produced[3] - got, "lost == produced - received")
  end,

  callback_error_names_the_script_line = function()
    local calls = 0
    bpf.on(M.errs, function(e)
      calls = calls + 1
      if calls == 1 then error("bad record " .. e.seq) end   -- the line named
    end, "struct event")
    burst(6, 3)
    local err = t.checkerr("bad record", bpf.run, 1)
    t.eq(err:find("test_events.lua:%d+: bad record") ~= nil, true, err)
    t.eq(calls, 1, "the loop stopped at the error")
    bpf.run(0.01)                                  -- the rest is still there
    t.eq(calls, 3, "records after the error")
  end,

  misuse_raises = function()
    t.checkerr("no type 'struct nosuch'", bpf.on, M.ring, print, "struct nosuch")
    t.checkerr("map 'ctl' is a array map, not a ring buffer", bpf.on, M.ctl, print)
    bpf.on(M.dup, print)
    t.checkerr("already has a callback", bpf.on, M.dup, print)
    t.checkerr("bad argument #2", bpf.on, M.raw, 42)
    t.checkerr("pktlua.Map expected", bpf.lost, 42)
    t.checkerr("not a ring buffer or perf event array", bpf.lost, M.ctl)
  end,

  close_releases_callbacks = function()
    local q = bpf.load [[
#include <pktlua/bpf.h>
#include <pktlua/events.h>
PKTLUA_RINGBUF(evq, 4096);
]]
    local weak = setmetatable({}, { __mode = "k" })
    local fn = function() end
    weak[fn] = true
    bpf.on(q.maps.evq, fn)
    t.eq(bpf.lost(q.maps.evq), 0, "lost")
    local m = q.maps.evq
    q:close()
    fn = nil
    collectgarbage(); collectgarbage()
    t.eq(next(weak), nil, "callback released")
    t.checkerr("its Program is closed", bpf.lost, m)
    bpf.run(0.01)                                  -- nothing left to read
  end,
}
