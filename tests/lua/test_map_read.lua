-- pairs() over maps of scalar keys and values (lua_map.c reads 32- and
-- 64-bit integers without the codec): the same values as m[k] (the codec's
-- path), at the edges of each type; the iterator after the loop ended.
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"

local p = bpf.load [[
#include <pktlua/bpf.h>
PKTLUA_HASH(u32_u64, __u32, __u64, 16);
PKTLUA_HASH(s32_s64, __s32, __s64, 16);
PKTLUA_HASH(u64_s32, __u64, __s32, 16);
PKTLUA_HASH(u16_u8, __u16, __u8, 16);
PKTLUA_HASH(iter, __u32, __u32, 16);
SEC("xdp") int x(struct xdp_md *ctx) { return XDP_PASS; }
]]
local m = p.maps

-- Every entry read by pairs() equals what m[k] returns, and the key set is
-- the expected one.
local function check_pairs(map, want, what)
  local seen = 0
  for k, v in pairs(map) do
    seen = seen + 1
    t.eq(math.type(k), "integer", what .. ": key type")
    t.eq(math.type(v), "integer", what .. ": value type")
    t.eq(v, want[k], what .. ": pairs value of " .. tostring(k))
    t.eq(map[k], v, what .. ": m[k] of " .. tostring(k))
  end
  local n = 0
  for _ in pairs(want) do n = n + 1 end
  t.eq(seen, n, what .. ": entries")
end

t.run {
  unsigned_32_and_64 = function()
    local want = { [0] = 0, [1] = 1, [0x7fffffff] = 0x7fffffffffffffff,
                   [0x80000000] = -1,          -- __u64 2^64-1 reads as -1
                   [0xffffffff] = math.mininteger }  -- 2^63 reads as mininteger
    for k, v in pairs(want) do m.u32_u64[k] = v end
    check_pairs(m.u32_u64, want, "u32->u64")
  end,

  signed_32_and_64 = function()
    local want = { [-1] = -1, [-0x80000000] = math.mininteger, [0x7fffffff] = math.maxinteger,
                   [5] = -5 }
    for k, v in pairs(want) do m.s32_s64[k] = v end
    check_pairs(m.s32_s64, want, "s32->s64")
  end,

  u64_key_s32_value = function()
    local want = { [-1] = -0x80000000, [0] = 0x7fffffff, [1 << 40] = -7 }
    for k, v in pairs(want) do m.u64_s32[k] = v end
    check_pairs(m.u64_s32, want, "u64->s32")
  end,

  small_types_through_the_codec = function()
    local want = { [0xffff] = 0xff, [1] = 0 }
    for k, v in pairs(want) do m.u16_u8[k] = v end
    check_pairs(m.u16_u8, want, "u16->u8")
  end,

  iterator_after_the_end = function()
    local h = m.iter
    for k = 100, 104 do h[k] = 1 end
    local next_fn, state = pairs(h)
    local n = 0
    while next_fn(state) ~= nil do n = n + 1 end
    t.eq(n, 5, "entries")
    t.eq(next_fn(state), nil, "still done")
    t.eq(next_fn(), nil, "arguments are not used")
  end,
}
