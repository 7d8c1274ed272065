-- load_errors.lua — load programs this kernel cannot take and print what
-- bpf.load says, one "CASE: message" line each (load_errors.test checks
-- them): the failing program named, libbpf's real reason, never a warning
-- libbpf recovered from nor a bare errno.
local bpf = require "pktlua"

local cases = {
  { "iter", [[
#include <pktlua/bpf.h>
SEC("iter/bpf_map_elem") int dump(struct bpf_iter__bpf_map_elem *ctx) { return 0; }
]] },
  -- libbpf-tools' fsslower: a placeholder its loader renames before load.
  { "fentry_dummy", [[
#include <pktlua/bpf.h>
SEC("fentry/dummy_file_read") int BPF_PROG(file_read_entry, struct kiocb *iocb) { return 0; }
]] },
  { "tp_btf_unknown", [[
#include <pktlua/bpf.h>
SEC("tp_btf/pl_no_such_tracepoint") int BPF_PROG(on_nothing) { return 0; }
]] },
  -- An LPM trie whose key type is no struct: the kernel refuses its BTF,
  -- libbpf warns "Retrying without BTF" and makes it without; the
  -- program's own failure is the reason to report.
  { "after_recovered_warning", [[
#include <pktlua/bpf.h>
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u32);
} prefixes SEC(".maps");
SEC("tp_btf/pl_no_such_tracepoint") int BPF_PROG(uses_prefixes)
{
	__u64 k = 32;
	return bpf_map_lookup_elem(&prefixes, &k) != 0;
}
]] },
}

for _, c in ipairs(cases) do
  local ok, err = pcall(bpf.load, { src = c[2], name = c[1] })
  print(c[1] .. ": " .. (ok and "loaded" or tostring(err)))
end
