-- Missing interfaces, tracepoints, binaries and symbols are named in errors.
local bpf = require "pktlua"
local p = bpf.load [[
#include <pktlua/xdp.h>
SEC("xdp") int x(struct xdp_md *ctx) { return XDP_PASS; }
SEC("tracepoint/syscalls/sys_enter_nope") int t(void *ctx) { return 0; }
SEC("uprobe") int u(struct pt_regs *ctx) { return 0; }
]]
local function try(what, f, ...)
  local ok, err = pcall(f, ...)
  print(what .. ": " .. (ok and "attached?!" or err))
end
try("iface", p.progs.x.attach, p.progs.x, { iface = "pl-nonesuch0" })
try("mode", p.progs.x.attach, p.progs.x, { iface = "lo", mode = "turbo" })
try("tracepoint", p.progs.t.attach, p.progs.t)
try("binary", p.progs.u.attach, p.progs.u, { binary = "/nonexistent/bin", symbol = "main" })
try("symbol", p.progs.u.attach, p.progs.u, { binary = "/bin/true", symbol = "pl_no_such_symbol" })
try("option", p.progs.x.attach, p.progs.x, { ifcae = "lo" })
