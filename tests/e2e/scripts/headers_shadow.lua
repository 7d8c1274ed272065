-- A project's own bpf/bpf_endian.h under -I wins over pktlua's.
local bpf = require "pktlua"
local p = bpf.load { cflags = { "-Iinc" }, src = [[
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
SEC("socket") int f(void *ctx) { return MY_ENDIAN + (bpf_htons(1) == 0x100 ? 0 : 1); }
]] }
print("retval " .. p.progs.f:run(("\0"):rep(14)))
