-- pktlua.net.decode: the Lua decoder agrees with <pktlua/parse.h> (run in the
-- kernel through BPF_PROG_TEST_RUN) field by field, and with tshark/tcpdump.
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"
local net = require "pktlua.net"
local pcap = require "pktlua.pcap"

local spack, char = string.pack, string.char

-- ---- packet builders (addresses from 198.18.0.0/15 and 2001:db8::/32) -----
local MAC_D, MAC_S = "\x02\0\0\0\0\x02", "\x02\0\0\0\0\x01"
local SRC4, DST4 = char(198, 18, 0, 1), char(198, 19, 255, 254)
local SRC6 = net.parse_ip("2001:db8::1")
local DST6 = net.parse_ip("2001:db8:ffff::2")

-- vlans: sequence of {tpid, tci}
local function eth(ethertype, payload, vlans)
  local h = MAC_D .. MAC_S
  for _, v in ipairs(vlans or {}) do h = h .. spack(">HH", v[1], v[2]) end
  return h .. spack(">H", ethertype) .. payload
end
-- Wire order: TPID1 TCI1 TPID2 TCI2 ... ETHERTYPE.

local function ipv4(proto, payload, o)
  o = o or {}
  local opts = o.options or ""
  local ihl = o.ihl or (5 + #opts // 4)
  return spack(">BBHHHBBH", 0x40 | ihl, 0, o.total or (20 + #opts + #payload), 0x1234,
               o.frag or 0, o.ttl or 64, proto, 0) .. SRC4 .. DST4 .. opts .. payload
end
local function ipv6(nxt, payload, o)
  o = o or {}
  return spack(">I4HBB", 0x60000000, #payload, nxt, o.hlim or 255) .. SRC6 .. DST6 .. payload
end
-- Hop-by-hop / routing / destination options: next, hdr len in 8-byte units - 1.
local function ext8(nxt, body)
  body = body or ""
  local len = 2 + #body
  local pad = (8 - len % 8) % 8
  body = body .. ("\0"):rep(pad)
  return spack(">BB", nxt, (2 + #body) // 8 - 1) .. body
end
local function routing(nxt) return ext8(nxt, spack(">BBI4", 0, 0, 0)) end  -- type 0, segleft 0
local function ah(nxt)  -- 12 fixed bytes + 12 ICV: payload len = 24/4 - 2
  return spack(">BBHI4I4", nxt, 4, 0, 0x100, 1) .. ("\xaa"):rep(12)
end
local function frag6(nxt, off, more, id)
  return spack(">BBHI4", nxt, 0, (off << 3) | (more and 1 or 0), id or 7)
end
local function tcp(sport, dport, flags, o)
  o = o or {}
  local opts = o.options or ""
  local doff = 5 + #opts // 4
  return spack(">HHI4I4BBHHH", sport, dport, 1000, 0, doff << 4, flags or 0x02, 8192, 0, 0)
         .. opts .. (o.data or "")
end
local function udp(sport, dport, data)
  data = data or ""
  return spack(">HHHH", sport, dport, 8 + #data, 0) .. data
end
local function icmp(typ, code) return spack(">BBHHH", typ, code, 0, 1, 1) .. "ping" end
local function arp(op)
  return spack(">HHBBH", 1, 0x0800, 6, 4, op) .. MAC_S .. SRC4 .. ("\0"):rep(6) .. DST4
end

local RR = spack(">BBB", 7, 11, 4) .. ("\0"):rep(8) .. "\1"  -- record route (11) + EOL: 12 bytes
local MSS = spack(">BBH", 2, 4, 1460)

-- Whole packets: name, bytes, and whether tshark should see the L4 ports.
local cases = {
  { "eth_unknown_ethertype", eth(0x88b5, ("z"):rep(46)) },
  { "arp_request", eth(0x0806, arp(1)) },
  { "arp_reply", eth(0x0806, arp(2)) },
  { "ipv4_tcp_syn", eth(0x0800, ipv4(6, tcp(40000, 80, 0x02))) },
  { "ipv4_tcp_options_data", eth(0x0800, ipv4(6, tcp(443, 51000, 0x18, { options = MSS, data = "hello" }))) },
  { "ipv4_udp", eth(0x0800, ipv4(17, udp(33333, 4444, "payload"))) },
  { "ipv4_icmp_echo", eth(0x0800, ipv4(1, icmp(8, 0))) },
  { "ipv4_options_udp", eth(0x0800, ipv4(17, udp(1234, 5678, "x"), { options = RR })) },
  { "ipv4_options_tcp", eth(0x0800, ipv4(6, tcp(2000, 3000, 0x11), { options = RR .. MSS })) },
  { "ipv4_first_fragment", eth(0x0800, ipv4(17, udp(1111, 2222, ("f"):rep(24)), { frag = 0x2000 })), frag = true },
  { "ipv4_later_fragment", eth(0x0800, ipv4(17, ("g"):rep(24), { frag = 0x0004 })), frag = true },
  { "ipv4_last_fragment", eth(0x0800, ipv4(6, ("h"):rep(24), { frag = 0x0005 })), frag = true },
  { "ipv4_bad_ihl", eth(0x0800, ipv4(6, tcp(1, 2), { ihl = 3 })), bad = true },
  { "ipv4_ttl1_other_proto", eth(0x0800, ipv4(47, ("\0"):rep(8), { ttl = 1 })) },
  { "vlan_8021q_ipv4_udp", eth(0x0800, ipv4(17, udp(5000, 6000)), { { 0x8100, 0x2064 } }) },
  { "vlan_qinq_ipv4_tcp", eth(0x0800, ipv4(6, tcp(7000, 8000, 0x10)), { { 0x88a8, 0x00c8 }, { 0x8100, 0xe00a } }) },
  { "vlan_double_8021q_ipv6_udp", eth(0x86dd, ipv6(17, udp(53000, 9999, "q")), { { 0x8100, 0x0fff }, { 0x8100, 0x0001 } }) },
  { "vlan_triple_stops_at_two", eth(0x0800, ipv4(17, udp(1, 2)), { { 0x88a8, 5 }, { 0x8100, 6 }, { 0x8100, 7 } }), notshark = true },
  { "vlan_arp", eth(0x0806, arp(1), { { 0x8100, 42 } }) },
  { "ipv6_tcp", eth(0x86dd, ipv6(6, tcp(50000, 22, 0x02, { options = MSS }))) },
  { "ipv6_udp", eth(0x86dd, ipv6(17, udp(5353, 5353, "mdns?"))) },
  { "ipv6_icmpv6_echo", eth(0x86dd, ipv6(58, icmp(128, 0), { hlim = 64 })) },
  { "ipv6_hopopts_icmpv6", eth(0x86dd, ipv6(0, ext8(58, spack(">BB", 5, 2) .. "\0\0") .. icmp(143, 0))) },
  { "ipv6_chain_hop_rt_dst_udp", eth(0x86dd, ipv6(0, ext8(43) .. routing(60) .. ext8(17, ("\1\2\3\4\5\6\7\8\9\10")) .. udp(4000, 4001))) },
  { "ipv6_ah_tcp", eth(0x86dd, ipv6(51, ah(6) .. tcp(179, 60000, 0x12))) },
  { "ipv6_dstopts_ah_udp", eth(0x86dd, ipv6(60, ext8(51) .. ah(17) .. udp(500, 500))) },
  { "ipv6_first_fragment", eth(0x86dd, ipv6(44, frag6(17, 0, true) .. udp(6000, 7000, ("a"):rep(16)))), frag = true },
  { "ipv6_later_fragment", eth(0x86dd, ipv6(44, frag6(17, 3, false) .. ("b"):rep(16))), frag = true },
  { "ipv6_hop_then_later_fragment", eth(0x86dd, ipv6(0, ext8(44) .. frag6(6, 10, true) .. ("c"):rep(16))), frag = true },
  { "ipv6_no_next_header", eth(0x86dd, ipv6(59, "")) },
  { "ipv6_seven_ext_headers", eth(0x86dd, ipv6(0, ext8(60) .. ext8(60) .. ext8(60) .. ext8(60) .. ext8(60)
                                                  .. ext8(60) .. ext8(17) .. udp(1, 2))) },
  { "ipv6_six_ext_headers", eth(0x86dd, ipv6(0, ext8(60) .. ext8(60) .. ext8(60) .. ext8(60) .. ext8(60)
                                                 .. ext8(17) .. udp(11, 12))) },
  { "ipv6_mobility_header", eth(0x86dd, ipv6(135, ext8(59, "\0\0\0\0"))), notshark = true },
  { "ipv6_in_ipv4", eth(0x0800, ipv4(41, ipv6(17, udp(1, 2)))), notshark = true },
  { "frame_14_bytes", eth(0x0800, "") },
  { "frame_14_bytes_vlan_tpid", eth(0x8100, "") },
}

-- Truncations: every prefix (>= 14 bytes) of a few packets that cross every
-- layer, so each bound check of the parser meets its edge.
local truncated = {}
for _, name in ipairs { "vlan_qinq_ipv4_tcp", "ipv4_options_tcp", "ipv4_icmp_echo", "arp_request",
                        "ipv6_chain_hop_rt_dst_udp", "ipv6_ah_tcp", "ipv6_first_fragment",
                        "vlan_double_8021q_ipv6_udp", "ipv6_icmpv6_echo" } do
  local bytes
  for _, c in ipairs(cases) do if c[1] == name then bytes = c[2] end end
  assert(bytes, name)
  for n = 14, #bytes - 1 do truncated[#truncated + 1] = { name .. "/cut" .. n, bytes:sub(1, n) } end
end

local p = bpf.load [[
#include <pktlua/xdp.h>
PKTLUA_ARRAY(out, struct pkt, 1);

SEC("xdp") int parse(struct xdp_md *ctx)
{
	struct pkt pkt;
	__u32 k = 0;
	int rc = pkt_parse(ctx, &pkt);
	bpf_map_update_elem(&out, &k, &pkt, BPF_ANY);
	return rc < 0 ? XDP_ABORTED : XDP_PASS;
}
]]

local function bpf_parse(bytes)
  local rc = p.progs.parse:run(bytes)
  t.eq(rc, 2, "XDP_PASS from the parser")
  return p.maps.out[0]
end

local function agree(name, bytes)
  local want = bpf_parse(bytes)
  local got = net.decode(bytes)
  local ok, err = pcall(t.same, got, want, name)
  if not ok then error(err .. "\n  " .. net.describe(bytes), 2) end
  return got
end

local function sh(cmd)
  local f = io.popen(cmd); local out = f:read("a"); f:close(); return out
end

local dir = os.getenv("TMPDIR") or "/tmp"
local capture = ("%s/pktlua-test-net-decode-%d.pcap"):format(dir, bpf.pid())

t.run {
  crafted_packets_agree_with_parse_h = function()
    for _, c in ipairs(cases) do agree(c[1], c[2]) end
  end,

  truncated_packets_agree_with_parse_h = function()
    t.eq(#truncated > 400, true, "many truncations")
    for _, c in ipairs(truncated) do agree(c[1], c[2]) end
  end,

  decoded_values = function()
    local function d(name)
      for _, c in ipairs(cases) do if c[1] == name then return net.decode(c[2]) end end
    end
    local q = d("vlan_qinq_ipv4_tcp")
    t.same(q.vlan, { 200, 10 }, "qinq ids"); t.eq(q.nvlans, 2, "nvlans")
    t.eq(q.l3off, 22, "l3off"); t.eq(q.l4off, 42, "l4off"); t.eq(q.payload_off, 62, "payload_off")
    t.eq(q.sport, 7000, "sport"); t.eq(q.tcp_flags, 0x10, "ack")
    t.eq(net.ip(q.saddr), "198.18.0.1", "saddr"); t.eq(net.ip(q.daddr), "198.19.255.254", "daddr")
    t.eq(net.mac(q.smac), "02:00:00:00:00:01", "smac")
    local o = d("ipv4_options_tcp")
    t.eq(o.l4off, 14 + 36, "l4off after 16 option bytes"); t.eq(o.dport, 3000, "dport")
    local f1, f2 = d("ipv4_first_fragment"), d("ipv4_later_fragment")
    t.eq(f1.frag, 3, "first fragment"); t.eq(f1.dport, 2222, "first fragment has ports")
    t.eq(f2.frag, 1, "later fragment"); t.eq(f2.l4off, 0, "later fragment: no L4")
    local c = d("ipv6_chain_hop_rt_dst_udp")
    t.eq(c.l4proto, 17, "l4proto after chain"); t.eq(c.l4off, 14 + 40 + 8 + 8 + 16, "l4off")
    t.eq(c.dport, 4001, "dport"); t.eq(net.ip(c.daddr), "2001:db8:ffff::2", "v6 daddr")
    local a = d("ipv6_ah_tcp")
    t.eq(a.l4proto, 6, "through AH"); t.eq(a.sport, 179, "sport after AH")
    local s7 = d("ipv6_seven_ext_headers")
    t.eq(s7.l4proto, 60, "walk stops after 6"); t.eq(s7.l4off, 0, "no L4 beyond the walk")
    t.eq(d("ipv6_six_ext_headers").dport, 12, "six headers are walked")
    local fr = d("ipv6_hop_then_later_fragment")
    t.eq(fr.frag, 1, "v6 later fragment"); t.eq(fr.l4proto, 6, "proto from fragment header")
    t.eq(d("arp_reply").arp_op, 2, "arp op")
    t.eq(d("eth_unknown_ethertype").l3off, 0, "no l3off for unknown ethertype")
    local short, why = net.decode("\1\2\3")
    t.eq(short, nil, "short frame"); t.eq(why:find("shorter than an Ethernet header") ~= nil, true, why)
    t.checkerr("expected the packet bytes", net.decode, 42)
  end,

  describe_reads_like_tcpdump = function()
    local function line(name)
      for _, c in ipairs(cases) do if c[1] == name then return net.describe(c[2]) end end
    end
    t.eq(line("ipv4_tcp_syn"),
      "02:00:00:00:00:01 > 02:00:00:00:00:02 IP 198.18.0.1.40000 > 198.19.255.254.80: Flags [S] ttl 64, length 40 (54 bytes)",
      "tcp line")
    t.eq(line("vlan_double_8021q_ipv6_udp"):find("vlan 4095 vlan 1 IP6 2001:db8::1.53000 > 2001:db8:ffff::2.9999: udp", 1, true) ~= nil,
      true, line("vlan_double_8021q_ipv6_udp"))
    t.eq(line("arp_request"):find("ARP, Request who-has 198.19.255.254 tell 198.18.0.1", 1, true) ~= nil, true, "arp")
    t.eq(line("ipv4_later_fragment"):find("(frag)", 1, true) ~= nil, true, "frag")
    t.eq(line("ipv6_icmpv6_echo"):find("ICMP6 type 128 code 0", 1, true) ~= nil, true, "icmp6")
    t.eq(net.describe("\1\2"):find("truncated", 1, true) ~= nil, true, "short")
    t.eq(net.describe(net.decode(cases[1][2])), net.describe(cases[1][2]), "table or bytes")
  end,

  mixed_pcap_agrees_with_parse_h = function()
    local n = 0
    for pkt in pcap.read("../../samples/mixed.pcap") do
      n = n + 1
      if #pkt.data >= 14 then agree("mixed.pcap packet " .. n, pkt.data:sub(1, 3520)) end
    end
    t.eq(n, 418, "packets in samples/mixed.pcap")
  end,

  tshark_or_tcpdump_agree = function()
    local list = {}
    do
      local w <close> = pcap.writer(capture)
      for _, c in ipairs(cases) do
        if not c.notshark and not c.bad then w:write(c[2]); list[#list + 1] = c end
      end
    end
    local have_tshark = sh("command -v tshark") ~= ""
    if have_tshark then
      local fields = { "frame.number", "ieee8021ad.id", "vlan.id", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto",
                       "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "icmp.type",
                       "icmpv6.type", "arp.opcode", "arp.src.proto_ipv4", "arp.dst.proto_ipv4" }
      local cmd = "tshark -n -r " .. capture .. " -T fields -E separator=/t -E occurrence=a -E aggregator=,"
      for _, f in ipairs(fields) do cmd = cmd .. " -e " .. f end
      local out = sh(cmd .. " 2>/dev/null")
      local rows = 0
      for l in out:gmatch("[^\n]+") do
        local v = {}
        local i = 0
        for col in (l .. "\t"):gmatch("([^\t]*)\t") do i = i + 1; v[fields[i]] = col end
        rows = rows + 1
        local c = list[tonumber(v["frame.number"])]
        local d = net.decode(c[2])
        local what = c[1]
        local vl = {}
        for k = 1, d.nvlans do vl[k] = tostring(d.vlan[k]) end
        -- tshark names 802.1ad (outer) tags ieee8021ad.id, 802.1Q ones vlan.id
        local ids = v["ieee8021ad.id"] .. ((v["ieee8021ad.id"] ~= "" and v["vlan.id"] ~= "") and "," or "") .. v["vlan.id"]
        t.eq(ids, table.concat(vl, ","), what .. ": vlan ids")
        if d.ip_version == 4 then
          t.eq(v["ip.src"]:match("^[^,]*"), net.ip(d.saddr), what .. ": ip.src")
          t.eq(v["ip.dst"]:match("^[^,]*"), net.ip(d.daddr), what .. ": ip.dst")
          t.eq(tonumber(v["ip.proto"]:match("^[^,]*")), d.l4proto, what .. ": ip.proto")
        elseif d.ip_version == 6 then
          t.eq(v["ipv6.src"], net.ip6(d.saddr.v6), what .. ": ipv6.src")
          t.eq(v["ipv6.dst"], net.ip6(d.daddr.v6), what .. ": ipv6.dst")
        elseif d.l3proto == 0x0806 then
          t.eq(tonumber(v["arp.opcode"]), d.arp_op, what .. ": arp.opcode")
          t.eq(v["arp.src.proto_ipv4"], net.ip4(d.saddr.v4), what .. ": arp sender")
          t.eq(v["arp.dst.proto_ipv4"], net.ip4(d.daddr.v4), what .. ": arp target")
        end
        if d.frag == 0 and not c.noports then
          local function num(s) return tonumber(s) or 0 end
          if d.l4proto == 6 then
            t.eq(num(v["tcp.srcport"]), d.sport, what .. ": tcp.srcport")
            t.eq(num(v["tcp.dstport"]), d.dport, what .. ": tcp.dstport")
          elseif d.l4proto == 17 then
            t.eq(num(v["udp.srcport"]), d.sport, what .. ": udp.srcport")
            t.eq(num(v["udp.dstport"]), d.dport, what .. ": udp.dstport")
          elseif d.l4proto == 1 then
            t.eq(num(v["icmp.type"]), d.sport, what .. ": icmp.type")
          elseif d.l4proto == 58 then
            t.eq(num(v["icmpv6.type"]), d.sport, what .. ": icmpv6.type")
          end
        end
      end
      t.eq(rows, #list, "tshark rows")
    else
      print("NOTE: tshark is missing; comparing with tcpdump -e instead (tools/setup.sh installs tshark)")
      t.eq(sh("command -v tcpdump") ~= "", true, "tcpdump is installed")
      local out = sh("tcpdump -n -e -r " .. capture .. " 2>/dev/null")
      local k = 0
      for l in out:gmatch("[^\n]+") do
        if l:find("^%s") then goto continue end  -- hex dump of an unknown EtherType
        k = k + 1
        local c = list[k]
        local d = net.decode(c[2])
        for i = 1, d.nvlans do
          t.eq(l:find("vlan " .. d.vlan[i], 1, true) ~= nil, true, c[1] .. ": vlan in " .. l)
        end
        if d.ip_version ~= 0 then
          local ports = d.frag == 0 and not c.noports and (d.l4proto == 6 or d.l4proto == 17)
          -- tcpdump writes "a.b.c.d.port" but, after IPv6 extension headers, "port > port"
          for _, want in ipairs { net.ip(d.saddr), net.ip(d.daddr),
                                  ports and tostring(d.sport) or nil, ports and tostring(d.dport) or nil } do
            t.eq(l:find(want, 1, true) ~= nil, true, c[1] .. ": " .. want .. " in " .. l)
          end
        end
        ::continue::
      end
      t.eq(k, #list, "tcpdump lines")
    end
    os.remove(capture)
  end,
}
