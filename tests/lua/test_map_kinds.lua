-- Every map kind from Lua: stack traces as address sequences, queue, stack,
-- bloom filter, map-in-map, pinning.
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"
local map = require "pktlua.map"

local PKT = string.rep("\0", 14)                -- an Ethernet header's worth

-- Queue, stack and bloom filter maps the program reads and writes too:
-- xfer pops from inq and pushes twice the value onto outq; probe answers
-- whether the bloom filter may hold 42.
local kinds_src = [[
#include <pktlua/bpf.h>
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 4); __type(value, __u32); } inq SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 8); __type(value, __u32); } outq SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_STACK); __uint(max_entries, 4); __type(value, __u64); } stk SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_BLOOM_FILTER); __uint(max_entries, 1000); __type(value, __u32); } seen SEC(".maps");

SEC("xdp") int xfer(struct xdp_md *ctx)
{
	__u32 v;
	int n = 0;
	for (int i = 0; i < 4; i++) {
		if (bpf_map_pop_elem(&inq, &v))
			break;
		v *= 2;
		bpf_map_push_elem(&outq, &v, 0);
		n++;
	}
	return n;
}

SEC("xdp") int probe(struct xdp_md *ctx)
{
	__u32 v = 42;
	return bpf_map_peek_elem(&seen, &v) == 0;
}
]]

-- An outer array of maps and two inner maps: pick returns inner[outer[0]][0].
local mim_src = [[
#include <pktlua/bpf.h>
struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); };
struct inner inner_a SEC(".maps"), inner_b SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps");

SEC("xdp") int pick(struct xdp_md *ctx)
{
	__u32 k = 0;
	void *in = bpf_map_lookup_elem(&outer, &k);
	if (!in)
		return 0;
	__u32 *v = bpf_map_lookup_elem(in, &k);
	return v ? *v : 0;
}
]]

local function bpftool_json(cmd)
  local f = assert(io.popen("bpftool -j " .. cmd .. " 2>/dev/null"))
  local out = f:read("a")
  f:close()
  return out
end

-- The address ranges of this process's executable mappings: ground truth
-- for user stack frames.
local function exec_ranges()
  local r = {}
  for line in io.lines("/proc/self/maps") do
    local lo, hi, perms = line:match("^(%x+)-(%x+) (%S+)")
    if perms:sub(3, 3) == "x" then r[#r + 1] = { tonumber(lo, 16), tonumber(hi, 16) } end
  end
  return r
end

local function in_ranges(a, r)
  for _, x in ipairs(r) do
    if math.ult(x[1] - 1, a) and math.ult(a, x[2]) then return true end
  end
  return false
end

t.run {
  -- This process's own openat calls: user and kernel stacks recorded by
  -- bpf_get_stackid() read back as sequences of addresses.
  stack_trace_values_are_addresses = function()
    local p <close> = bpf.load{ src = [[
#include <pktlua/bpf.h>
const volatile __u32 targ_pid = 0;
/* One map per kind of stack, and REUSE_STACKID: a later stack that hashes
 * to a taken bucket replaces it instead of failing with -EEXIST. */
struct stacks {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
};
struct stacks ustacks SEC(".maps"), kstacks SEC(".maps");
PKTLUA_HASH(ids, __u32, __s64, 4);

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != targ_pid)
		return 0;
	__u32 u = 0, k = 1;
	__s64 uid = bpf_get_stackid(ctx, &ustacks, BPF_F_USER_STACK | BPF_F_REUSE_STACKID);
	__s64 kid = bpf_get_stackid(ctx, &kstacks, BPF_F_REUSE_STACKID);
	bpf_map_update_elem(&ids, &u, &uid, BPF_ANY);
	bpf_map_update_elem(&ids, &k, &kid, BPF_ANY);
	return 0;
}
]], globals = { targ_pid = bpf.pid() } }
    p:attach()
    assert(io.open("/proc/self/stat")):close()
    local uid, kid = p.maps.ids[0], p.maps.ids[1]
    assert(uid and uid >= 0, "no user stack id: " .. tostring(uid))
    assert(kid and kid >= 0, "no kernel stack id: " .. tostring(kid))
    local ustack, kstack = p.maps.ustacks[uid], p.maps.kstacks[kid]
    t.eq(type(ustack), "table", "user stack type")
    assert(#ustack >= 1 and #ustack < 127, "user stack depth " .. #ustack)
    -- The first frame is the openat call's own address; the next ones come
    -- from frame pointers, which libc does not keep: only the first is sure.
    assert(in_ranges(ustack[1], exec_ranges()),
      ("frame 1 (0x%x) is not in an executable mapping"):format(ustack[1]))
    for i, a in ipairs(ustack) do assert(a ~= 0, "a zero frame at " .. i) end
    assert(#kstack >= 2, "kernel stack depth " .. #kstack)
    for i, a in ipairs(kstack) do
      assert(a < 0, ("kernel frame %d (0x%x) is not a kernel address"):format(i, a))   -- 0xffff...
    end
    assert(#kstack < 127, "kernel stack: trailing zeros kept")
    t.eq(p.maps.kstacks[5000], nil, "an id past the buckets")
  end,

  queue_and_stack_round_trip = function()
    local p <close> = bpf.load(kinds_src)
    local q, out, st = p.maps.inq, p.maps.outq, p.maps.stk
    t.eq(q:pop(), nil, "empty pop")
    t.eq(q:peek(), nil, "empty peek")
    for i = 1, 4 do q:push(i * 10) end
    t.checkerr("map 'inq' is full (max_entries 4)", q.push, q, 50)
    t.eq(q:peek(), 10, "peek: the oldest")
    t.eq(q:pop(), 10, "pop: FIFO")
    -- The program takes the other three and sends back their doubles.
    t.eq((p.progs.xfer:run(PKT)), 3, "values the program popped")
    t.eq(q:pop(), nil, "inq emptied by the program")
    t.eq(out:pop(), 40, "first double")
    t.eq(out:pop(), 60, "second double")
    t.eq(out:pop(), 80, "third double")
    t.eq(out:pop(), nil, "outq empty")
    for i = 1, 3 do st:push(i) end
    t.eq(st:peek(), 3, "stack peek: the newest")
    t.eq(st:pop(), 3, "LIFO")
    t.eq(st:pop(), 2, "LIFO")
    t.eq(st:pop(), 1, "LIFO")
    t.eq(st:pop(), nil, "empty stack")
    t.checkerr("map 'inq' is a queue: #m cannot be counted", function() return #q end)
    t.checkerr("map 'inq' is a queue: it has no keys; use m:push(v), m:pop(), m:peek()",
      function() return q[1] end)
    t.checkerr("it has no keys", function() q[1] = 2 end)
    t.checkerr("it has no keys", pairs, q)
    t.checkerr("map 'inq' (queue) has no 'has': its names are push, pop, peek, fd, pin, unpin",
      function() return q.has end)
    t.checkerr("map 'inq': value: expected integer for __u32, got string", q.push, q, "x")
  end,

  bloom_filter_round_trip = function()
    local p <close> = bpf.load(kinds_src)
    local b = p.maps.seen
    t.eq(b:has(42), false, "empty filter")
    t.eq((p.progs.probe:run(PKT)), 0, "the program sees no 42")
    for _, v in ipairs { 7, 42, 1000 } do b:push(v) end
    t.eq(b:has(42), true, "has 42")
    t.eq(b:has(7), true, "has 7")
    t.eq(b:has(43), false, "has no 43")
    t.eq((p.progs.probe:run(PKT)), 1, "the program sees 42")
    t.checkerr("map 'seen' is a bloom filter: it has no keys; use m:push(v) and m:has(v)",
      function() return b[42] end)
    t.checkerr("map 'seen' is a bloom_filter map: pop is for queue and stack maps",
      p.maps.inq.pop, b)
  end,

  map_in_map = function()
    local p <close> = bpf.load(mim_src)
    local m = p.maps
    m.inner_a[0] = 111
    m.inner_b[0] = 222
    t.eq((p.progs.pick:run(PKT)), 0, "outer slot empty")
    t.eq(m.outer[0], nil, "outer[0] empty")
    m.outer[0] = m.inner_a
    t.eq((p.progs.pick:run(PKT)), 111, "through inner_a")
    local id_a = m.outer[0]
    m.outer[0] = m.inner_b
    t.eq((p.progs.pick:run(PKT)), 222, "through inner_b")
    local id_b = m.outer[0]
    assert(math.type(id_a) == "integer" and id_a > 0 and id_b > 0 and id_a ~= id_b,
      "ids " .. tostring(id_a) .. ", " .. tostring(id_b))
    -- The id is the kernel's: bpftool names that map inner_b.
    t.eq(bpftool_json("map show id " .. id_b):match('"name":"([^"]*)"'), "inner_b", "id's map")
    m.outer[1] = m.inner_a.fd                 -- an fd works too
    t.eq(m.outer[1], id_a, "outer[1] by fd")
    m.outer[0] = nil
    t.eq((p.progs.pick:run(PKT)), 0, "outer slot deleted")
  end,

  fd_and_names_never_shadow_keys = function()
    local p <close> = bpf.load [[
#include <pktlua/bpf.h>
PKTLUA_HASH(by_int, __u32, __u64, 8);
PKTLUA_HASH(by_name, char[16], __u64, 8);
]]
    local fd = p.maps.by_int.fd
    t.eq(math.type(fd), "integer", "fd type")
    local link = assert(io.popen("readlink /proc/" .. bpf.pid() .. "/fd/" .. fd)):read("l")
    t.eq(link, "anon_inode:bpf-map", "fd is a map")
    t.eq(map.fd(p.maps.by_int), fd, "map.fd")
    -- Keys that spell names are keys of a map keyed by strings.
    local s = p.maps.by_name
    s.fd, s.push, s.pin = 1, 2, 3
    t.eq(s.fd, 1, "key 'fd'")
    t.eq(s.push, 2, "key 'push'")
    t.eq(s.pin, 3, "key 'pin'")
    t.eq(#s, 3, "three entries")
    t.eq(math.type(map.fd(s)), "integer", "map.fd of a string-keyed map")
    t.checkerr("map.fd: expected a pktlua.Map, got table", map.fd, {})
  end,

  pin_and_open_pinned = function()
    local path = "/sys/fs/bpf/pl_runtime_pin_" .. bpf.pid()
    local p <close> = bpf.load [[
#include <pktlua/bpf.h>
struct fkey { __u32 pid; char comm[8]; };
struct val { __u64 n; __s16 d; };
PKTLUA_HASH(flows, struct fkey, struct val, 8);
]]
    local m = p.maps.flows
    m[{ pid = 1, comm = "a" }] = { n = 5, d = -1 }
    m:pin(path)
    local ok, err = pcall(function()
      local q = bpf.open_pinned(path)
      t.same(q[{ pid = 1, comm = "a" }], { n = 5, d = -1 })
      q[{ pid = 2, comm = "b" }] = { n = 6, d = 2 }       -- typed by the map's BTF
      t.same(m[{ pid = 2, comm = "b" }], { n = 6, d = 2 })
      t.eq(#q, 2, "#q")
      t.eq(tostring(q), "pktlua.Map 'flows' (hash, struct fkey -> struct val)", "tostring")
      t.checkerr("was opened from a pin", bpf.lost, q)
      t.checkerr("already pinned at '" .. path .. "'", m.pin, m, path .. "x")
      t.checkerr("not on a BPF file system", m.pin, m, "/tmp/pl_runtime_pin")
    end)
    m:unpin()
    t.eq(io.open(path), nil, "the pin is gone")
    assert(ok, err)
    t.checkerr("map 'flows' is not pinned", m.unpin, m)
    t.checkerr("bpf.open_pinned: " .. path .. ": No such file or directory", bpf.open_pinned, path)
  end,

  open_pinned_without_btf = function()
    local path = "/sys/fs/bpf/pl_runtime_raw_" .. bpf.pid()
    os.execute(("bpftool map create %s type hash key 4 value 8 entries 4 name pl_raw"):format(path))
    local ok, err = pcall(function()
      local q = bpf.open_pinned(path)
      q[string.pack("I4", 7)] = string.pack("I8", 99)
      t.eq(q[string.pack("I4", 7)], string.pack("I8", 99), "raw bytes")
      t.checkerr("string of 1 bytes for bytes[4], expected 4 bytes", function() return q["x"] end)
      t.eq(math.type(map.fd(q)), "integer", "map.fd")
      -- Keys are strings here, so q.unpin would be a lookup: the function.
      t.checkerr("key: string of 5 bytes for bytes[4]", function() return q.unpin end)
      map.unpin(q)
    end)
    os.remove(path)
    assert(ok, err)
    t.eq(io.open(path), nil, "unpinned")
  end,

  pin_by_name_outlives_the_program = function()
    local name = "pl_pin" .. bpf.pid()
    local src = ([[
#include <pktlua/bpf.h>
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} %s SEC(".maps");
]]):format(name)
    local ok, err = pcall(function()
      local p1 = bpf.load(src)
      p1.maps[name][1] = 77
      p1:close()
      local p2 <close> = bpf.load(src)                   -- reuses the pinned map
      t.eq(p2.maps[name][1], 77, "value from the first Program")
      p2.maps[name]:unpin()
    end)
    os.remove("/sys/fs/bpf/" .. name)
    assert(ok, err)
    t.eq(io.open("/sys/fs/bpf/" .. name), nil, "unpinned")
  end,
}
