-- pktlua.capture — write packets that a BPF program captured with
-- pktlua_capture() (runtime/pktlua/capture.h) into a pcap file.
--
--   local capture = require "pktlua.capture"
--   local h = capture.to_pcap(p, p.maps.capture, "out.pcap" [, opts])
--   bpf.run()
--   print(h:count(), h:lost())             -- packets written, records lost
--
-- FILE nil: no file; the packets go to on_packet only (a tool printing them).
-- opts: snaplen = N      the file header's snap length (default 262144)
--       limit = N        call bpf.stop() once N packets are written
--       on_packet = fn   called as fn(bytes, ts_ns, len, rec) for each packet
--       nanosecond = true  a nanosecond-resolution file (default: microseconds)
--       records = "tcpdump"  the ring carries <pktlua/tcpdump.h>'s records
--                        (default: <pktlua/capture.h>'s)
--
-- The ring buffer's records are struct pktlua_capture_rec (16-byte header),
-- or with records = "tcpdump" struct pktlua_tcpdump_rec (24 bytes: time,
-- length, captured length, ifindex, direction) then the captured bytes;
-- read as bytes, native byte order. Their time is CLOCK_MONOTONIC, as
-- bpf_ktime_get_ns() gives it; to_pcap measures CLOCK_REALTIME −
-- CLOCK_MONOTONIC once, at the call, and writes wall-clock times. The file
-- is closed at exit (bpf.at_exit) or by h:close().
local bpf = require "pktlua"
local pcap = require "pktlua.pcap"

local M = {}

local HDR = "=I8I4I4"          -- ts_ns, len, caplen (struct pktlua_capture_rec)
local HDR_LEN = 16

-- CLOCK_REALTIME − CLOCK_MONOTONIC in ns: added to bpf_ktime_get_ns()
-- stamps, it gives wall-clock times.
function M.clock_offset()
  local m1 = bpf.clock("monotonic")
  local real = bpf.clock("realtime")
  local m2 = bpf.clock("monotonic")
  return real - (m1 + (m2 - m1) // 2)
end

-- Decode one record (a byte string) into data, ts_ns (monotonic), len.
function M.decode(rec)
  local ts, len, caplen = string.unpack(HDR, rec)
  return rec:sub(HDR_LEN + 1, HDR_LEN + caplen), ts, len
end

local TCPDUMP_HDR = "=I8I4I4I4I4"   -- ts_ns, len, caplen, ifindex, flags
local TCPDUMP_HDR_LEN = 24
M.IN, M.OUT = 1, 2                  -- pktlua_tcpdump_rec.flags

-- Decode one <pktlua/tcpdump.h> record into data, ts_ns (monotonic), len,
-- and a table {ifindex =, dir = M.IN | M.OUT}.
function M.decode_tcpdump(rec)
  local ts, len, caplen, ifindex, flags = string.unpack(TCPDUMP_HDR, rec)
  return rec:sub(TCPDUMP_HDR_LEN + 1, TCPDUMP_HDR_LEN + caplen), ts, len,
    { ifindex = ifindex, dir = flags }
end

function M.to_pcap(p, ringbuf, file, opts)
  opts = opts or {}
  if type(ringbuf) == "string" then
    ringbuf = assert(p and p.maps[ringbuf], "capture.to_pcap: no map '" .. ringbuf .. "'")
  end
  local w = file and pcap.writer(file, { snaplen = opts.snaplen, nanosecond = opts.nanosecond })
  local offset = M.clock_offset()
  local h = { writer = w, file = file, n = 0 }
  local closed = false
  local limit, on_packet = opts.limit, opts.on_packet
  local decode = M.decode
  if opts.records == "tcpdump" then
    decode = M.decode_tcpdump
  elseif opts.records ~= nil then
    error("capture.to_pcap: records = \"tcpdump\" or nil, got " .. tostring(opts.records), 2)
  end

  bpf.on(ringbuf, function(rec)
    if closed or (limit and h.n >= limit) then return end
    local data, ts, len, more = decode(rec)
    if w then w:write { data = data, ts_ns = ts + offset, len = len } end
    h.n = h.n + 1
    if on_packet then on_packet(data, ts + offset, len, more) end
    if limit and h.n >= limit then bpf.stop() end
  end)

  function h.count() return h.n end
  function h.lost() return bpf.lost(ringbuf) end
  function h.close()
    if not closed then closed = true; if w then w:close() end end
  end
  bpf.at_exit(h.close)
  return h
end

return M
