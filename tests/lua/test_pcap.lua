-- pktlua.pcap: reading, writing, replay through XDP, tc and socket programs.
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"
local pcap = require "pktlua.pcap"

local dir = os.getenv("TMPDIR") or "/tmp"
local function tmp(name)
  return ("%s/pktlua-test-pcap-%d-%s"):format(dir, bpf.pid(), name)
end
local made = {}
local function file(name) local f = tmp(name); made[#made + 1] = f; return f end

local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1"); local out = p:read("a"); p:close(); return out
end
local have_tcpdump = sh("command -v tcpdump") ~= ""

-- ---- packets built by hand (addresses from 198.18.0.0/15) ------------------
local ETH = "\x02\0\0\0\0\1\x02\0\0\0\0\2"
local function ipv4(proto, payload)
  return string.pack(">BBHHHBBH", 0x45, 0, 20 + #payload, 1, 0, 64, proto, 0) ..
         string.char(198, 18, 0, 1, 198, 18, 0, 2) .. payload
end
local function udp_ip(dport, extra)
  local body = extra or ""
  return ipv4(17, string.pack(">HHHH", 40000, dport, 8 + #body, 0) .. body)
end
local function udp(dport, extra) return ETH .. "\x08\0" .. udp_ip(dport, extra) end
local function tcp(dport)
  return ETH .. "\x08\0" .. ipv4(6, string.pack(">HHIIBBHHH", 40000, dport, 1, 0, 0x50, 0x02, 1024, 0, 0))
end
local function arp()
  return ETH .. "\x08\x06" .. string.pack(">HHBBH", 1, 0x0800, 6, 4, 1) ..
         "\x02\0\0\0\0\2" .. string.char(198, 18, 0, 2) .. "\0\0\0\0\0\0" .. string.char(198, 18, 0, 1)
end

-- The known capture: 100 DNS, 50 TCP, 20 ARP, 5 short frames, 3 jumbo (5000 bytes).
local T0 = 1700000000
local function known_capture(name)
  local f = file(name)
  local w <close> = pcap.writer(f, { nanosecond = true })
  local n = 0
  local function put(bytes) n = n + 1; w:write({ data = bytes, ts_ns = T0 * 1000000000 + n * 1000 }) end
  for _ = 1, 100 do put(udp(53)) end
  for _ = 1, 50 do put(tcp(80)) end
  for _ = 1, 20 do put(arp()) end
  for _ = 1, 5 do put("\1\2\3\4\5\6\7\8\9\10") end
  for _ = 1, 3 do put(udp(9, ("x"):rep(5000 - 42))) end
  w:close()
  return f
end

local XDP_SRC = [[
#include <pktlua/xdp.h>
PKTLUA_HASH(by_l3, __u16, __u64, 16);
PKTLUA_HASH(bytes_by_l4, __u8, __u64, 16);

static __always_inline int judge(struct pkt *pkt)
{
	__u64 one = 1;
	PKTLUA_ADD(by_l3, &pkt->l3proto, one);
	PKTLUA_ADD(bytes_by_l4, &pkt->l4proto, pkt->len);
	return pkt->l4proto == IPPROTO_UDP && pkt->dport == 53;
}

SEC("xdp") int xdp_dns(struct xdp_md *ctx)
{
	struct pkt pkt;
	if (pkt_parse(ctx, &pkt) < 0) return XDP_ABORTED;
	return judge(&pkt) ? XDP_DROP : XDP_PASS;
}

SEC("xdp.frags") int xdp_frags(struct xdp_md *ctx)
{
	return XDP_PASS;
}
]]

local TC_SRC = [[
#include <pktlua/tc.h>
PKTLUA_HASH(by_l3, __u16, __u64, 16);
SEC("tc") int tc_dns(struct __sk_buff *skb)
{
	struct pkt pkt;
	__u64 one = 1;
	if (pkt_parse(skb, &pkt) < 0) return TC_ACT_UNSPEC;
	PKTLUA_ADD(by_l3, &pkt.l3proto, one);
	return pkt.l4proto == IPPROTO_UDP && pkt.dport == 53 ? TC_ACT_SHOT : TC_ACT_OK;
}
]]

-- A socket filter reads from the Ethernet header, as on a live packet socket.
local SOCK_SRC = [[
#include <pktlua/bpf.h>
PKTLUA_ARRAY(first, __u64, 1);
SEC("socket") int sock_dns(struct __sk_buff *skb)
{
	__u8 h[38];
	__u32 k = 0;
	if (bpf_skb_load_bytes(skb, 0, h, sizeof(h)) < 0) return skb->len;
	__u64 type = (__u64)h[12] << 8 | h[13];
	bpf_map_update_elem(&first, &k, &type, BPF_ANY);
	if (type == 0x0800 && h[23] == 17 && h[36] == 0 && h[37] == 53) return 0;
	return skb->len;
}
]]

local ETH_P_IP, ETH_P_ARP = 0x0800, 0x0806
local UDP_LEN, TCP_LEN, ARP_LEN = #udp(53), #tcp(80), #arp()

local function count_file(f)
  local n, bytes = 0, 0
  for pkt in pcap.read(f) do n = n + 1; bytes = bytes + #pkt.data end
  return n, bytes
end

t.run {
  write_then_read = function()
    local f = file("rw.pcap")
    local w = pcap.writer(f)
    w:write(udp(53), 1700000000.25)
    w:write(tcp(80), 1700000001, 1500)            -- cut: 54 of 1500 bytes
    w:write({ data = arp(), ts_ns = 1700000002000001000 })
    t.eq(w:count(), 3, "count")
    w:close()
    w:close()                                       -- idempotent
    t.checkerr("closed pcap writer", w.write, w, "x")
    local got = {}
    for pkt in pcap.read(f) do got[#got + 1] = pkt end
    t.eq(#got, 3, "packets read")
    t.eq(got[1].data, udp(53), "data 1")
    t.eq(got[1].ts, 1700000000.25, "ts 1")
    t.eq(got[1].ts_ns, 1700000000250000000, "ts_ns 1")
    t.eq(got[2].len, 1500, "len 2"); t.eq(got[2].caplen, TCP_LEN, "caplen 2")
    t.eq(got[3].ts_ns, 1700000002000001000, "microsecond file keeps microseconds")
    t.eq(got[3].len, ARP_LEN, "len 3")
  end,

  nanosecond_and_snaplen = function()
    local f = file("ns.pcap")
    local w <close> = pcap.writer(f, { nanosecond = true, snaplen = 40, linktype = "EN10MB" })
    w:write(udp(53, ("y"):rep(100)), nil)
    w:write({ data = udp(53), ts_ns = 1700000000123456789 })
    w:close()
    local got = {}
    for pkt in pcap.read(f) do got[#got + 1] = pkt end
    t.eq(got[1].caplen, 40, "cut to snaplen"); t.eq(got[1].len, UDP_LEN + 100, "wire length kept")
    t.eq(got[2].ts_ns, 1700000000123456789, "nanoseconds kept")
  end,

  break_closes_reader = function()
    local f = known_capture("brk.pcap")
    for pkt in pcap.read(f) do t.eq(#pkt.data, UDP_LEN, "first"); break end
  end,

  tcpdump_reads_what_writer_wrote = function()
    if not have_tcpdump then print("SKIPPED: tcpdump is not installed"); return end
    local f = known_capture("td.pcap")
    local lines = sh("tcpdump -nn -r " .. f .. " 2>/dev/null | wc -l")
    t.eq(tonumber(lines), 178, "tcpdump packet count")
    -- tcpdump copies the file: same packets, same bytes.
    local copy = file("td-copy.pcap")
    sh("tcpdump -r " .. f .. " -w " .. copy)
    local a, b = {}, {}
    for pkt in pcap.read(f) do a[#a + 1] = pkt.data .. pkt.ts_ns end
    for pkt in pcap.read(copy) do b[#b + 1] = pkt.data .. pkt.ts_ns end
    t.same(b, a, "tcpdump copy")
  end,

  read_errors = function()
    t.checkerr("/nonexistent/x.pcap: ", pcap.read, "/nonexistent/x.pcap")
    local junk = file("junk.pcap")
    local h = io.open(junk, "wb"); h:write(("junk"):rep(20)); h:close()
    t.checkerr(junk .. ": unknown file format", pcap.read, junk)
    -- Cut the known capture inside packet 3.
    local f = known_capture("cut-src.pcap")
    local cut = file("cut.pcap")
    local all = io.open(f, "rb"):read("a")
    h = io.open(cut, "wb"); h:write(all:sub(1, 24 + 2 * (16 + UDP_LEN) + 20)); h:close()
    local n = 0
    t.checkerr(cut .. ": packet 3: truncated dump file", function()
      for _ in pcap.read(cut) do n = n + 1 end
    end)
    t.eq(n, 2, "packets before the cut")
    t.checkerr("/nonexistent/dir/out.pcap", pcap.writer, "/nonexistent/dir/out.pcap")
    t.checkerr("unknown link type 'NOPE'", pcap.writer, file("x.pcap"), { linktype = "NOPE" })
  end,

  replay_xdp = function()
    local f = known_capture("known.pcap")
    local p <close> = bpf.load(XDP_SRC)
    local out, drops = file("kept.pcap"), file("dropped.pcap")
    local r = pcap.replay(p.progs.xdp_dns, f, { out = out, warnings = 3 })
    t.same(r, { packets = 178, errors = 8, short = 5, too_big = 3,
                XDP_DROP = 100, XDP_PASS = 70, written = 70 }, "verdicts")
    t.same(p.maps.by_l3[ETH_P_IP], 150, "IPv4 packets")
    t.same(p.maps.by_l3[ETH_P_ARP], 20, "ARP packets")
    t.eq(#p.maps.by_l3, 2, "l3 entries")
    t.eq(p.maps.bytes_by_l4[17], 100 * UDP_LEN, "UDP bytes")
    t.eq(p.maps.bytes_by_l4[6], 50 * TCP_LEN, "TCP bytes")
    t.eq(p.maps.bytes_by_l4[0], 20 * ARP_LEN, "ARP bytes")
    local n, bytes = count_file(out)
    t.eq(n, 70, "kept written"); t.eq(bytes, 50 * TCP_LEN + 20 * ARP_LEN, "kept bytes")
    local first = pcap.read(out)()
    t.eq(first.ts_ns, T0 * 1000000000 + 101 * 1000, "original timestamp")
    r = pcap.replay(p.progs.xdp_dns, f, { out = drops, keep = "drop", warnings = 1 })
    t.eq(r.written, 100, "dropped written")
    t.eq(count_file(drops), 100, "dropped file")
  end,

  replay_xdp_frags = function()
    local f = known_capture("frags.pcap")
    local p <close> = bpf.load(XDP_SRC)
    local r = pcap.replay(p.progs.xdp_frags, f, { warnings = 1 })
    t.same(r, { packets = 178, errors = 5, short = 5, XDP_PASS = 173 }, "frags verdicts")
  end,

  replay_tc = function()
    local f = known_capture("tc.pcap")
    local p <close> = bpf.load(TC_SRC)
    local r = pcap.replay(p.progs.tc_dns, f, { warnings = 1 })
    t.same(r, { packets = 178, errors = 8, short = 5, too_big = 3,
                TC_ACT_SHOT = 100, TC_ACT_OK = 70 }, "tc verdicts")
    t.eq(p.maps.by_l3[ETH_P_IP], 150, "tc IPv4")
  end,

  replay_socket = function()
    local f = known_capture("sock.pcap")
    local p <close> = bpf.load(SOCK_SRC)
    local r = pcap.replay(p.progs.sock_dns, f, { warnings = 1 })
    t.same(r, { packets = 178, errors = 8, short = 5, too_big = 3,
                kept = 70, dropped = 100 }, "socket verdicts")
    t.eq(p.maps.first[0], ETH_P_ARP, "the filter saw the Ethernet header")
  end,

  replay_raw_and_cooked = function()
    local p <close> = bpf.load(XDP_SRC)
    local raw = file("raw.pcap")
    local w = pcap.writer(raw, { linktype = "RAW" })
    for _ = 1, 7 do w:write(udp_ip(53)) end
    w:write(udp_ip(54))
    w:write("\0\1\2\3\4\5\6\7\8\9\10\11\12\13\14\15")    -- not IP
    w:close()
    t.same(pcap.replay(p.progs.xdp_dns, raw, { warnings = 1 }),
           { packets = 9, errors = 1, bad_link = 1, XDP_DROP = 7, XDP_PASS = 1 }, "raw")
    local sll = file("sll.pcap")
    w = pcap.writer(sll, { linktype = "LINUX_SLL" })
    local hdr = string.pack(">HHH", 0, 1, 6) .. "\2\0\0\0\0\9\0\0" .. "\8\0"
    for _ = 1, 4 do w:write(hdr .. udp_ip(53)) end
    w:close()
    t.same(pcap.replay(p.progs.xdp_dns, sll), { packets = 4, errors = 0, XDP_DROP = 4 }, "sll")
    local sll2 = file("sll2.pcap")
    w = pcap.writer(sll2, { linktype = "LINUX_SLL2" })
    hdr = "\8\0\0\0" .. string.pack(">IHBB", 1, 1, 0, 6) .. "\2\0\0\0\0\9\0\0"
    for _ = 1, 3 do w:write(hdr .. udp_ip(80)) end
    w:close()
    t.same(pcap.replay(p.progs.xdp_dns, sll2), { packets = 3, errors = 0, XDP_PASS = 3 }, "sll2")
  end,

  replay_errors = function()
    local p <close> = bpf.load(XDP_SRC)
    local wifi = file("wifi.pcap")
    local w <close> = pcap.writer(wifi, { linktype = 105 })
    w:write(("\0"):rep(30))
    w:close()
    t.checkerr("link type IEEE802_11 is not supported", pcap.replay, p.progs.xdp_dns, wifi)
    t.checkerr("/nonexistent.pcap", pcap.replay, p.progs.xdp_dns, "/nonexistent.pcap")
    t.checkerr("keep must be \"pass\" or \"drop\"", pcap.replay, p.progs.xdp_dns, wifi, { keep = "all" })
    t.checkerr("pktlua.Prog expected", pcap.replay, "prog", wifi)
  end,

  zz_cleanup = function()
    for _, f in ipairs(made) do os.remove(f) end
  end,
}
