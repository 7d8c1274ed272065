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

return M
