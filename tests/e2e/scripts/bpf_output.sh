#!/usr/bin/env bash
# bpf_output.sh — output from BPF: pktlua_printf lines arrive on stdout
# complete and in order (between what Lua printed before and after), lost
# lines are counted, and the bpf_printk lines relayed on stderr are this
# process's only, tag removed: two runs at once each see exactly their own.
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/pktlua-bpf-output.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Two at once: 600 and 900 lines.
"$PKTLUA" "$here/bpf_output.lua" 600 >"$work/a.out" 2>"$work/a.err" & a=$!
"$PKTLUA" "$here/bpf_output.lua" 900 >"$work/b.out" 2>"$work/b.err" & b=$!
wait $a || fail "run a exited $?: $(cat "$work/a.err")"
wait $b || fail "run b exited $?: $(cat "$work/b.err")"

check() {   # NAME N
  local out=$work/$1.out err=$work/$1.err n=$2
  [ "$(head -n1 "$out")" = "header from Lua" ] || fail "$1: first line is not Lua's header"
  [ "$(tail -n1 "$out")" = "footer from Lua" ] || fail "$1: last line is not Lua's footer"
  # Every printf line whole and in order: seq 1..n, nothing else between.
  awk -v n="$n" '
    NR == 1 || /^footer from Lua$/ { next }
    {
      want = sprintf("printf seq=%d pid=", ++seq)
      if (index($0, want) != 1 || $0 !~ / some text to make the line longer than a few words\|-42\|beef\|end$/) {
        printf "bad printf line %d: %s\n", seq, $0; exit 1
      }
    }
    END { if (seq != n) { printf "%d printf lines, want %d\n", seq, n; exit 1 } }' "$out" ||
    fail "$1: printf lines"
  # printk: exactly this run's n lines, in order, without the tag.
  grep -q 'pktlua:' "$err" && fail "$1: stderr has pktlua messages: $(grep 'pktlua' "$err" | head -3)"
  awk -v n="$n" '
    { want = sprintf("printk seq=%d", ++seq); if ($0 != want) { printf "line %d: %s, want %s\n", seq, $0, want; exit 1 } }
    END { if (seq != n) { printf "%d printk lines, want %d\n", seq, n; exit 1 } }' "$err" ||
    fail "$1: printk lines"
}
check a 600
check b 900
ls /sys/kernel/tracing/instances 2>/dev/null | grep -qx "pktlua_$a" && fail "instance pktlua_$a left behind"

# A ring of one page holds 15 lines of 256 bytes: the rest of 100 are lost,
# counted at exit; printed + lost = 100.
"$PKTLUA" "$here/bpf_output.lua" 100 4096 >"$work/c.out" 2>"$work/c.err" || fail "run c: $(cat "$work/c.err")"
printed=$(grep -c '^printf seq=' "$work/c.out")
lost=$(sed -n 's/^pktlua: pktlua_printf: \([0-9]*\) lines lost.*/\1/p' "$work/c.err")
[ -n "$lost" ] || fail "no loss reported: $(cat "$work/c.err")"
[ $((printed + lost)) -eq 100 ] || fail "printed $printed + lost $lost != 100"
[ "$printed" -ge 1 ] || fail "nothing printed"
echo "bpf_output: ok (printed $printed, lost $lost of 100 with a 4 KB ring)"
