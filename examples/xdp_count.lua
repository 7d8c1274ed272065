-- xdp_count.lua — bytes per IP protocol seen by XDP on an interface
-- usage: pktlua examples/xdp_count.lua [IFACE]   (default lo; Ctrl-C to stop)
-- ci: lo
--
-- The script from DESIGN.md: one C snippet with a hash map, attached to an
-- interface, read from Lua every second as if it were a table.
local bpf = require "pktlua"

local p = bpf.load [[
  #include <pktlua/xdp.h>               /* runtime/: parsers, map macros */
  PKTLUA_HASH(bytes_by_proto, __u8, __u64, 256);

  SEC("xdp") int count(struct xdp_md *ctx) {
      struct pkt pkt;
      if (pkt_parse(ctx, &pkt) < 0) return XDP_PASS;
      __u64 *v = bpf_map_lookup_elem(&bytes_by_proto, &pkt.l4proto);
      if (v) __sync_fetch_and_add(v, pkt.len);
      else bpf_map_update_elem(&bytes_by_proto, &pkt.l4proto, &pkt.len, BPF_NOEXIST);
      return XDP_PASS;
  }
]]
p.progs.count:attach { iface = arg[1] or "lo" }

bpf.every(1, function()
  for proto, n in pairs(p.maps.bytes_by_proto) do print(proto, n) end
end)
bpf.run()                                 -- until Ctrl-C, bpf.stop() or a timeout
