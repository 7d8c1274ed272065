-- make-filter-captures.lua — write the captures the filter agreement test runs on
-- usage: pktlua tools/make-filter-captures.lua DIR [--bench N]   (or: lua5.4 ...)
--
-- Deterministic (its own random generator, fixed seeds): the same bytes on
-- every machine. Everything is written with string.pack, so plain lua5.4 runs
-- it too, and the odd formats (big-endian, nanosecond, pcapng) are exact.
--
-- Frames cover what tcpdump expressions test and what real captures hold:
-- ARP; IPv4 and IPv6 with TCP (many flag combinations), UDP (DNS on 53,
-- some with ID 0x1234), ICMP, ICMPv6; IPv4 options (IHL 6..15), first and
-- later fragments, TTLs around 64; IPv6 extension header chains (hop-by-hop,
-- routing, fragment, destination options, AH) for `ip6 protochain`; 802.1Q
-- VLAN (ids 100, 200, 300) and double tags (0x88a8 and 0x8100 outer);
-- 802.3 LLC and LLDP frames; tiny frames (1..14 bytes); big frames (4 KB,
-- 9 KB jumbo, 64 KB, 80 KB BIG TCP); and frames cut by a snap length.
--
-- Files (in DIR):
--   eth_le_micro.pcap    Ethernet, little-endian, microseconds
--   eth_be_nano.pcap     Ethernet, big-endian, nanoseconds
--   eth_cuts.pcap        Ethernet, each frame cut at an assorted point
--                        (inside the Ethernet, IP, TCP/UDP headers, payload)
--   eth_snap64.pcap      Ethernet, snap length 64: everything longer is cut
--   eth_2if.pcapng       pcapng, two Ethernet interfaces (µs and ns resolution)
--   sll.pcap, sll2.pcap  LINUX_SLL, LINUX_SLL2 (what tcpdump -i any writes)
--   raw.pcap             RAW (bare IPv4/IPv6)
--   null_le.pcap         NULL (BSD loopback, AF in the writer's byte order)
--   null_be.pcap         NULL, big-endian file
--   loop.pcap            LOOP (OpenBSD loopback, AF in network order)
--   ppp.pcap             PPP (IPv4, IPv6, LCP)
--   radiotap.pcap        IEEE802_11_RADIO: radiotap + 802.11 data frames
--                        (LLC/SNAP IP, QoS, 4-address), beacons, ACKs
--   juniper_vs.pcap      JUNIPER_VS: Juniper's "MGC" header + IP (libpcap's
--                        code for it loads at X + 0xfffffffe: out of range)
-- Files for the error cases (not in the agreement set):
--   mixed_linktypes.pcapng  interfaces of two link types (Ethernet, RAW)
--   cut_mid_record.pcap     eth_le_micro.pcap cut in the middle of a record
-- With --bench N: only bench.pcap, N Ethernet frames of the usual mix
-- without big frames (for bench/filter).

local dir = assert(arg[1], "usage: make-filter-captures.lua DIR [--bench N]")
local bench_n = arg[2] == "--bench" and assert(math.tointeger(tonumber(arg[3])), "--bench N")

-- ---- a deterministic generator (LCG, 64-bit state; high bits out) -----------
local state
local function seed(n) state = n * 6364136223846793005 + 1442695040888963407 end
local function rnd(a, b)              -- integer in [a, b]
  state = state * 6364136223846793005 + 1442695040888963407
  local x = (state >> 33) & 0x7fffffff
  return a + x % (b - a + 1)
end
local function pick(t) return t[rnd(1, #t)] end
local function chance(p) return rnd(0, 9999) < p * 10000 end
local function bytes(n)
  local t = {}
  for i = 1, n do t[i] = string.char(rnd(0, 255)) end
  return table.concat(t)
end

-- ---- addresses ----------------------------------------------------------------
local function a4(s)
  local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  return string.char(tonumber(a), tonumber(b), tonumber(c), tonumber(d))
end
local function a6(prefix, n)          -- 2001:2:0:PREFIX::N
  return string.pack(">I2I2I2I2I4I4", 0x2001, 2, 0, prefix, 0, n)
end
local hosts4 = { a4 "198.18.0.1", a4 "198.18.0.2", a4 "198.18.1.10", a4 "198.19.0.5",
                 a4 "198.19.7.7", a4 "10.0.0.1", a4 "10.1.2.3", a4 "255.255.255.255",
                 a4 "224.0.0.251", a4 "0.0.0.0" }
local hosts6 = { a6(0, 1), a6(0, 2), a6(1, 0x10), a6(1, 0x11), a6(2, 0x99),
                 string.pack(">I2I2I4I4I4", 0xff02, 0, 0, 0, 1) }
local function mac(n) return string.char(0x02, 0, 0, 0, 0, n) end
local macs = { mac(1), mac(2), mac(3), "\xff\xff\xff\xff\xff\xff", "\x01\x00\x5e\x00\x00\xfb" }
local ports = { 22, 53, 80, 443, 8080, 1000, 1023, 1024, 1050, 1100, 1101, 5353, 40000, 65535 }
local function port() return chance(0.7) and pick(ports) or rnd(1, 65535) end
local ttls = { 1, 2, 32, 63, 64, 65, 128, 255 }
-- TCP flag bytes: SYN, SYN+ACK, ACK, PSH+ACK, FIN+ACK, RST, RST+ACK, FIN,
-- URG+ACK, SYN+ECE+CWR, none, all six, all eight, SYN+FIN.
local tcpflags = { 0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x01, 0x30, 0xc2, 0x00, 0x3f, 0xff, 0x03 }

-- ---- layers ------------------------------------------------------------------
local function payload()
  local r = rnd(0, 99)
  if r < 60 then return bytes(rnd(0, 64)) end
  if r < 90 then return bytes(rnd(65, 600)) end
  return bytes(rnd(1000, 1460))
end

local function tcp(data)
  local off = chance(0.2) and rnd(6, 15) or 5        -- TCP options sometimes
  local opts = bytes((off - 5) * 4)
  return string.pack(">HHI4I4BBHHH", port(), port(), rnd(0, 0x7fffffff), rnd(0, 0x7fffffff),
                     off << 4, pick(tcpflags), rnd(0, 65535), 0, 0) .. opts .. (data or payload())
end
local function udp(data)
  local sp, dp = port(), port()
  data = data or payload()
  if chance(0.3) then                               -- DNS-ish, ID sometimes 0x1234
    sp, dp = chance(0.5) and 53 or sp, chance(0.5) and 53 or dp
    data = string.pack(">HH", chance(0.5) and 0x1234 or rnd(0, 65535), 0x0100) .. data
  end
  return string.pack(">HHHH", sp, dp, 8 + #data, 0) .. data
end
local function icmp() return string.pack(">BBHHH", pick { 0, 8, 3, 11 }, rnd(0, 3), 0, rnd(0, 65535), rnd(0, 9)) .. payload() end
local function icmp6() return string.pack(">BBH", pick { 128, 129, 135, 136, 1, 2 }, 0, 0) .. bytes(rnd(4, 40)) end

local function l4_for(proto)
  if proto == 6 then return tcp() elseif proto == 17 then return udp()
  elseif proto == 1 then return icmp() elseif proto == 58 then return icmp6() end
  return payload()
end

local ip_id = 0
local function ipv4(o)
  o = o or {}
  local proto = o.proto or pick { 6, 6, 6, 17, 17, 1, 47, 132 }
  local body = o.body or l4_for(proto)
  local optlen = o.optwords or (chance(0.1) and rnd(1, 10) or 0)
  local opts = optlen > 0 and ("\x01"):rep(optlen * 4 - 1) .. "\x00" or ""
  local frag = 0
  if o.frag == "first" then frag = 0x2000
  elseif o.frag == "later" then frag = (chance(0.5) and 0x2000 or 0) | rnd(1, 500)
  elseif chance(0.5) then frag = 0x4000 end         -- DF
  ip_id = (ip_id + 1) & 0xffff
  local total = 20 + #opts + #body
  if total > 0xffff then total = 0 end              -- BIG TCP IPv4: tot_len 0
  return string.pack(">BBHHHBBH", 0x40 | (5 + optlen), 0, total, ip_id, frag, o.ttl or pick(ttls),
                     proto, 0) .. (o.src or pick(hosts4)) .. (o.dst or pick(hosts4)) .. opts .. body
end

-- IPv6 with an optional chain of extension headers.
local function ext(nh, kind, frag_off)
  if kind == 44 then
    return string.pack(">BBHI4", nh, 0, (frag_off or 0) << 3 | (chance(0.5) and 1 or 0), rnd(0, 1 << 30))
  elseif kind == 51 then                            -- AH: length in 4-byte words minus 2
    return string.pack(">BBHI4I4", nh, 4, 0, rnd(1, 1000), rnd(1, 1000)) .. bytes(12)
  end
  local len = rnd(0, 2)                             -- 8-byte units beyond the first 8
  return string.pack(">BB", nh, len) .. bytes(6 + 8 * len)
end
local function ipv6(o)
  o = o or {}
  local upper = o.proto or pick { 6, 6, 17, 17, 58, 59 }
  local body = o.body or (upper == 59 and "" or l4_for(upper))
  local chain = o.chain or {}
  local nh = upper
  for i = #chain, 1, -1 do
    local kind = chain[i]
    local off = kind == 44 and (o.later and rnd(1, 100) or 0) or nil
    body = ext(nh, kind, off) .. body
    nh = kind
  end
  local plen = #body > 0xffff and 0 or #body
  return string.pack(">I4HBB", 0x60000000 | rnd(0, 0xfffff), plen, nh, o.hlim or pick(ttls)) ..
         (o.src or pick(hosts6)) .. (o.dst or pick(hosts6)) .. body
end
local chains = {
  { 0 }, { 43 }, { 44 }, { 60 }, { 51 }, { 0, 60 }, { 0, 43, 44 }, { 0, 60, 43, 44, 60 },
  { 60, 51 }, { 0, 43, 60, 51, 44 }, { 43, 43 }, { 0, 0 },
}

local function arp()
  return string.pack(">HHBBH", 1, 0x0800, 6, 4, pick { 1, 2 }) .. pick(macs) .. pick(hosts4) ..
         pick(macs) .. pick(hosts4)
end

-- A network-layer packet and its EtherType.
local function l3()
  local r = rnd(0, 99)
  if r < 38 then return 0x0800, ipv4() end
  if r < 44 then return 0x0800, ipv4 { optwords = rnd(1, 10) } end
  if r < 48 then return 0x0800, ipv4 { frag = "first" } end
  if r < 52 then return 0x0800, ipv4 { frag = "later" } end
  if r < 72 then return 0x86dd, ipv6() end
  if r < 88 then return 0x86dd, ipv6 { chain = pick(chains), later = chance(0.3) } end
  if r < 96 then return 0x0806, arp() end
  return pick { 0x88cc, 0x8863, 0x9000 }, bytes(rnd(20, 80))
end

-- An Ethernet frame: plain, VLAN, QinQ, 802.3 LLC, tiny or big.
local function ether_frame(allow_big)
  local dst, src = pick(macs), pick(macs)
  local r = rnd(0, 999)
  if r < 20 then return bytes(rnd(1, 14)) end                        -- tiny
  if allow_big and r < 32 then                                       -- big
    local n = pick { 4000, 9000, 65000, 80000 }
    local v6 = chance(0.5)
    local body = string.pack(">HHI4I4BBHHH", port(), port(), 1, 2, 0x50, 0x10, 512, 0, 0) ..
                 bytes(n - 14 - (v6 and 40 or 20) - 20)
    return dst .. src .. string.pack(">H", v6 and 0x86dd or 0x0800) ..
           (v6 and ipv6 { proto = 6, body = body } or ipv4 { proto = 6, body = body, optwords = 0 })
  end
  if r < 60 then                                                     -- 802.3 + LLC
    local llc = "\x42\x42\x03" .. bytes(rnd(20, 60))
    return dst .. src .. string.pack(">H", #llc) .. llc
  end
  local etype, pkt = l3()
  if r < 160 then                                                    -- one VLAN tag
    local tci = pick { 100, 200, 300 } | (rnd(0, 7) << 13)
    return dst .. src .. string.pack(">HHH", 0x8100, tci, etype) .. pkt
  end
  if r < 200 then                                                    -- two tags
    return dst .. src .. string.pack(">HHHHH", pick { 0x88a8, 0x8100 }, pick { 100, 200 },
                                     0x8100, pick { 100, 300 }, etype) .. pkt
  end
  return dst .. src .. string.pack(">H", etype) .. pkt
end

-- An IP packet (for RAW, NULL, LOOP, PPP, 802.11), version 4 or 6.
local function ip_packet()
  local etype, pkt
  repeat etype, pkt = l3() until etype == 0x0800 or etype == 0x86dd
  return etype, pkt
end

-- ---- file formats -----------------------------------------------------------------
local T0 = 1767225600                 -- 2026-01-01T00:00:00Z
local function pcap_file(name, o)
  local e = o.big and ">" or "<"
  local f = assert(io.open(dir .. "/" .. name, "wb"))
  f:write(string.pack(e .. "I4HHi4I4I4I4", o.nano and 0xa1b23c4d or 0xa1b2c3d4, 2, 4, 0, 0,
                      o.snaplen or 262144, o.linktype))
  local n, t_ns = 0, 0
  local w = {}
  function w.write(data, wirelen)
    n = n + 1
    t_ns = t_ns + rnd(1000, 5000000)
    local caplen = #data
    if o.snaplen and caplen > o.snaplen then caplen = o.snaplen end
    local sub = o.nano and t_ns % 1000000000 or (t_ns % 1000000000) // 1000
    f:write(string.pack(e .. "I4I4I4I4", T0 + t_ns // 1000000000, sub, caplen, wirelen or #data),
            data:sub(1, caplen))
  end
  function w.close() f:close(); return n end
  return w
end

-- pcapng, little-endian: a section header, one IDB per entry of IFACES
-- ({linktype=, snaplen=, tsresol=6|9}), EPBs naming their interface.
local function pcapng_file(name, ifaces)
  local f = assert(io.open(dir .. "/" .. name, "wb"))
  local function block(btype, body)
    body = body .. ("\0"):rep((4 - #body % 4) % 4)
    f:write(string.pack("<I4I4", btype, #body + 12), body, string.pack("<I4", #body + 12))
  end
  block(0x0A0D0D0A, string.pack("<I4HHi8", 0x1A2B3C4D, 1, 0, -1))
  for _, i in ipairs(ifaces) do
    local opts = string.pack("<HHB", 9, 1, i.tsresol or 6) .. "\0\0\0" .. string.pack("<HH", 0, 0)
    block(1, string.pack("<HHI4", i.linktype, 0, i.snaplen or 262144) .. opts)
  end
  local n, t_ns = 0, 0
  local w = {}
  function w.write(ifn, data, wirelen)
    n = n + 1
    t_ns = t_ns + rnd(1000, 5000000)
    local units = (ifaces[ifn + 1].tsresol or 6) == 9 and t_ns or t_ns // 1000
    units = units + T0 * ((ifaces[ifn + 1].tsresol or 6) == 9 and 1000000000 or 1000000)
    block(6, string.pack("<I4I4I4I4I4", ifn, units >> 32, units & 0xffffffff, #data,
                         wirelen or #data) .. data)
  end
  function w.close() f:close(); return n end
  return w
end

local function report(name, n) print(string.format("%-24s %6d packets", name, n)) end

-- ---- the captures --------------------------------------------------------------------
if bench_n then
  seed(100)
  local w = pcap_file("bench.pcap", { linktype = 1 })
  for _ = 1, bench_n do w.write(ether_frame(false)) end
  report("bench.pcap", w.close())
  return
end

local function ether_capture(name, s, count, o)
  seed(s)
  local w = pcap_file(name, o)
  for _ = 1, count do w.write(ether_frame(o.big_frames ~= false)) end
  report(name, w.close())
end
ether_capture("eth_le_micro.pcap", 1, 3000, { linktype = 1 })
ether_capture("eth_be_nano.pcap", 2, 2000, { linktype = 1, big = true, nano = true })
ether_capture("eth_snap64.pcap", 3, 1500, { linktype = 1, snaplen = 64, big_frames = false })

do  -- cut at assorted points: caplen < len, the record keeps the wire length
  seed(4)
  local w = pcap_file("eth_cuts.pcap", { linktype = 1 })
  local cuts = { 6, 13, 14, 15, 16, 18, 20, 23, 24, 26, 30, 33, 34, 35, 37, 38, 40, 42, 44,
                 46, 47, 50, 53, 54, 55, 58, 60, 62, 66, 70, 74, 80, 96 }
  for _ = 1, 2500 do
    local frame = ether_frame(true)
    local cut = pick(cuts)
    w.write(frame:sub(1, math.min(cut, #frame)), #frame)
  end
  report("eth_cuts.pcap", w.close())
end

do  -- pcapng, two Ethernet interfaces with different time resolutions
  seed(5)
  local w = pcapng_file("eth_2if.pcapng", { { linktype = 1, tsresol = 6 }, { linktype = 1, tsresol = 9 } })
  for _ = 1, 1500 do w.write(rnd(0, 1), ether_frame(true)) end
  report("eth_2if.pcapng", w.close())
end

local function cooked_l3()
  local r = rnd(0, 99)
  if r < 85 then return l3() end
  if r < 93 then                                    -- a VLAN tag kept in the payload
    local etype, pkt = l3()
    return 0x8100, string.pack(">HH", pick { 100, 200 }, etype) .. pkt
  end
  return 0x0004, "\x42\x42\x03" .. bytes(rnd(20, 60))  -- 802.2 LLC
end

do  -- LINUX_SLL: pkttype, hatype, halen, address[8], protocol
  seed(6)
  local w = pcap_file("sll.pcap", { linktype = 113 })
  for _ = 1, 1200 do
    local proto, pkt = cooked_l3()
    local hdr = string.pack(">HHH", pick { 0, 1, 2, 3, 4 }, 1, 6) .. pick(macs) .. "\0\0" ..
                string.pack(">H", proto)
    if chance(0.02) then w.write(hdr:sub(1, rnd(1, 16))) else w.write(hdr .. pkt) end
  end
  report("sll.pcap", w.close())
end

do  -- LINUX_SLL2: protocol, reserved, ifindex, hatype, pkttype, halen, address[8]
  seed(7)
  local w = pcap_file("sll2.pcap", { linktype = 276 })
  for _ = 1, 1200 do
    local proto, pkt = cooked_l3()
    local hdr = string.pack(">HHI4HBB", proto, 0, rnd(1, 4), 1, pick { 0, 4 }, 6) .. pick(macs) .. "\0\0"
    if chance(0.02) then w.write(hdr:sub(1, rnd(1, 20))) else w.write(hdr .. pkt) end
  end
  report("sll2.pcap", w.close())
end

do  -- RAW: bare IP packets (LINKTYPE_RAW 101)
  seed(8)
  local w = pcap_file("raw.pcap", { linktype = 101 })
  for _ = 1, 1200 do
    local _, pkt = ip_packet()
    if chance(0.02) then pkt = pkt:sub(1, rnd(1, 19)) end
    w.write(pkt)
  end
  report("raw.pcap", w.close())
end

-- NULL: the address family in the byte order of the machine that wrote the
-- file (which the file's own byte order says); LOOP: always network order.
local function loopback(name, s, linktype, big)
  seed(s)
  local w = pcap_file(name, { linktype = linktype, big = big })
  local e = (linktype == 108 or big) and ">" or "<"
  for _ = 1, 800 do
    local etype, pkt = ip_packet()
    local af = etype == 0x0800 and 2 or pick { 24, 28, 30 }
    if chance(0.05) then af = 7 end                  -- an unknown family
    w.write(string.pack(e .. "I4", af) .. pkt)
  end
  report(name, w.close())
end
loopback("null_le.pcap", 9, 0, false)
loopback("null_be.pcap", 10, 0, true)
loopback("loop.pcap", 11, 108, false)

do  -- PPP: address 0xff, control 0x03, protocol
  seed(12)
  local w = pcap_file("ppp.pcap", { linktype = 9 })
  for _ = 1, 800 do
    local r = rnd(0, 99)
    if r < 90 then
      local etype, pkt = ip_packet()
      w.write("\xff\x03" .. string.pack(">H", etype == 0x0800 and 0x0021 or 0x0057) .. pkt)
    else
      w.write("\xff\x03\xc0\x21" .. bytes(rnd(4, 20)))  -- LCP
    end
  end
  report("ppp.pcap", w.close())
end

do  -- JUNIPER_VS: magic "MGC", a flags byte, then the packet
  seed(21)
  local w = pcap_file("juniper_vs.pcap", { linktype = 232 })
  for _ = 1, 600 do
    local _, pkt = ip_packet()
    w.write("MGC" .. string.char(pick { 0, 1, 0x80, 0x81 }) .. (chance(0.5) and "\0\0" or "") .. pkt)
  end
  report("juniper_vs.pcap", w.close())
end

do  -- IEEE802_11_RADIO: radiotap (flags, rate, channel, signal) + 802.11
  seed(13)
  local w = pcap_file("radiotap.pcap", { linktype = 127 })
  local rt_short = string.pack("<BBHI4", 0, 0, 8, 0)
  local function rt()
    if chance(0.3) then return rt_short end
    return string.pack("<BBHI4BBHHb", 0, 0, 15, 0x2e, 0, 12, 2412, 0x00a0, -40)
  end
  for _ = 1, 1000 do
    local r = rnd(0, 99)
    if r < 80 then
      local etype, pkt = ip_packet()
      local ds = pick { 0, 1, 2, 3 }
      local qos = chance(0.4)
      local hdr = string.pack("<BBH", qos and 0x88 or 0x08, ds, 0) .. pick(macs) .. pick(macs) ..
                  pick(macs) .. string.pack("<H", rnd(0, 4095) << 4)
      if ds == 3 then hdr = hdr .. pick(macs) end
      if qos then hdr = hdr .. string.pack("<H", rnd(0, 7)) end
      w.write(rt() .. hdr .. "\xaa\xaa\x03\x00\x00\x00" .. string.pack(">H", etype) .. pkt)
    elseif r < 90 then                               -- beacon
      w.write(rt() .. "\x80\x00\x00\x00" .. macs[4] .. pick(macs) .. pick(macs) .. "\x00\x00" .. bytes(40))
    else                                             -- ACK (control, 10 bytes)
      w.write(rt() .. "\xd4\x00\x00\x00" .. pick(macs))
    end
  end
  report("radiotap.pcap", w.close())
end

do  -- error case: interfaces of two link types in one pcapng
  seed(14)
  local w = pcapng_file("mixed_linktypes.pcapng", { { linktype = 1 }, { linktype = 101 } })
  for i = 1, 40 do
    if i <= 20 then w.write(0, ether_frame(false)) else local _, p = ip_packet(); w.write(1, p) end
  end
  report("mixed_linktypes.pcapng", w.close())
end

do  -- error case: a file cut in the middle of its 101st record
  local f = assert(io.open(dir .. "/eth_le_micro.pcap", "rb"))
  local s = f:read("a")
  f:close()
  local pos = 25
  for _ = 1, 100 do pos = pos + 16 + string.unpack("<I4", s, pos + 8) end
  f = assert(io.open(dir .. "/cut_mid_record.pcap", "wb"))
  f:write(s:sub(1, pos - 1 + 16 + 5))               -- its header and 5 bytes of data
  f:close()
  report("cut_mid_record.pcap", 100)
end
