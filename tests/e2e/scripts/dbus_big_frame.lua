-- dbus_big_frame.lua — write a capture for filter_cli_too_big.test:
-- a D-Bus capture (link type 231, snap length 128 MiB) with one frame above
-- PL_FILTER_BUF_MAX between two small ones, written by hand: pcap.writer
-- stops at 262144.
local f = assert(io.open(arg[1], "wb"))
f:write(string.pack("<I4I2I2i4I4I4I4", 0xa1b2c3d4, 2, 4, 0, 0, 134217728, 231))
for i, n in ipairs { 100, 300000, 200 } do
  f:write(string.pack("<I4I4I4I4", i, 0, n, n), ("x"):rep(n))
end
f:close()
