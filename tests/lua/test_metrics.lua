-- require "pktlua.metrics": maps and functions as Prometheus families, exact
-- exposition text (labels, decoders, per-CPU sums, aggregation, histograms),
-- name rules, option errors, and the server's Lua surface.
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"
local metrics = require "pktlua.metrics"

local p = bpf.load [[
#include <pktlua/hist.h>
#include <pktlua/parse.h>

struct flow {
	__u8 proto;
	__be16 dport;
	__be32 saddr;
	union pkt_addr daddr;
	char comm[16];
	int err;
	__u32 ifindex;
	__u64 addr;
	__u32 pid;
};
struct nested { struct { __u16 a; __u16 b; } in; __u32 flag : 3, rest : 29; };
struct fval { __u64 packets; struct { __u64 bytes; } sz; char name[8]; };
struct hkey { __u32 dev; __u32 bucket; };

PKTLUA_HASH(flows, struct flow, __u64, 64);
PKTLUA_HASH(by_cpu, __u32, __u64, 64);
PKTLUA_HASH(nest, struct nested, __s64, 16);
PKTLUA_HASH(fvals, __u32, struct fval, 16);
PKTLUA_PERCPU_ARRAY(pcpu, __u64, 2);
PKTLUA_PERCPU_HASH(pcpu_hash, __u32, __u32, 8);
PKTLUA_HASH(dbl, __u32, double, 8);
PKTLUA_HIST(lat);
PKTLUA_LHIST(sizes, 0, 300, 100);
PKTLUA_HASH(by_dev, struct hkey, __u64, 256);
PKTLUA_RINGBUF(events, 4096);

SEC("tp/syscalls/sys_enter_getpid") int nop(void *ctx) { return 0; }
]]
local m = p.maps

-- The sample lines of family NAME in an exposition, sorted.
local function lines(text, name)
  local out = {}
  for l in text:gmatch("[^\n]+") do
    if l:sub(1, #name) == name and l:find("^" .. name .. "[_{ ]") then out[#out + 1] = l end
  end
  table.sort(out)
  return table.concat(out, "\n")
end

local function has(text, s)
  if not text:find(s, 1, true) then error(("exposition lacks %q:\n%s"):format(s, text), 2) end
end

local function clear(map) for k in pairs(map) do map[k] = nil end end

-- A kernel function for the ksym decoder: vfs_read, as kallsyms places it.
local function vfs_read()
  for l in io.lines("/proc/kallsyms") do
    local a = l:match("^(%x+) [Tt] vfs_read$")
    if a and tonumber(a, 16) ~= 0 then return tonumber(a, 16) end
  end
end

t.run {
  struct_key_labels_and_decoders = function()
    clear(m.flows)
    local addr = vfs_read()
    local key = { proto = 6, dport = 0x5000, saddr = 0x0100a8c0,
                  daddr = { v6 = { 198, 18, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
                  comm = "curl", err = -2, ifindex = 1, addr = addr and addr + 5 or 0, pid = bpf.pid() }
    m.flows[key] = 5
    key.daddr = { v6 = { 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } }
    key.err, key.proto = 0, 17
    m.flows[key] = 7
    metrics.counter("t_flows_total", "Flows.", m.flows, { decode = {
      dport = "port", saddr = "ip", daddr = "ip", err = "errno", ifindex = "ifname",
      addr = "ksym", pid = "comm",
      proto = function(v) return v == 6 and "tcp" or "udp" end } })
    local text = metrics.text()
    has(text, "# HELP t_flows_total Flows.\n# TYPE t_flows_total counter\n")
    local want = ('t_flows_total{proto="%s",dport="80",saddr="192.168.0.1",daddr="%s",'
      .. 'comm="curl",err="%s",ifindex="lo",addr="%s",pid="pktlua"} %d')
    local s = addr and "vfs_read" or "0x0"   -- an address inside it; 0 without kallsyms
    t.eq(lines(text, "t_flows_total"),
      want:format("tcp", "198.18.0.7", "ENOENT", s, 5) .. "\n"
      .. want:format("udp", "2001:db8::1", "0", s, 7), "flows")
    metrics.remove("t_flows_total")
  end,

  scalar_keys_need_a_label = function()
    clear(m.by_cpu)
    m.by_cpu[0], m.by_cpu[1], m.by_cpu[7] = 10, 20, 30
    t.checkerr("the key is __u32: name its label with labels = {\"NAME\"}",
      metrics.counter, "t_a_total", "h", m.by_cpu)
    metrics.counter("t_cpu_total", "Per CPU.", m.by_cpu, { labels = { "cpu" } })
    metrics.counter("t_all_total", "Summed.", m.by_cpu, { labels = {} })
    local text = metrics.text()
    t.eq(lines(text, "t_cpu_total"),
      't_cpu_total{cpu="0"} 10\nt_cpu_total{cpu="1"} 20\nt_cpu_total{cpu="7"} 30', "cpu")
    t.eq(lines(text, "t_all_total"), "t_all_total 60", "sum")
    has(text, 'pktlua_map_entries{map="by_cpu"} 3\n')
    metrics.remove("t_cpu_total")
    metrics.remove("t_all_total")
  end,

  empty_unlabelled_series_is_zero = function()
    clear(m.by_cpu)
    metrics.counter("t_none_total", "Nothing yet.", m.by_cpu, { labels = {} })
    t.eq(lines(metrics.text(), "t_none_total"), "t_none_total 0", "zero")
    metrics.remove("t_none_total")
  end,

  subset_of_fields_sums_the_rest = function()
    clear(m.nest)
    m.nest[{ ["in"] = { a = 1, b = 2 }, flag = 5, rest = 9 }] = -4
    m.nest[{ ["in"] = { a = 1, b = 3 }, flag = 5, rest = 1 }] = 10
    m.nest[{ ["in"] = { a = 2, b = 3 }, flag = 1, rest = 1 }] = 1
    metrics.gauge("t_nest", "Nested fields and bitfields.", m.nest)
    metrics.gauge("t_by_a", "By a.", m.nest, { labels = { "in_a" } })
    local text = metrics.text()
    t.eq(lines(text, "t_nest"), table.concat({
      't_nest{in_a="1",in_b="2",flag="5",rest="9"} -4',
      't_nest{in_a="1",in_b="3",flag="5",rest="1"} 10',
      't_nest{in_a="2",in_b="3",flag="1",rest="1"} 1' }, "\n"), "nest")
    t.eq(lines(text, "t_by_a"), 't_by_a{in_a="1"} 6\nt_by_a{in_a="2"} 1', "by a")
    t.checkerr("labels: the key struct nested has no field 'c' (fields: in_a, in_b, flag, rest)",
      metrics.gauge, "t_x", "h", m.nest, { labels = { "c" } })
    metrics.remove("t_nest")
    metrics.remove("t_by_a")
  end,

  duplicate_labels_add_up = function()
    clear(m.by_cpu)
    m.by_cpu[1], m.by_cpu[2], m.by_cpu[3] = 1, 2, 4
    metrics.counter("t_parity_total", "Odd or even.", m.by_cpu, { labels = { "parity" },
      decode = { parity = function(v) return v % 2 == 0 and "even" or "odd" end } })
    t.eq(lines(metrics.text(), "t_parity_total"),
      't_parity_total{parity="even"} 2\nt_parity_total{parity="odd"} 5', "parity")
    metrics.remove("t_parity_total")
  end,

  label_values_are_escaped = function()
    clear(m.by_cpu)
    m.by_cpu[1] = 1
    metrics.gauge("t_esc", "Escapes: \\ and\nnewline.", m.by_cpu, { labels = { "s" },
      decode = { s = function() return 'a"b\\c\nd\255' end } })
    local text = metrics.text()
    has(text, "# HELP t_esc Escapes: \\\\ and\\nnewline.\n")
    has(text, 't_esc{s="a\\"b\\\\c\\nd\xef\xbf\xbd"} 1\n')
    metrics.remove("t_esc")
  end,

  per_cpu_values_are_summed = function()
    local ncpus = #m.pcpu[0]
    local seq = {}
    for i = 1, ncpus do seq[i] = i * 10 end
    m.pcpu[0] = seq
    m.pcpu[1] = 3                             -- every CPU
    clear(m.pcpu_hash)
    m.pcpu_hash[5] = seq
    metrics.counter("t_pcpu_total", "Per-CPU array.", m.pcpu, { labels = { "slot" } })
    metrics.gauge("t_pcpu_hash", "Per-CPU hash.", m.pcpu_hash, { labels = { "k" } })
    local text = metrics.text()
    local total = 0
    for i = 1, ncpus do total = total + i * 10 end
    t.eq(lines(text, "t_pcpu_total"), ('t_pcpu_total{slot="0"} %d\nt_pcpu_total{slot="1"} %d')
      :format(total, 3 * ncpus), "pcpu")
    t.eq(lines(text, "t_pcpu_hash"), ('t_pcpu_hash{k="5"} %d'):format(total), "pcpu hash")
    metrics.remove("t_pcpu_total")
    metrics.remove("t_pcpu_hash")
  end,

  struct_values_and_floats = function()
    clear(m.fvals)
    m.fvals[1] = { packets = 3, sz = { bytes = 300 }, name = "a" }
    m.fvals[2] = { packets = 4, sz = { bytes = 400 }, name = "b" }
    t.checkerr("pick the sample with value = \"FIELD\" (one of packets, sz, name)",
      metrics.gauge, "t_v", "h", m.fvals, { labels = { "id" } })
    t.checkerr("value = 'nope': struct fval has no field 'nope'",
      metrics.gauge, "t_v", "h", m.fvals, { labels = { "id" }, value = "nope" })
    t.checkerr("the value name is char[8], not a number",
      metrics.gauge, "t_v", "h", m.fvals, { labels = { "id" }, value = "name" })
    metrics.counter("t_fbytes_total", "Bytes.", m.fvals, { labels = {}, value = "sz.bytes" })
    m.dbl[1], m.dbl[2] = 0.25, 1e300
    metrics.gauge("t_dbl", "Doubles.", m.dbl, { labels = { "k" } })
    local text = metrics.text()
    t.eq(lines(text, "t_fbytes_total"), "t_fbytes_total 700", "bytes")
    t.eq(lines(text, "t_dbl"), 't_dbl{k="1"} 0.25\nt_dbl{k="2"} 1e+300', "doubles")
    metrics.remove("t_fbytes_total")
    metrics.remove("t_dbl")
  end,

  function_sources = function()
    local n = 0
    metrics.gauge("t_fn_int", "Integer.", function() n = n + 1; return n end)
    metrics.gauge("t_fn_float", "Float.", function() return 0.5 end)
    metrics.gauge("t_fn_nil", "Nothing now.", function() return nil end)
    local text = metrics.text()
    t.eq(lines(text, "t_fn_int"), "t_fn_int 1", "int")
    t.eq(lines(text, "t_fn_float"), "t_fn_float 0.5", "float")
    t.eq(lines(text, "t_fn_nil"), "", "nil: no sample")
    has(text, "# TYPE t_fn_nil gauge\n")
    t.eq(lines(metrics.text(), "t_fn_int"), "t_fn_int 2", "called per scrape")
    metrics.gauge("t_fn_bad", "Bad.", function() return "x" end)
    t.checkerr("metrics.text: metric 't_fn_bad': its function returned a string, not a number",
      metrics.text)
    metrics.remove("t_fn_bad")
    metrics.gauge("t_fn_err", "Raises.", function() error("boom") end)
    t.checkerr("metric 't_fn_err': ", metrics.text)
    t.checkerr("boom", metrics.text)
    for _, name in ipairs { "t_fn_err", "t_fn_int", "t_fn_float", "t_fn_nil" } do
      t.eq(metrics.remove(name), true, "removed " .. name)
    end
    t.eq(metrics.remove("t_fn_int"), false, "removed twice")
  end,

  log2_histogram = function()
    clear(m.lat)
    m.lat[1], m.lat[2], m.lat[4], m.lat[5] = 2, 3, 1, 4  -- 0, [1,2), [4,8), [8,16)
    metrics.histogram("t_lat_nanoseconds", "Latency.", m.lat)
    local text = metrics.text()
    t.eq(text:match("# HELP t_lat.-t_lat_nanoseconds_count %d+\n"), table.concat({
      "# HELP t_lat_nanoseconds Latency.",
      "# TYPE t_lat_nanoseconds histogram",
      't_lat_nanoseconds_bucket{le="0"} 2',
      't_lat_nanoseconds_bucket{le="1"} 5',
      't_lat_nanoseconds_bucket{le="3"} 5',
      't_lat_nanoseconds_bucket{le="7"} 6',
      't_lat_nanoseconds_bucket{le="15"} 10',
      't_lat_nanoseconds_bucket{le="+Inf"} 10',
      "t_lat_nanoseconds_sum 39",               -- 0*2 + 1*3 + 4*1 + 8*4
      "t_lat_nanoseconds_count 10", "" }, "\n"), "histogram")
    -- The bucket set only grows: emptied, the same buckets are written.
    m.lat[5] = 0
    has(metrics.text(), 't_lat_nanoseconds_bucket{le="15"} 6\n')
    metrics.remove("t_lat_nanoseconds")
    metrics.histogram("t_lat_seconds", "Scaled.", m.lat, { scale = 1e-9 })
    text = metrics.text()
    has(text, 't_lat_seconds_bucket{le="7e-09"} 6\n')
    has(text, "t_lat_seconds_sum 7e-09\n")
    metrics.remove("t_lat_seconds")
  end,

  linear_histogram_and_labels = function()
    clear(m.sizes)
    m.sizes[0], m.sizes[1], m.sizes[3], m.sizes[4] = 1, 2, 3, 4  -- <0, [0,100), [200,300), >=300
    metrics.histogram("t_sizes_bytes", "Sizes.", m.sizes, { min = 0, max = 300, step = 100 })
    local text = metrics.text()
    t.eq(lines(text, "t_sizes_bytes"), table.concat({
      "t_sizes_bytes_bucket{le=\"+Inf\"} 10",
      "t_sizes_bytes_bucket{le=\"-1\"} 1",
      "t_sizes_bytes_bucket{le=\"199\"} 3",
      "t_sizes_bytes_bucket{le=\"299\"} 6",
      "t_sizes_bytes_bucket{le=\"99\"} 3",
      "t_sizes_bytes_count 10",
      "t_sizes_bytes_sum 1799" }, "\n"), "linear") -- -1 + 0*2 + 200*3 + 300*4
    metrics.remove("t_sizes_bytes")
    clear(m.by_dev)
    m.by_dev[{ dev = 8, bucket = 2 }] = 1
    m.by_dev[{ dev = 8, bucket = 3 }] = 2
    m.by_dev[{ dev = 9, bucket = 3 }] = 5
    metrics.histogram("t_dev_seconds", "By device.", m.by_dev)
    text = metrics.text()
    has(text, 't_dev_seconds_bucket{dev="8",le="1"} 1\n')
    has(text, 't_dev_seconds_bucket{dev="8",le="3"} 3\n')
    has(text, 't_dev_seconds_bucket{dev="9",le="1"} 0\n')
    has(text, 't_dev_seconds_count{dev="9"} 5\n')
    has(text, 't_dev_seconds_sum{dev="8"} 5\n')
    metrics.remove("t_dev_seconds")
    t.checkerr("has no bucket field 'slot' (fields: dev, bucket",
      metrics.histogram, "t_h", "h", m.by_dev, { bucket = "slot" })
  end,

  openmetrics = function()
    clear(m.by_cpu)
    m.by_cpu[3] = 9
    metrics.counter("t_om_total", "OM.", m.by_cpu, { labels = { "cpu" } })
    local text = metrics.text("openmetrics")
    has(text, "# HELP t_om OM.\n# TYPE t_om counter\nt_om_total{cpu=\"3\"} 9\n")
    t.eq(text:sub(-6), "# EOF\n", "ends with # EOF")
    t.checkerr("bad argument #1 to 'pktlua.metrics.text' (invalid option 'json')", metrics.text, "json")
    metrics.remove("t_om_total")
  end,

  names_are_checked = function()
    t.checkerr("metric 'a_b': a counter's name ends in _total", metrics.counter, "a_b", "h",
      m.by_cpu, { labels = { "k" } })
    t.checkerr("only a counter's name ends in _total", metrics.gauge, "a_total", "h",
      function() return 1 end)
    t.checkerr("not a metric name", metrics.gauge, "a-b", "h", function() return 1 end)
    t.checkerr("cannot end in _bucket, _count or _sum", metrics.histogram, "a_sum", "h", m.lat)
    t.checkerr("pktlua's own metric has that name", metrics.gauge, "pktlua_map_entries", "h",
      function() return 1 end)
    metrics.gauge("t_once", "h", function() return 1 end)
    t.checkerr("a metric of that name is already registered", metrics.gauge, "t_once", "h",
      function() return 1 end)
    metrics.remove("t_once")
  end,

  options_are_checked = function()
    t.checkerr("unknown option 'lables'", metrics.gauge, "t_x", "h", m.by_cpu,
      { lables = { "k" } })
    t.checkerr("decode.k: unknown decoder 'ipv4'", metrics.gauge, "t_x", "h", m.by_cpu,
      { labels = { "k" }, decode = { k = "ipv4" } })
    t.checkerr("decode.k = \"port\": needs a 2-byte field (a __be16), and 'k' is 4 bytes",
      metrics.gauge, "t_x", "h", m.by_cpu, { labels = { "k" }, decode = { k = "port" } })
    t.checkerr("decode.z: there is no label 'z' (labels: k)", metrics.gauge, "t_x", "h",
      m.by_cpu, { labels = { "k" }, decode = { z = "ip" } })
    t.checkerr("'__k' cannot be a label name", metrics.gauge, "t_x", "h", m.by_cpu,
      { labels = { "__k" } })
    t.checkerr("map 'events' is a ringbuf: only hash and array maps", metrics.gauge, "t_x",
      "h", m.events, { labels = { "k" } })
    t.checkerr("bucket, min, max, step and scale are histogram options", metrics.gauge,
      "t_x", "h", m.by_cpu, { labels = { "k" }, scale = 2 })
    t.checkerr("a function gives one value", metrics.gauge, "t_x", "h",
      function() return 1 end, { labels = { "k" } })
    t.checkerr("bad argument #3 to 'pktlua.metrics.histogram' (pktlua.Map expected, got function)",
      metrics.histogram, "t_x", "h", function() return 1 end)
    t.checkerr("linear buckets need min < max and step > 0", metrics.histogram, "t_x", "h",
      m.sizes, { min = 5, max = 1, step = 1 })
    -- Nothing was registered by the failures.
    metrics.gauge("t_x", "h", function() return 1 end)
    metrics.remove("t_x")
  end,

  closed_program_drops_its_families = function()
    local q = bpf.load [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(one, __u64, 1);
SEC("tp/syscalls/sys_enter_getpid") int nop2(void *ctx) { return 0; }
]]
    q.maps.one[0] = 4
    metrics.gauge("t_closing", "h", q.maps.one, { labels = {} })
    t.eq(lines(metrics.text(), "t_closing"), "t_closing 4", "before close")
    q:close()
    t.eq(lines(metrics.text(), "t_closing"), "", "gone after close")
    t.eq(metrics.remove("t_closing"), false, "already gone")
  end,

  own_metrics = function()
    local text = metrics.text()
    has(text, 'pktlua_events_lost_total{program="' .. p.name .. '",map="events"} 0\n')
    has(text, "# TYPE pktlua_scrape_duration_seconds gauge\npktlua_scrape_duration_seconds ")
    has(text, 'pktlua_build_info{version="' .. bpf.version .. '"} 1\n')
    t.eq(text:find("pktlua_prog_run_total", 1, true), nil, "no run stats unless asked")
  end,

  serve_surface = function()
    local srv = metrics.serve("127.0.0.1:0")
    t.eq(srv.address, "127.0.0.1:" .. srv.port, "address")
    t.eq(tostring(srv), "pktlua.MetricsServer http://" .. srv.address .. "/metrics", "tostring")
    t.checkerr("metrics.serve: already serving on " .. srv.address, metrics.serve)
    local busy = srv.address
    srv:close()
    t.eq(tostring(srv), "pktlua.MetricsServer (closed)", "closed")
    local other = metrics.serve { addr = "127.0.0.1:0", timeout = 2 }
    t.checkerr("metrics.serve: already serving", metrics.serve, busy)
    other:close()
    -- (an address in use: tests/unit/test_metrics_server.c and metrics_cli.test)
    t.checkerr("metrics.serve: cannot listen on 198.19.255.254:9435: Cannot assign requested "
      .. "address", metrics.serve, "198.19.255.254:9435")
    t.checkerr("metrics.serve: bad address 'localhost'", metrics.serve, "localhost")
    t.checkerr("metrics.serve: unknown option 'port'", metrics.serve, { port = 1 })
    t.checkerr("timeout must be 1..3600 seconds", metrics.serve, { timeout = 0 })
  end,
}
