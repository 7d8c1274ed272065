-- Maps as Lua tables: BTF conversion, per-CPU values, iteration, helpers.
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"
local map = require "pktlua.map"

local p = bpf.load [[
#include <pktlua/bpf.h>

struct flow_key {
	__u32 pid;
	char comm[16];
};
struct inner {
	__u16 port;
	__u8 addr[4];
};
struct val {
	__u64 count;
	char name[16];
	struct inner in;
	__s32 delta;
	enum { RED = 1, GREEN = 2 } colour;
};

PKTLUA_HASH(by_key, struct flow_key, struct val, 128);
PKTLUA_HASH(counts, __u32, __u64, 10000);
PKTLUA_ARRAY(arr, __u64, 8);
PKTLUA_PERCPU_ARRAY(pcpu, __u64, 4);
PKTLUA_PERCPU_HASH(pcpu_hash, __u32, __u32, 16);
PKTLUA_RINGBUF(events, 4096);

SEC("xdp") int bump(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&pcpu, &k);
	if (v)
		*v += 1;
	return XDP_PASS;
}
]]
local m = p.maps
local ncpus

t.run {
  struct_key_and_value_round_trip = function()
    local k = { pid = 42, comm = "bash" }
    local v = { count = 7, name = "hello world 1234", in_ = nil,
                ["in"] = { port = 8080, addr = { 198, 18, 0, 1 } }, delta = -5, colour = 2 }
    m.by_key[k] = v
    local got = m.by_key[{ pid = 42, comm = "bash" }]
    t.same(got, { count = 7, name = "hello world 1234",
                  ["in"] = { port = 8080, addr = { 198, 18, 0, 1 } }, delta = -5, colour = 2 })
    t.eq(m.by_key[{ pid = 43, comm = "bash" }], nil, "absent key")
    t.eq(#m.by_key, 1, "#by_key")
    for kk, vv in pairs(m.by_key) do
      t.same(kk, { pid = 42, comm = "bash" })
      t.eq(vv.count, 7, "count")
    end
    m.by_key[k] = nil
    t.eq(m.by_key[k], nil, "deleted")
    t.eq(#m.by_key, 0, "#by_key after delete")
  end,

  wrong_shapes_name_map_field_and_type = function()
    t.checkerr("map 'by_key': value: field 'name'", function()
      m.by_key[{ pid = 1, comm = "x" }] = { name = 5 }
    end)
    t.checkerr("char[16]", function()
      m.by_key[{ pid = 1, comm = "x" }] = { name = ("x"):rep(17) }
    end)
    t.checkerr("map 'by_key': key: field 'pid'", function()
      return m.by_key[{ pid = -1, comm = "x" }]
    end)
    t.checkerr("map 'by_key': key", function() return m.by_key[5] end)
    t.checkerr("'nosuch'", function() m.by_key[{ pid = 1, nosuch = 2 }] = { count = 1 } end)
    t.checkerr("map 'counts': key is nil", function() return m.counts[nil] end)
    t.checkerr("does not fit __u32", function() m.counts[1 << 32] = 1 end)
  end,

  ringbuf_is_not_a_table = function()
    t.checkerr("map 'events' is a ringbuf", function() return m.events[0] end)
  end,

  array_map = function()
    t.eq(#m.arr, 8, "#arr is max_entries")
    t.eq(m.arr[3], 0, "fresh slot")
    m.arr[3] = 99
    t.eq(m.arr[3], 99, "slot 3")
    m.arr[3] = nil
    t.eq(m.arr[3], 0, "nil zeroes an array slot")
    t.checkerr("index out of range", function() m.arr[8] = 1 end)
    local n = 0
    for k, v in pairs(m.arr) do n = n + 1; t.eq(v, 0, "arr[" .. k .. "]") end
    t.eq(n, 8, "pairs over an array visits every slot")
  end,

  many_entries_iterate_in_batches = function()
    local N = 9000   -- more than one 4096-entry batch
    for i = 1, N do m.counts[i] = i * 2 end
    local n, sum = 0, 0
    for k, v in pairs(m.counts) do
      n = n + 1
      sum = sum + v
      assert(v == k * 2, "value of " .. k)
    end
    t.eq(n, N, "entries seen")
    t.eq(sum, N * (N + 1), "sum")
    t.eq(#m.counts, N, "#counts")
    t.eq(map.sum(m.counts), N * (N + 1), "map.sum")
    local top = map.top(m.counts, 3)
    t.same(top, { { N, 2 * N }, { N - 1, 2 * (N - 1) }, { N - 2, 2 * (N - 2) } })
    local snap = map.snapshot(m.counts)
    t.eq(snap[100], 200, "snapshot")
    t.eq(map.clear(m.counts), N, "clear returns the count")
    t.eq(#m.counts, 0, "cleared")
  end,

  percpu_values_are_sequences = function()
    local v = m.pcpu[0]
    assert(type(v) == "table", "per-CPU value is a table")
    ncpus = #v
    assert(ncpus >= 1, "at least one CPU")
    for i = 1, ncpus do t.eq(v[i], 0, "cpu " .. i) end
    -- run the program: it bumps the slot of the CPU it runs on
    for _ = 1, 5 do p.progs.bump:run(("\0"):rep(64)) end
    t.eq(map.sum({ m.pcpu[0] }), 5, "sum over CPUs")
    -- one value sets every CPU; a sequence sets each
    m.pcpu[1] = 3
    for i = 1, ncpus do t.eq(m.pcpu[1][i], 3, "cpu " .. i) end
    local seq = {}
    for i = 1, ncpus do seq[i] = i * 10 end
    m.pcpu_hash[7] = seq
    t.same(m.pcpu_hash[7], seq)
    t.checkerr("one per possible CPU", function() m.pcpu_hash[8] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 } end)
  end,

  closed_program = function()
    local q <close> = bpf.load [[
      #include <pktlua/bpf.h>
      PKTLUA_HASH(h, __u32, __u32, 4);
      SEC("xdp") int x(struct xdp_md *ctx) { return XDP_PASS; }
    ]]
    local h = q.maps.h
    h[1] = 2
    q:close()
    t.checkerr("closed", function() return h[1] end)
  end,
}
