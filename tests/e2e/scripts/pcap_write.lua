-- pcap_write.lua — write N UDP frames of growing size to FILE with pcap.writer
-- usage: pktlua pcap_write.lua FILE N [LINKTYPE]
local pcap = require "pktlua.pcap"
local file, n = arg[1], tonumber(arg[2])
local w <close> = pcap.writer(file, { linktype = arg[3] })
for i = 1, n do
  local udp = string.pack(">HHHH", 40000, 53, 8 + i, 0) .. ("x"):rep(i)
  local ip = string.pack(">BBHHHBBH", 0x45, 0, 20 + #udp, i, 0, 64, 17, 0)
             .. string.char(198, 18, 0, 1, 198, 18, 0, 2)
  w:write("\2\0\0\0\0\1\2\0\0\0\0\2\8\0" .. ip .. udp, 1700000000 + i)
end
print(("wrote %d packets"):format(w:count()))
