-- Objects of a closed Program: every Prog, Map, Link and buffer callback
-- raises "... is closed" (or prints as closed) and never reads the freed
-- libbpf object (that was a SIGSEGV: the crasher of issue 15).
local t = require "testlib"
t.require_root()
local bpf = require "pktlua"

local function load()
  return bpf.load [[
#include <pktlua/bpf.h>
#include <pktlua/events.h>
PKTLUA_HASH(h, __u32, __u32, 4);
PKTLUA_RINGBUF(rb, 4096);
SEC("xdp") int plclosed_x(struct xdp_md *ctx) { return XDP_PASS; }
SEC("tracepoint/syscalls/sys_enter_getppid") int plclosed_tp(void *ctx) { return 0; }
]]
end

local pkt = ("\0"):rep(64)

t.run {
  prog_of_closed_program = function()
    local p = load()
    local prog = p.progs.plclosed_x
    p:close()
    for _, k in ipairs { "name", "section", "type", "fd", "run", "attach" } do
      t.checkerr("program 'plclosed_x': its Program is closed", function() return prog[k] end)
    end
    t.eq(tostring(prog), "pktlua.Prog 'plclosed_x' (closed)", "tostring")
    -- Methods taken before the close, called after.
    local p2 = load()
    local prog2 = p2.progs.plclosed_x
    local run, attach = prog2.run, prog2.attach
    p2:close()
    t.checkerr("its Program is closed", run, prog2, pkt)
    t.checkerr("its Program is closed", attach, prog2, { iface = "lo" })
    t.checkerr("its Program is closed", require("pktlua.pcap").replay, prog2, "x.pcap")
  end,

  map_of_closed_program = function()
    local p = load()
    local h, rb = p.maps.h, p.maps.rb
    h[1] = 2
    local it = pairs(h)
    p:close()
    t.checkerr("map 'h': its Program is closed", function() return h[1] end)
    t.checkerr("map 'h': its Program is closed", function() h[1] = 3 end)
    t.checkerr("map 'h': its Program is closed", function() return #h end)
    t.checkerr("map 'h': its Program is closed", function() for _ in pairs(h) do end end)
    t.checkerr("its Program was closed during pairs()", it, h, nil)
    t.checkerr("map 'rb': its Program is closed", bpf.on, rb, function() end)
    t.checkerr("map 'rb': its Program is closed", bpf.lost, rb)
    assert(tostring(h):find("pktlua.Map 'h'", 1, true), tostring(h))
  end,

  link_of_closed_program = function()
    local p = load()
    local link = p.progs.plclosed_tp:attach()
    p:close()
    t.eq(tostring(link), "pktlua.Link (detached)", "tostring")
    link:detach()            -- twice is fine: already detached by the close
    link:detach()
    t.checkerr("program is closed", p.attach, p)
    t.eq(tostring(p):match("%(closed%)$"), "(closed)", "Program tostring")
    p:close()                -- twice is fine
  end,

  callback_of_closed_program = function()
    local p = load()
    local calls = 0
    bpf.on(p.maps.rb, function() calls = calls + 1 end)
    p:close()
    t.eq(bpf.run(0.05), "timeout", "run after the close")
    t.eq(calls, 0, "no callback of a closed Program")
  end,
}
