-- make-sample-capture.lua — write the bundled capture (samples/mixed.pcap)
-- usage: pktlua tools/make-sample-capture.lua [OUT.pcap]
--
-- Deterministic synthetic traffic between benchmarking addresses
-- (198.18.0.0/15, and 2001:2::/48 for IPv6): TCP connections to 80 and 443
-- with handshakes, data and FINs, DNS over UDP, ICMP echo, ARP, ICMPv6 echo,
-- IPv6 TCP, an 802.1Q-tagged flow and a few IP fragments. Checksums are
-- right, so tcpdump and tshark decode it cleanly.
local pcap = require "pktlua.pcap"
local net = require "pktlua.net"

local out = arg[1] or "samples/mixed.pcap"
local w <close> = pcap.writer(out)
local t = 1767225600.0           -- 2026-01-01T00:00:00Z
math.randomseed(20260101)

local function sum16(s)
  if #s % 2 == 1 then s = s .. "\0" end
  local sum = 0
  for i = 1, #s, 2 do sum = sum + (s:byte(i) << 8 | s:byte(i + 1)) end
  while sum > 0xffff do sum = (sum & 0xffff) + (sum >> 16) end
  return sum
end
local function csum(s) return (~sum16(s)) & 0xffff end

local function mac(n) return string.char(0x02, 0, 0, 0, 0, n) end
local function eth(dst, src, etype, vlan)
  if vlan then
    return dst .. src .. string.pack(">HH", 0x8100, vlan) .. string.pack(">H", etype)
  end
  return dst .. src .. string.pack(">H", etype)
end

local ip_id = 1000
local function ipv4(src, dst, proto, payload, opts)
  opts = opts or {}
  ip_id = ip_id + 1
  local frag = (opts.mf and 0x2000 or 0) | ((opts.offset or 0) // 8)
  local hdr = string.pack(">BBHHHBBH", 0x45, 0, 20 + #payload, opts.id or ip_id, frag,
                          opts.ttl or 64, proto, 0) .. src .. dst
  hdr = hdr:sub(1, 10) .. string.pack(">H", csum(hdr)) .. hdr:sub(13)
  return hdr .. payload
end
local function ipv6(src, dst, nh, payload)
  return string.pack(">I4HBB", 0x60000000, #payload, nh, 64) .. src .. dst .. payload
end

local function l4_csum(pseudo, seg, at)
  local c = csum(pseudo .. seg)
  return seg:sub(1, at - 1) .. string.pack(">H", c) .. seg:sub(at + 2)
end
local function pseudo4(src, dst, proto, len) return src .. dst .. string.pack(">BBH", 0, proto, len) end
local function pseudo6(src, dst, nh, len) return src .. dst .. string.pack(">I4I3B", len, 0, nh) end

local function tcp(sport, dport, seq, ack, flags, data)
  data = data or ""
  return string.pack(">HHI4I4BBHHH", sport, dport, seq, ack, 0x50, flags, 64240, 0, 0) .. data
end
local function udp(sport, dport, data)
  return string.pack(">HHHH", sport, dport, 8 + #data, 0) .. data
end

local function emit(frame, dt)
  t = t + (dt or 0.001 + math.random() * 0.01)
  w:write(frame, t)
end

local function v4(s) return assert(net.parse_ip(s)) end
local hosts = { v4 "198.18.0.10", v4 "198.18.0.11", v4 "198.18.0.12", v4 "198.18.0.13" }
local server = v4 "198.18.1.1"
local dns = v4 "198.18.1.53"
local SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01

local function tcp4(src, dst, sm, dm, sport, dport, seq, ack, flags, data, vlan)
  local seg = tcp(sport, dport, seq, ack, flags, data)
  seg = l4_csum(pseudo4(src, dst, 6, #seg), seg, 17)
  emit(eth(dm, sm, 0x0800, vlan) .. ipv4(src, dst, 6, seg))
end

-- A TCP connection: handshake, request, a few response segments, FINs.
local function connection(c, cm, port, nresp, vlan)
  local sport = 40000 + math.random(0, 20000)
  local cs, ss = math.random(1, 1 << 30), math.random(1, 1 << 30)
  local sm = mac(0x01)
  tcp4(c, server, cm, sm, sport, port, cs, 0, SYN, nil, vlan)
  tcp4(server, c, sm, cm, port, sport, ss, cs + 1, SYN | ACK, nil, vlan)
  tcp4(c, server, cm, sm, sport, port, cs + 1, ss + 1, ACK, nil, vlan)
  local req = "GET /index.html HTTP/1.1\r\nHost: bench.example\r\n\r\n"
  tcp4(c, server, cm, sm, sport, port, cs + 1, ss + 1, PSH | ACK, req, vlan)
  local seq = ss + 1
  for i = 1, nresp do
    local body = ("x"):rep(i == nresp and 300 or 1400)
    tcp4(server, c, sm, cm, port, sport, seq, cs + 1 + #req, ACK, body, vlan)
    seq = seq + #body
  end
  tcp4(c, server, cm, sm, sport, port, cs + 1 + #req, seq, ACK, nil, vlan)
  tcp4(c, server, cm, sm, sport, port, cs + 1 + #req, seq, FIN | ACK, nil, vlan)
  tcp4(server, c, sm, cm, port, sport, seq, cs + 2 + #req, FIN | ACK, nil, vlan)
  tcp4(c, server, cm, sm, sport, port, cs + 2 + #req, seq + 1, ACK, nil, vlan)
end

local function dns_query(c, cm, name)
  local id = math.random(0, 0xffff)
  local qname = name:gsub("([^.]+)%.?", function(l) return string.char(#l) .. l end) .. "\0"
  local q = string.pack(">HHHHHH", id, 0x0100, 1, 0, 0, 0) .. qname .. string.pack(">HH", 1, 1)
  local sport = 50000 + math.random(0, 10000)
  local seg = udp(sport, 53, q)
  seg = l4_csum(pseudo4(c, dns, 17, #seg), seg, 7)
  emit(eth(mac(0x35), cm, 0x0800) .. ipv4(c, dns, 17, seg))
  local a = string.pack(">HHHHHH", id, 0x8180, 1, 1, 0, 0) .. qname .. string.pack(">HH", 1, 1)
            .. string.pack(">HHHI4H", 0xc00c, 1, 1, 300, 4) .. v4 "198.18.1.1"
  seg = udp(53, sport, a)
  seg = l4_csum(pseudo4(dns, c, 17, #seg), seg, 7)
  emit(eth(cm, mac(0x35), 0x0800) .. ipv4(dns, c, 17, seg))
end

local function ping(c, cm, seq)
  local id = 0x1234
  local data = ("pktlua"):rep(8)
  local req = string.pack(">BBHHH", 8, 0, 0, id, seq) .. data
  req = req:sub(1, 2) .. string.pack(">H", csum(req)) .. req:sub(5)
  emit(eth(mac(0x01), cm, 0x0800) .. ipv4(c, server, 1, req))
  local rep = string.pack(">BBHHH", 0, 0, 0, id, seq) .. data
  rep = rep:sub(1, 2) .. string.pack(">H", csum(rep)) .. rep:sub(5)
  emit(eth(cm, mac(0x01), 0x0800) .. ipv4(server, c, 1, rep))
end

local function arp(c, cm)
  local bcast = ("\xff"):rep(6)
  emit(eth(bcast, cm, 0x0806) .. string.pack(">HHBBH", 1, 0x0800, 6, 4, 1) .. cm .. c
       .. ("\0"):rep(6) .. server .. ("\0"):rep(18))
  emit(eth(cm, mac(0x01), 0x0806) .. string.pack(">HHBBH", 1, 0x0800, 6, 4, 2) .. mac(0x01)
       .. server .. cm .. c .. ("\0"):rep(18))
end

local v6c, v6s = assert(net.parse_ip "2001:2::10"), assert(net.parse_ip "2001:2::1")
local function ping6(seq)
  local msg = string.pack(">BBHHH", 128, 0, 0, 0x99, seq) .. ("six"):rep(10)
  msg = l4_csum(pseudo6(v6c, v6s, 58, #msg), msg, 3)
  emit(eth(mac(0x01), mac(0x10), 0x86dd) .. ipv6(v6c, v6s, 58, msg))
  local rep = string.pack(">BBHHH", 129, 0, 0, 0x99, seq) .. ("six"):rep(10)
  rep = l4_csum(pseudo6(v6s, v6c, 58, #rep), rep, 3)
  emit(eth(mac(0x10), mac(0x01), 0x86dd) .. ipv6(v6s, v6c, 58, rep))
end
local function tcp6_syn()
  local seg = tcp(41000 + math.random(0, 999), 443, math.random(1, 1 << 30), 0, SYN)
  seg = l4_csum(pseudo6(v6c, v6s, 6, #seg), seg, 17)
  emit(eth(mac(0x01), mac(0x10), 0x86dd) .. ipv6(v6c, v6s, 6, seg))
end

-- A UDP datagram of 2,000 bytes in two IPv4 fragments.
local function fragments(c, cm)
  local data = ("f"):rep(1992)
  local seg = udp(33333, 9999, data)
  seg = l4_csum(pseudo4(c, server, 17, #seg), seg, 7)
  ip_id = ip_id + 1
  local id = ip_id
  emit(eth(mac(0x01), cm, 0x0800) .. ipv4(c, server, 17, seg:sub(1, 1480), { id = id, mf = true }))
  emit(eth(mac(0x01), cm, 0x0800) .. ipv4(c, server, 17, seg:sub(1481), { id = id, offset = 1480 }))
end

for round = 1, 6 do
  for i, h in ipairs(hosts) do
    local hm = mac(0x10 + i)
    if round == 1 then arp(h, hm) end
    dns_query(h, hm, ({ "bench.example", "www.bench.example", "api.bench.example" })[(i + round) % 3 + 1])
    connection(h, hm, (i + round) % 2 == 0 and 80 or 443, 2 + (i * round) % 4)
    if i == round % 4 + 1 then ping(h, hm, round) end
  end
  ping6(round)
  tcp6_syn()
  connection(hosts[1], mac(0x11), 8080, 2, 100)    -- VLAN 100
  if round % 2 == 0 then fragments(hosts[2], mac(0x12)) end
end
print(("%s: %d packets"):format(out, w:count()))
