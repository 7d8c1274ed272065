-- pktlua.net: address formatting and parsing, names. No root needed.
local t = require "testlib"
local net = require "pktlua.net"

t.run {
  ipv4 = function()
    t.eq(net.ip4("\198\18\0\1"), "198.18.0.1", "bytes")
    t.eq(net.ip4(0x010012c6), "198.18.0.1", "__be32 as read on little-endian")
    t.eq(net.ip4({ 198, 19, 255, 254 }), "198.19.255.254", "sequence")
    t.eq(net.parse_ip("198.18.0.1"), "\198\18\0\1", "parse")
    local bad, why = net.parse_ip("198.18.0.256")
    t.eq(bad, nil, "out of range")
    assert(why:find("256", 1, true))
  end,
  ipv6 = function()
    local function rt(s) return net.ip6(assert(net.parse_ip(s))) end
    t.eq(rt("2001:2::1"), "2001:2::1", "compressed")
    t.eq(rt("2001:2:0:0:1:0:0:1"), "2001:2::1:0:0:1", "leftmost longest run")
    t.eq(rt("::"), "::", "all zero")
    t.eq(rt("fe80::1:2"), "fe80::1:2", "link local")
    t.eq(rt("::ffff:198.18.0.1"), "::ffff:198.18.0.1", "v4-mapped")
    t.eq(#assert(net.parse_ip("1::2:3.4.5.6")), 16, "dotted tail")
    t.eq(net.parse_ip("1:::2"), nil, "triple colon")
    t.eq(net.parse_ip("1:2:3:4:5:6:7:8:9"), nil, "nine groups")
  end,
  union_pkt_addr = function()
    local v4 = { v4 = 0x010012c6, v6 = { 198, 18, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } }
    t.eq(net.ip(v4), "198.18.0.1", "IPv4 in the union")
    local b = { net.parse_ip("2001:2::10"):byte(1, 16) }
    t.eq(net.ip({ v4 = 0, v6 = b }), "2001:2::10", "IPv6 in the union")
  end,
  mac = function()
    t.eq(net.mac(assert(net.parse_mac("02:00:00:AA:bb:01"))), "02:00:00:aa:bb:01", "round trip")
    t.eq(net.parse_mac("02:00"), nil, "short")
    t.checkerr("expected 6 bytes", net.mac, "abc")
  end,
  names = function()
    t.eq(net.proto(6), "tcp", "tcp")
    t.eq(net.proto(58), "icmp6", "icmp6")
    t.eq(net.proto(253), "253", "unknown")
    t.eq(net.ethertype(0x86dd), "ipv6", "ipv6")
    t.eq(net.ethertype(0x1234), "0x1234", "unknown ethertype")
    t.eq(net.port(53, "udp"), "domain", "dns")
    t.eq(net.port(22, "udp"), nil, "ssh is tcp")
    t.eq(net.port(443), "https", "https")
  end,
}
