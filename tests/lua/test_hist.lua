-- pktlua.hist and pktlua.json: exact bpftrace text, JSON encoding, and the
-- BPF-side buckets of <pktlua/hist.h> agreeing with the Lua side.
local t = require "testlib"
local hist = require "pktlua.hist"
local json = require "pktlua.json"
local map = require "pktlua.map"

local bar52 = ("@"):rep(52)

t.run {
  log2_text_matches_bpftrace = function()
    t.eq(hist.log2({ 4, 5, 6, 7, 8, 15, 2 }, "@x"),
      "@x: \n" ..
      "[2, 4)                 1 |@@@@@@@@@@@@@                                       |\n" ..
      "[4, 8)                 4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n" ..
      "[8, 16)                2 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n",
      "log2 text")
  end,

  log2_labels_zero_one_and_suffixes = function()
    local s = hist.log2({ 0, 1, 1 })
    t.eq(s, "[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n" ..
            "[1]                    2 |" .. bar52 .. "|\n", "0 and 1")
    s = hist.log2({ -5, 1024, 2047, 1 << 20, 1 << 30, 1 << 40, 1 << 50, math.maxinteger })
    for _, want in ipairs { "(..., 0)               1 |", "[1K, 2K)               2 |" .. bar52 .. "|",
                            "[512, 1K)              0 |", "[1M, 2M)               1 |",
                            "[1G, 2G)               1 |", "[1T, 2T)               1 |",
                            "[1P, 2P)               1 |", "[4E, 8E)               1 |" } do
      assert(s:find(want, 1, true), "missing row: " .. want)
    end
    t.eq(hist.log2({}), "", "empty histogram")
    t.eq(hist.log2({}, "@e"), "@e: \n", "empty histogram keeps its header")
  end,

  linear_text_matches_bpftrace = function()
    t.eq(hist.linear({ 5, 15, 15, -3, 100 }, 0, 30, 10),
      "(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n" ..
      "[0, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n" ..
      "[10, 20)               2 |" .. bar52 .. "|\n" ..
      "[20, 30)               0 |                                                    |\n" ..
      "[30, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n",
      "linear text")
    t.eq(hist.linear({ 1024, 2048, 2500, 1 << 20 }, 0, 4096, 1024),
      "[1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n" ..
      "[2K, 3K)               2 |" .. bar52 .. "|\n" ..
      "[3K, 4K)               0 |                                                    |\n" ..
      "[4K, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n",
      "K labels when the step is a multiple of 1024")
    t.checkerr("step > 0", hist.linear, {}, 0, 10, 0)
  end,

  bars_truncate_in_single_precision = function()
    -- 1/3 * 52 = 17.33 -> 17; 2/3 * 52 = 34.67 -> 34
    local s = hist.log2({ 2, 4, 4, 8, 8, 8 })
    assert(s:find("[2, 4)                 1 |" .. ("@"):rep(17) .. " ", 1, true), s)
    assert(s:find("[4, 8)                 2 |" .. ("@"):rep(34) .. " ", 1, true), s)
  end,

  buckets_from_maps_and_snapshots = function()
    -- bucket index -> count, per-CPU counts summed (map.hist takes both)
    t.eq(map.hist({ [3] = 2, [4] = { 1, 0 } }, "@b"),
      "@b: \n" ..
      "[2, 4)                 2 |" .. bar52 .. "|\n" ..
      "[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n", "map.hist")
    t.eq(hist.log2({ [1] = 3 }, { buckets = true }),
      "[0]                    3 |" .. bar52 .. "|\n", "buckets = true")
    t.checkerr("not an integer", hist.log2, { x = 1 }, { buckets = true })
    t.same(hist.rows({ -1, 0, 5, 6 }),
      { { max = -1, count = 1 }, { min = 0, max = 0, count = 1 }, { min = 1, max = 1, count = 0 },
        { min = 2, max = 3, count = 0 }, { min = 4, max = 7, count = 2 } })
    t.eq(hist.bucket(0), 1, "bucket of 0")
    t.eq(hist.bucket(1), 2, "bucket of 1")
    t.eq(hist.bucket(1023), 11, "bucket of 1023")
    t.eq(hist.bucket(1024), 12, "bucket of 1024")
  end,

  bpf_buckets_agree_with_lua = function()
    if io.popen("id -u"):read("l") ~= "0" then
      print("SKIPPED bpf_buckets_agree_with_lua: loading BPF programs needs root")
      return
    end
    local bpf = require "pktlua"
    local p <close> = bpf.load [[
#include <pktlua/hist.h>
PKTLUA_ARRAY(vals, __u64, 16);
PKTLUA_ARRAY(buckets, __u32, 16);
PKTLUA_ARRAY(lbuckets, __u32, 16);
PKTLUA_HIST(h);
PKTLUA_LHIST(lh, 0, 100, 10);

SEC("xdp") int bucket_all(struct xdp_md *ctx)
{
	for (__u32 i = 0; i < 16; i++) {
		__u32 k = i;
		__u64 *v = bpf_map_lookup_elem(&vals, &k);
		if (!v)
			continue;
		__u32 b = pktlua_log2(*v), lb = pktlua_linear((__s64)*v, 0, 100, 10);
		bpf_map_update_elem(&buckets, &k, &b, BPF_ANY);
		bpf_map_update_elem(&lbuckets, &k, &lb, BPF_ANY);
		PKTLUA_HIST_ADD(h, *v);
		PKTLUA_LHIST_ADD(lh, *v, 0, 100, 10);
	}
	return XDP_PASS;
}
]]
    local vals = { 0, 1, 2, 3, 4, 7, 8, 50, 99, 100, 1000, 1024, 65535, 1 << 32, (1 << 32) + 1,
                   math.maxinteger }
    for i, v in ipairs(vals) do p.maps.vals[i - 1] = v end
    p.progs.bucket_all:run(("\0"):rep(64))
    for i, v in ipairs(vals) do
      t.eq(p.maps.buckets[i - 1], hist.bucket(v), "log2 bucket of " .. v)
      t.eq(p.maps.lbuckets[i - 1], hist.linear_bucket(v, 0, 100, 10), "linear bucket of " .. v)
    end
    t.eq(hist.log2(p.maps.h), hist.log2(vals), "log2 text from the map")
    t.eq(hist.linear(p.maps.lh, 0, 100, 10), hist.linear(vals, 0, 100, 10), "linear text from the map")
    t.eq(map.hist(p.maps.h), hist.log2(vals), "map.hist")
  end,

  json_encode = function()
    t.eq(json.encode({ 1, 2, 3 }), "[1,2,3]", "sequence")
    t.eq(json.encode({ b = 1, a = { true, false }, [3] = "x" }), '{"3":"x","a":[true,false],"b":1}',
         "object, sorted keys")
    t.eq(json.encode({}), "{}", "empty table")
    t.eq(json.encode(json.array {}), "[]", "empty array")
    t.eq(json.encode(nil), "null", "nil")
    t.eq(json.encode(0 / 0) .. json.encode(math.huge) .. json.encode(-math.huge), "nullnullnull", "nan, inf")
    t.eq(json.encode(3), "3", "integer")
    t.eq(json.encode(math.mininteger), "-9223372036854775808", "integer stays integer")
    t.eq(json.encode(0.1), "0.1", "float")
    t.eq(json.encode(1 / 3), "0.33333333333333331", "float round trip")
    t.eq(json.encode('a"b\\c\n\r\t\b\f\0\31\127'), '"a\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f\127"', "escapes")
    t.eq(json.encode("h\u{e9}\u{1F600}"), '"h\u{e9}\u{1F600}"', "valid UTF-8 passes through")
    t.eq(json.encode("a\255b\xc3"), '"a\\u00ffb\\u00c3"', "invalid UTF-8 bytes")
    t.eq(json.encode("\xed\xa0\x80"), '"\\u00ed\\u00a0\\u0080"', "surrogates are invalid")
    t.eq(json.encode({ [{ pid = 1, comm = "sh" }] = 2 }), '{"{\\"comm\\":\\"sh\\",\\"pid\\":1}":2}',
         "table keys become their JSON text")
    local cyc = {}
    cyc.self = cyc
    t.checkerr("cycle", json.encode, cyc)
    t.checkerr("cannot encode a function", json.encode, { f = print })
    t.checkerr("object key", json.encode, { [true] = 1 })
  end,
}
