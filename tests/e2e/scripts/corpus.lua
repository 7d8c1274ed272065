-- corpus.lua — BPF C in the shapes of the corpus the issue tried
-- (tests/e2e/corpus/README.md), each loaded with bpf.load{file = ...} as it
-- is, and checked against what this script sends and does: verdicts of
-- BPF_PROG_TEST_RUN and the program's own counters, this process's openat
-- calls and forks. Prints one "corpus: ..." line per finding (corpus.test
-- checks them). Run from the source tree.
local bpf = require "pktlua"
local dir = "tests/e2e/corpus/"

local function say(fmt, ...) print("corpus: " .. fmt:format(...)) end

-- Frames ----------------------------------------------------------------------
local MAC = "\2\0\0\0\0\1\2\0\0\0\0\2"
local function udp(dport, payload)
  return string.pack(">HHHH", 40000, dport, 8 + #payload, 0) .. payload
end
local function ipv4(proto, l4, ttl)
  return string.pack(">BBHHHBBHI4I4", 0x45, 0, 20 + #l4, 0, 0, ttl or 64, proto, 0,
    0xc6120001, 0xc6120002) .. l4
end
local function ipv6(nexthdr, l4)
  return string.pack(">I4HBB", 0x60000000, #l4, nexthdr, 64) ..
    ("\32\1\13\184" .. ("\0"):rep(11) .. "\1") .. ("\32\1\13\184" .. ("\0"):rep(11) .. "\2") .. l4
end
local function eth(ethertype, l3) return MAC .. string.pack(">H", ethertype) .. l3 end
local function vlan(ethertype, l3) return MAC .. string.pack(">HHH", 0x8100, 5, ethertype) .. l3 end
local arp = eth(0x0806, ("\0"):rep(28))

-- 1. xdp-tutorial: UAPI headers, bpf_endian.h, ../common/*.h ------------------
do
  local p <close> = bpf.load { file = dir .. "xdp-tutorial/packet-parsing/xdp_prog_kern.c" }
  local XDP_ABORTED, XDP_DROP, XDP_PASS = 0, 1, 2
  local frames = {
    { eth(0x0800, ipv4(17, udp(9, "data"))), XDP_DROP },
    { eth(0x0800, ipv4(17, udp(53, "query"))), XDP_PASS },
    { vlan(0x0800, ipv4(17, udp(9, "tagged"))), XDP_DROP },
    { eth(0x86dd, ipv6(17, udp(9, "six"))), XDP_DROP },
    { eth(0x0800, ipv4(6, ("\0"):rep(20))), XDP_PASS },
    { arp, XDP_PASS },
    { eth(0x0800, ipv4(17, "")), XDP_ABORTED },   -- UDP header cut off
  }
  local wrong, drops, dropped_bytes = 0, 0, 0
  for i, f in ipairs(frames) do
    local rv = p.progs.xdp_parser_func:run(f[1])
    if rv ~= f[2] then
      wrong = wrong + 1
      say("xdp-tutorial: frame %d: verdict %d, want %d", i, rv, f[2])
    end
    if f[2] == XDP_DROP then drops, dropped_bytes = drops + 1, dropped_bytes + #f[1] end
  end
  local pkts, bytes = 0, 0
  for _, rec in ipairs(p.maps.xdp_stats_map[XDP_DROP]) do
    pkts, bytes = pkts + rec.rx_packets, bytes + rec.rx_bytes
  end
  say("xdp-tutorial: %d of %d verdicts right; XDP_DROP stats %d packets %d bytes (sent %d, %d)",
    #frames - wrong, #frames, pkts, bytes, drops, dropped_bytes)
end

-- 2. libbpf-tools opensnoop: vmlinux.h, const volatile knobs, maps.bpf.h ------
do
  local N_OK, N_FAIL, ENOENT = 4, 3, 2
  local marker = os.tmpname()
  local missing = marker .. ".none"
  local p <close> = bpf.load { file = dir .. "libbpf-tools/opensnoop.bpf.c",
    globals = { targ_tgid = bpf.pid(), targ_failed = true } }
  local ok_events, fail_events, other = 0, 0, 0
  bpf.on(p.maps.events, function(e)
    if e.pid ~= bpf.pid() then other = other + 1
    elseif e.fname == missing and e.ret == -ENOENT then fail_events = fail_events + 1
    elseif e.fname == marker then ok_events = ok_events + 1 end
  end, "struct event")
  p:attach()
  for _ = 1, N_OK do assert(io.open(marker)):close() end
  for _ = 1, N_FAIL do assert(not io.open(missing)) end
  bpf.run(0.2)
  os.remove(marker)
  say("opensnoop: failed opens reported %d of %d, successful ones %d (targ_failed), other processes %d (targ_tgid); ENOENT counted %d",
    fail_events, N_FAIL, ok_events, other, p.maps.errors[ENOENT] or 0)
end

-- 3. BPF_PROG on tp_btf/, BPF_CORE_READ: this process's forks ---------------
do
  local N = 3
  local p <close> = bpf.load { file = dir .. "libbpf-tools/forks.bpf.c",
    globals = { targ_tgid = bpf.pid() } }
  p:attach()
  for _ = 1, N do os.execute("true") end
  say("forks: %d of %d counted", p.globals.forks, N)
end

-- 4. vmlinux.h with <linux/if_ether.h>, <linux/pkt_cls.h>: a tc classifier --
do
  local p <close> = bpf.load { file = dir .. "libbpf-bootstrap/tc.bpf.c" }
  local ok_v = p.progs.tc_ingress:run(eth(0x0800, ipv4(17, udp(53, "x"), 64)))
  local shot = p.progs.tc_ingress:run(eth(0x0800, ipv4(17, udp(53, "x"), 1)))
  local arp_v = p.progs.tc_ingress:run(arp)
  say("tc: ttl64=%d ttl1=%d arp=%d ipv4_packets=%d", ok_v, shot, arp_v, p.globals.ipv4_packets)
end

-- 5. cpufreq: verifies as -mcpu=v2 only --------------------------------------
do
  local p <close> = bpf.load { file = dir .. "libbpf-tools/cpufreq.bpf.c" }
  say("cpufreq: loaded; filter_memcg=%s", tostring(p.globals.filter_memcg))
  local ok, err = pcall(bpf.load, { file = dir .. "libbpf-tools/cpufreq.bpf.c",
    cflags = { "-mcpu=v3" } })
  say("cpufreq -mcpu=v3: %s", ok and "loaded" or tostring(err))
end

-- 6. BPF_KPROBE/BPF_KRETPROBE: loaded; attaching is for a kernel with kprobes --
do
  local p <close> = bpf.load { file = dir .. "libbpf-bootstrap/kprobe.bpf.c" }
  local names = {}
  for name in pairs(p.progs) do names[#names + 1] = name end
  table.sort(names)
  say("kprobe: loaded %s (NOTE: load only; this kernel cannot attach kprobes)",
    table.concat(names, ","))
end
say("done")
