#!/usr/bin/env bash
# load_file.sh — bpf.load{file=}: a .bpf.c file (its folder first on the
# include path, as its own Makefile's -I would put it) and the .bpf.o that
# clang makes of the same file here, as a libbpf project builds it; both
# count this process's openat calls (load_file.lua checks the counts).
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/pl_load_file_$$.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"

# <pl_knobs.h> with angle brackets: found only through the file's folder.
cat >"$work/src/pl_knobs.h" <<'H'
#define PL_OPENS_NAME count
H
cat >"$work/src/count.bpf.c" <<'C'
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <pl_knobs.h>

const volatile __u32 targ_pid = 0;
__u64 PL_OPENS_NAME = 0;

SEC("tracepoint/syscalls/sys_enter_openat")
int count_openat(void *ctx)
{
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) != targ_pid)
		return 0;
	__sync_fetch_and_add(&PL_OPENS_NAME, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
C
printf '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nSEC("xdp") int f(struct xdp_md *ctx)\n{ return no_such_thing; }\n' \
  >"$work/src/broken.bpf.c"
cat >"$work/src/oob.bpf.c" <<'C'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char buf[8];

SEC("xdp")
int read_past(struct xdp_md *ctx)
{
	volatile __u32 i = ctx->ingress_ifindex;
	return buf[i];
}
char LICENSE[] SEC("license") = "GPL";
C

# As libbpf-tools' Makefile builds it (the multiarch dir for <asm/...>).
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
clang -target bpf -O2 -g -I"$work/src" -I/usr/include/"$multiarch" \
  -c "$work/src/count.bpf.c" -o "$work/src/count.bpf.o" ||
  { echo "FAIL: clang could not build count.bpf.o"; exit 1; }

cd "$work" && "$PKTLUA" "$here/load_file.lua"
