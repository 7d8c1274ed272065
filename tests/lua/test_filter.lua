-- test_filter.lua — pcap.compile and bpf.load's filters= option.
local t = require "testlib"
local bpf = require "pktlua"
local pcap = require "pktlua.pcap"

local tests = {}

function tests.compile_udp_port()
  local insns = pcap.compile("udp port 53")
  assert(#insns > 5, "a few instructions")
  -- The first instruction loads the EtherType: ldh [12].
  t.same(insns[1], { code = 0x28, jt = 0, jf = 0, k = 12 })
  -- It ends in returns: ret #262144 (accept) somewhere, ret #0 last.
  t.same(insns[#insns], { code = 0x06, jt = 0, jf = 0, k = 0 })
end

function tests.compile_linktype_and_snaplen()
  local raw = pcap.compile("ip", { linktype = "RAW" })
  local eth = pcap.compile("ip")
  assert(raw[1].k ~= eth[1].k or #raw ~= #eth, "RAW differs from Ethernet")
  local cut = pcap.compile("tcp", { linktype = 1, snaplen = 96 })
  local accept
  for _, i in ipairs(cut) do if i.code == 0x06 and i.k ~= 0 then accept = i.k end end
  t.eq(accept, 96, "accept returns the snap length")
end

function tests.compile_ip_broadcast_as_tcpdump_r()
  -- tcpdump -r compiles with netmask 0: `ip broadcast` is 255.255.255.255
  -- or 0.0.0.0, not "netmask not known".
  local insns = pcap.compile("ip broadcast")
  local all_ones
  for _, i in ipairs(insns) do if i.k == 0xffffffff then all_ones = true end end
  assert(all_ones, "compares the destination with 255.255.255.255")
end

function tests.compile_errors()
  t.checkerr("filter 'udp prot 53': ", pcap.compile, "udp prot 53")
  t.checkerr("syntax error", pcap.compile, "udp prot 53")
  t.checkerr("unknown link type 'NOPE'", pcap.compile, "ip", { linktype = "NOPE" })
end

function tests.load_filters()
  t.require_root()
  local p <close> = bpf.load { filters = { is_dns = "udp port 53", web = "tcp dst port 80 or 443" }, src = [[
    #include <pktlua/xdp.h>
    SEC("xdp") int f(struct xdp_md *ctx) {
      void *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
      if (is_dns(d, e)) return XDP_DROP;
      if (web(d, e)) return XDP_TX;
      return XDP_PASS;
    }
  ]] }
  local function frame(proto, dport)
    local l4 = string.pack(">HHHH", 40000, dport, 8, 0)
    if proto == 6 then l4 = string.pack(">HHI4I4BBHHH", 40000, dport, 1, 0, 0x50, 2, 1024, 0, 0) end
    local ip = string.pack(">BBHHHBBHI4I4", 0x45, 0, 20 + #l4, 1, 0, 64, proto, 0, 0xc6120001, 0xc6120002)
    return ("\2\0\0\0\0\2\2\0\0\0\0\1\8\0") .. ip .. l4
  end
  t.eq(p.progs.f:run(frame(17, 53)), 1, "udp 53 → XDP_DROP")
  t.eq(p.progs.f:run(frame(6, 443)), 3, "tcp 443 → XDP_TX")
  t.eq(p.progs.f:run(frame(17, 54)), 2, "udp 54 → XDP_PASS")
end

function tests.load_filter_errors()
  t.checkerr("bpf.load: filters.bad: filter 'udp prot 53': ",
    bpf.load, { filters = { bad = "udp prot 53" }, src = "int x;" })
  t.checkerr("not a C identifier", bpf.load, { filters = { ["is-dns"] = "udp" }, src = "int x;" })
  t.checkerr("must be a string", bpf.load, { filters = { x = 1 }, src = "int x;" })
  t.checkerr("filters", bpf.load, { filtres = {}, src = "int x;" })
end

t.run(tests)
