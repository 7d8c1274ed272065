-- pktlua.net — addresses, protocol and port names for packet scripts
--
--   net.ip(v)        "198.18.0.1" / "2001:db8::1" from what a map gives back:
--                    a union pkt_addr table ({v4=, v6=}), a __be32 integer,
--                    a 4- or 16-byte string, or a sequence of bytes
--   net.ip4(v), net.ip6(v), net.mac(v)       the same, one family each
--   net.parse_ip(s)  → 4- or 16-byte string (network order), or nil, why
--   net.parse_mac(s) → 6-byte string, or nil, why
--   net.proto(n)     "tcp", "udp", "icmp", ... (or the number as a string)
--   net.ethertype(n) "ipv4", "ipv6", "arp", "vlan", ...
--   net.port(n [, proto])  well-known service name, or nil
--   net.decode(bytes) → a table shaped and filled exactly as <pktlua/parse.h>
--                    fills struct pkt (as a map gives it back), or nil, why
--                    for a frame shorter than an Ethernet header
--   net.describe(p)  one tcpdump-like line for a decoded packet (or bytes)
local M = {}

local char, byte, fmt = string.char, string.byte, string.format

-- Bytes of an address from the shapes BTF decoding produces.
local function bytes_of(v, n, what)
  local t = type(v)
  if t == "string" then
    if #v ~= n then error(fmt("net.%s: expected %d bytes, got %d", what, n, #v), 3) end
    return v
  elseif t == "table" then
    if #v ~= n then error(fmt("net.%s: expected %d values, got %d", what, n, #v), 3) end
    return char(table.unpack(v))
  elseif t == "number" and n == 4 then
    -- A __be32 read as a host-order (little-endian) integer: the wire
    -- bytes are its low byte first.
    return string.pack("<I4", v & 0xffffffff)
  end
  error(fmt("net.%s: cannot read an address from a %s", what, t), 3)
end

function M.ip4(v)
  return fmt("%d.%d.%d.%d", byte(bytes_of(v, 4, "ip4"), 1, 4))
end

function M.ip6(v)
  local b = bytes_of(v, 16, "ip6")
  local w = { string.unpack(">I2I2I2I2I2I2I2I2", b) }
  w[9] = nil
  -- IPv4-mapped ::ffff:a.b.c.d
  if b:sub(1, 12) == ("\0"):rep(10) .. "\xff\xff" then
    return "::ffff:" .. M.ip4(b:sub(13))
  end
  -- RFC 5952: the longest run (>= 2) of zero groups becomes "::".
  local best, best_len, i = nil, 1, 1
  while i <= 8 do
    if w[i] == 0 then
      local j = i
      while j + 1 <= 8 and w[j + 1] == 0 do j = j + 1 end
      if j - i + 1 > best_len then best, best_len = i, j - i + 1 end
      i = j + 1
    else
      i = i + 1
    end
  end
  local parts = {}
  for k = 1, 8 do parts[k] = fmt("%x", w[k]) end
  if not best then return table.concat(parts, ":") end
  local head = table.concat(parts, ":", 1, best - 1)
  local tail = table.concat(parts, ":", best + best_len, 8)
  return head .. "::" .. tail
end

function M.ip(v)
  if type(v) == "table" and (v.v4 ~= nil or v.v6 ~= nil) then
    -- union pkt_addr: an IPv4 address leaves bytes 4..15 zero.
    local v6 = v.v6
    if v6 then
      local rest_zero = true
      for k = 5, 16 do if v6[k] ~= 0 then rest_zero = false break end end
      if rest_zero then return M.ip4(v.v4) end
      return M.ip6(v6)
    end
    return M.ip4(v.v4)
  end
  if (type(v) == "string" or type(v) == "table") and #v == 16 then return M.ip6(v) end
  return M.ip4(v)
end

function M.mac(v)
  return fmt("%02x:%02x:%02x:%02x:%02x:%02x", byte(bytes_of(v, 6, "mac"), 1, 6))
end

function M.parse_ip(s)
  if type(s) ~= "string" then return nil, "not a string" end
  local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if a then
    local o = { tonumber(a), tonumber(b), tonumber(c), tonumber(d) }
    for _, x in ipairs(o) do
      if x > 255 then return nil, fmt("'%s': octet %d is out of range", s, x) end
    end
    return char(table.unpack(o))
  end
  if not s:find(":", 1, true) then return nil, fmt("'%s' is not an IP address", s) end
  -- IPv6, with one optional "::" and an optional dotted IPv4 tail, which
  -- becomes two hex groups.
  local body, want = s, 8
  local v4tail = s:match(":(%d+%.%d+%.%d+%.%d+)$")
  if v4tail then
    local t, why = M.parse_ip(v4tail)
    if not t then return nil, why end
    local hi, lo = string.unpack(">I2I2", t)
    body = s:sub(1, #s - #v4tail) .. fmt("%x:%x", hi, lo)
  end
  local left, right = body:match("^(.-)::(.*)$")
  local function groups(str)
    local g = {}
    if str == "" then return g end
    for part in (str .. ":"):gmatch("([^:]*):") do
      if not part:match("^%x%x?%x?%x?$") then return nil end
      g[#g + 1] = tonumber(part, 16)
    end
    return g
  end
  local words
  if left then
    local l, r = groups(left), groups(right)
    if not l or not r or #l + #r >= want then return nil, fmt("'%s' is not an IPv6 address", s) end
    words = l
    for _ = 1, want - #l - #r do words[#words + 1] = 0 end
    for _, x in ipairs(r) do words[#words + 1] = x end
  else
    words = groups(body)
    if not words or #words ~= want then return nil, fmt("'%s' is not an IPv6 address", s) end
  end
  local out = {}
  for k, x in ipairs(words) do out[k] = string.pack(">I2", x) end
  return table.concat(out)
end

function M.parse_mac(s)
  local o = { tostring(s):match("^(%x%x)[:-](%x%x)[:-](%x%x)[:-](%x%x)[:-](%x%x)[:-](%x%x)$") }
  if #o ~= 6 then return nil, fmt("'%s' is not a MAC address", tostring(s)) end
  for k = 1, 6 do o[k] = tonumber(o[k], 16) end
  return char(table.unpack(o))
end

local protos = {
  [0] = "hopopt", [1] = "icmp", [2] = "igmp", [4] = "ipip", [6] = "tcp", [17] = "udp",
  [41] = "ipv6", [43] = "ipv6-route", [44] = "ipv6-frag", [47] = "gre", [50] = "esp",
  [51] = "ah", [58] = "icmp6", [59] = "ipv6-nonxt", [60] = "ipv6-opts", [89] = "ospf",
  [103] = "pim", [112] = "vrrp", [132] = "sctp", [136] = "udplite", [137] = "mpls-in-ip",
}
function M.proto(n)
  return protos[n] or tostring(n)
end

local ethertypes = {
  [0x0800] = "ipv4", [0x0806] = "arp", [0x86dd] = "ipv6", [0x8100] = "vlan",
  [0x88a8] = "qinq", [0x8847] = "mpls", [0x8848] = "mpls-mc", [0x88cc] = "lldp",
  [0x8863] = "pppoe-disc", [0x8864] = "pppoe", [0x8035] = "rarp",
}
function M.ethertype(n)
  return ethertypes[n] or fmt("0x%04x", n)
end

local ports = {
  [20] = "ftp-data", [21] = "ftp", [22] = "ssh", [23] = "telnet", [25] = "smtp",
  [53] = "domain", [67] = "bootps", [68] = "bootpc", [69] = "tftp", [80] = "http",
  [110] = "pop3", [123] = "ntp", [137] = "netbios-ns", [143] = "imap", [161] = "snmp",
  [179] = "bgp", [389] = "ldap", [443] = "https", [445] = "microsoft-ds", [514] = "syslog",
  [587] = "submission", [853] = "domain-s", [993] = "imaps", [995] = "pop3s",
  [1194] = "openvpn", [1812] = "radius", [3306] = "mysql", [3389] = "ms-wbt-server",
  [4789] = "vxlan", [5060] = "sip", [5353] = "mdns", [5432] = "postgresql",
  [6379] = "redis", [6443] = "sun-sr-https", [8080] = "http-alt", [8443] = "https-alt",
  [9090] = "websm", [11211] = "memcache",
}
local udp_only = { [67] = true, [68] = true, [69] = true, [123] = true, [137] = true,
                   [161] = true, [514] = true, [1812] = true, [4789] = true, [5353] = true }
local tcp_only = { [20] = true, [21] = true, [22] = true, [23] = true, [25] = true,
                   [110] = true, [143] = true, [179] = true, [389] = true, [445] = true,
                   [587] = true, [993] = true, [995] = true, [3306] = true, [3389] = true,
                   [5432] = true, [6379] = true, [6443] = true, [8080] = true, [8443] = true,
                   [9090] = true }
function M.port(n, proto)
  local name = ports[n]
  if not name then return nil end
  if (proto == "udp" or proto == 17) and tcp_only[n] then return nil end
  if (proto == "tcp" or proto == 6) and udp_only[n] then return nil end
  return name
end

-- ---- decode: a mirror of runtime/pktlua/parse.h ---------------------------
-- Every bound check below is the one parse.h makes, in the same order, so a
-- field is set here exactly when the BPF parser sets it.

local ETH_P_IP, ETH_P_ARP, ETH_P_IPV6 = 0x0800, 0x0806, 0x86dd
local ETH_P_8021Q, ETH_P_8021AD = 0x8100, 0x88a8
local FRAG_ANY, FRAG_FIRST = 0x01, 0x02
local MAX_VLANS, MAX_EXTHDRS = 2, 6

local function zeros(n) local t = {} for i = 1, n do t[i] = 0 end return t end

-- union pkt_addr as BTF decoding gives it: v4 is the __be32 read as a
-- little-endian integer, v6 the 16 bytes; both views of the same storage.
local function addr_table(b16)
  local v6 = { byte(b16, 1, 16) }
  return { v4 = string.unpack("<I4", b16), v6 = v6 }
end

local function new_pkt(len)
  return {
    len = len, l3proto = 0, l4proto = 0, ip_version = 0, nvlans = 0,
    tcp_flags = 0, ttl = 0, frag = 0, vlan = zeros(MAX_VLANS), l3off = 0,
    l4off = 0, payload_off = 0, ip_len = 0, sport = 0, dport = 0, arp_op = 0,
    smac = zeros(6), dmac = zeros(6),
    saddr = { v4 = 0, v6 = zeros(16) }, daddr = { v4 = 0, v6 = zeros(16) },
  }
end

local function be16(b, off) return string.unpack(">I2", b, off + 1) end  -- off: 0-based
local function u8(b, off) return byte(b, off + 1) end
local function set_v4(addr, b, off)
  local four = b:sub(off + 1, off + 4)
  addr.v4 = string.unpack("<I4", four)
  for i = 1, 4 do addr.v6[i] = byte(four, i) end
end

local function parse_ports(b, l4, n, p)
  local proto = p.l4proto
  if proto == 6 then
    if l4 + 20 > n then return end
    p.sport, p.dport, p.tcp_flags = be16(b, l4), be16(b, l4 + 2), u8(b, l4 + 13)
    p.payload_off = (p.l4off + ((u8(b, l4 + 12) >> 4) & 0xf) * 4) & 0xffff
  elseif proto == 17 then
    if l4 + 8 > n then return end
    p.sport, p.dport = be16(b, l4), be16(b, l4 + 2)
    p.payload_off = (p.l4off + 8) & 0xffff
  elseif proto == 1 or proto == 58 then
    if l4 + 4 > n then return end
    p.sport, p.dport = u8(b, l4), u8(b, l4 + 1)
    p.payload_off = (p.l4off + 4) & 0xffff
  end
end

local function parse_ipv4(b, ip, n, p)
  if ip + 20 > n then return nil end
  local ihl = (u8(b, ip) & 0xf) * 4
  p.ip_version = 4
  p.ip_len = be16(b, ip + 2)
  p.ttl = u8(b, ip + 8)
  p.l4proto = u8(b, ip + 9)
  set_v4(p.saddr, b, ip + 12)
  set_v4(p.daddr, b, ip + 16)
  local frag = be16(b, ip + 6)
  if frag & 0x3fff ~= 0 then                       -- IP_MF | IP_OFFSET
    p.frag = FRAG_ANY | ((frag & 0x1fff ~= 0) and 0 or FRAG_FIRST)
    if frag & 0x1fff ~= 0 then return nil end
  end
  if ihl < 20 then return nil end
  return ip + ihl
end

local function parse_ipv6(b, ip, n, p)
  if ip + 40 > n then return nil end
  p.ip_version = 6
  p.ip_len = (be16(b, ip + 4) + 40) & 0xffff
  p.ttl = u8(b, ip + 7)
  p.saddr = addr_table(b:sub(ip + 9, ip + 24))
  p.daddr = addr_table(b:sub(ip + 25, ip + 40))
  local nxt, cur = u8(b, ip + 6), ip + 40
  for _ = 1, MAX_EXTHDRS do
    local hlen
    if nxt == 0 or nxt == 43 or nxt == 60 or nxt == 135 then  -- hop, routing, dstopts, MH
      if cur + 2 > n then return nil end
      hlen = (u8(b, cur + 1) + 1) * 8
    elseif nxt == 51 then                                     -- AH
      if cur + 2 > n then return nil end
      hlen = (u8(b, cur + 1) + 2) * 4
    elseif nxt == 44 then                                     -- fragment
      if cur + 8 > n then return nil end
      hlen = 8
      local off = be16(b, cur + 2)
      p.frag = FRAG_ANY | ((off & 0xfff8 ~= 0) and 0 or FRAG_FIRST)
      if off & 0xfff8 ~= 0 then
        p.l4proto = u8(b, cur)
        return nil
      end
    else
      p.l4proto = nxt
      if nxt == 59 then return nil end                        -- IPPROTO_NONE
      return cur
    end
    nxt = u8(b, cur)
    cur = cur + hlen
  end
  -- Six headers walked: stop unless the next one is the transport header.
  p.l4proto = nxt
  if nxt == 0 or nxt == 43 or nxt == 60 or nxt == 135 or nxt == 51 or nxt == 44 or nxt == 59 then
    return nil
  end
  return cur
end

function M.decode(b)
  if type(b) ~= "string" then
    error(fmt("net.decode: expected the packet bytes (a string), got %s", type(b)), 2)
  end
  local n = #b
  local p = new_pkt(n)
  if n < 14 then return nil, fmt("%d bytes: shorter than an Ethernet header", n) end
  p.dmac = { byte(b, 1, 6) }
  p.smac = { byte(b, 7, 12) }
  local proto, cur = be16(b, 12), 14
  for i = 1, MAX_VLANS do
    if proto ~= ETH_P_8021Q and proto ~= ETH_P_8021AD then break end
    if cur + 4 > n then return p end
    p.vlan[i] = be16(b, cur) & 0x0fff
    p.nvlans = p.nvlans + 1
    proto = be16(b, cur + 2)
    cur = cur + 4
  end
  p.l3proto = proto
  p.l3off = cur
  local l4
  if proto == ETH_P_IP then
    l4 = parse_ipv4(b, cur, n, p)
  elseif proto == ETH_P_IPV6 then
    l4 = parse_ipv6(b, cur, n, p)
  elseif proto == ETH_P_ARP then
    if cur + 28 <= n then
      p.arp_op = be16(b, cur + 6)
      set_v4(p.saddr, b, cur + 14)
      set_v4(p.daddr, b, cur + 24)
    end
    return p
  else
    p.l3off = 0
    return p
  end
  if l4 then
    p.l4off = l4 & 0xffff
    parse_ports(b, l4, n, p)
  end
  return p
end

-- ---- describe: one tcpdump-like line -----------------------------------------

local tcp_flag_chars = { { 0x01, "F" }, { 0x02, "S" }, { 0x04, "R" }, { 0x08, "P" },
                         { 0x10, "." }, { 0x20, "U" }, { 0x40, "E" }, { 0x80, "W" } }

local function hostport(addr, port, ip_version)
  local a = ip_version == 6 and M.ip6(addr.v6) or M.ip4(addr.v4)
  if port then return a .. "." .. port end
  return a
end

function M.describe(p)
  if type(p) == "string" then
    local d, why = M.decode(p)
    if not d then return "truncated frame: " .. why end
    p = d
  end
  local parts = {}
  local function add(s) parts[#parts + 1] = s end
  add(M.mac(p.smac) .. " > " .. M.mac(p.dmac))
  for i = 1, math.min(p.nvlans, MAX_VLANS) do add("vlan " .. p.vlan[i]) end
  if p.l3proto == ETH_P_ARP then
    if p.arp_op == 1 then
      add(fmt("ARP, Request who-has %s tell %s", M.ip4(p.daddr.v4), M.ip4(p.saddr.v4)))
    elseif p.arp_op == 2 then
      add(fmt("ARP, Reply %s is-at %s", M.ip4(p.saddr.v4), M.mac(p.smac)))
    else
      add(fmt("ARP, op %d", p.arp_op))
    end
  elseif p.ip_version == 4 or p.ip_version == 6 then
    local v = p.ip_version
    local ports = p.l4off ~= 0 and p.payload_off ~= 0 and (p.l4proto == 6 or p.l4proto == 17)
    local head = (v == 4 and "IP " or "IP6 ")
      .. hostport(p.saddr, ports and p.sport or nil, v) .. " > "
      .. hostport(p.daddr, ports and p.dport or nil, v) .. ":"
    add(head)
    local l4 = p.l4proto
    if l4 == 6 and ports then
      local f = {}
      for _, fc in ipairs(tcp_flag_chars) do
        if p.tcp_flags & fc[1] ~= 0 then f[#f + 1] = fc[2] end
      end
      add("Flags [" .. table.concat(f) .. "]")
    elseif (l4 == 1 or l4 == 58) and p.payload_off ~= 0 then
      add(fmt("%s type %d code %d", l4 == 1 and "ICMP" or "ICMP6", p.sport, p.dport))
    else
      add(M.proto(l4))
    end
    if p.frag & FRAG_ANY ~= 0 then
      add(p.frag & FRAG_FIRST ~= 0 and "(frag first)" or "(frag)")
    end
    add(fmt("ttl %d, length %d", p.ttl, p.ip_len))
  elseif p.l3proto ~= 0 then
    add("ethertype " .. M.ethertype(p.l3proto))
  else
    add("ethertype unknown")
  end
  add(fmt("(%d bytes)", p.len))
  return table.concat(parts, " ")
end

return M
