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
  -- fentry on a function the kernel has: refused at load here (EPERM).
  { "fentry_refused", [[
#include <pktlua/bpf.h>
SEC("fentry/do_nanosleep") int BPF_PROG(on_nanosleep) { return 0; }
]] },
  { "unknown_section", [[
#include <pktlua/bpf.h>
SEC("kprobe_foo/bar") int odd(void *ctx) { return 0; }
]] },
  -- Legacy map definitions: libbpf's bpf_helpers.h has no struct
  -- bpf_map_def any more (a compile error), and a file that defines its
  -- own is refused by libbpf at open.
  { "map_def", [[
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct bpf_map_def SEC("maps") counts = {
	.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 1,
};
SEC("xdp") int f(struct xdp_md *ctx) { return XDP_PASS; }
]] },
  { "map_def_own", [[
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct bpf_map_def { unsigned int type, key_size, value_size, max_entries, map_flags; };
struct bpf_map_def SEC("maps") counts = {
	.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 1,
};
SEC("xdp") int f(struct xdp_md *ctx)
{
	int k = 0;
	return bpf_map_lookup_elem(&counts, &k) ? XDP_PASS : XDP_DROP;
}
]] },
}

for _, c in ipairs(cases) do
  local ok, err = pcall(bpf.load, { src = c[2], name = c[1] })
  print(c[1] .. ": " .. (ok and "loaded" or tostring(err)))
end
