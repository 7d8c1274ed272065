#!/usr/bin/env bash
# write_through.sh — output files go where the user points, as tcpdump -w
# writes them: --filter -w, pcap.writer and pcap.replay's out= write into a
# device node, a FIFO its reader empties, through a symlink (the node, the
# FIFO, the link stay); a regular file or a new path is written beside and
# renamed into place. Inputs are opened once: --pcap and pcap.read take a
# FIFO and a <(...) pipe. Ground truth: tcpdump -r ... -w, and the bytes the
# same writer puts in a regular file.
set -u
: "${PKTLUA:?}"
d=$(mktemp -d /tmp/pl_wt_$$.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$d"' EXIT
S=samples/mixed.pcap
fail=0
check() { if eval "$1"; then echo "ok   $2"; else echo "FAIL $2"; fail=1; fi; }

tcpdump -r "$S" -w "$d/want.pcap" udp 2>/dev/null
want=$(stat -c %s "$d/want.pcap")

# --filter -w: devices of our own (null and full), FIFO, symlinks.
mknod "$d/null" c 1 3 && mknod "$d/full" c 1 7
$PKTLUA --filter udp --pcap "$S" -w "$d/null" >/dev/null
check '[ $? = 0 ] && [ -c "$d/null" ]' "-w onto a device node: status 0, still a character device"
out=$($PKTLUA --filter udp --pcap "$S" -w "$d/full" 2>&1); rc=$?
check '[ $rc = 1 ] && [ -c "$d/full" ] && grep -q "full: cannot write: No space left on device" <<<"$out"' \
  "-w onto a full device: status 1, 'No space left on device', still a device"
mkfifo "$d/fifo"
cat "$d/fifo" >"$d/from_fifo" & reader=$!
$PKTLUA --filter udp --pcap "$S" -w "$d/fifo" >/dev/null
wait $reader
check '[ -p "$d/fifo" ] && cmp -s "$d/from_fifo" "$d/want.pcap"' "-w onto a FIFO: still a FIFO, its reader got tcpdump's $want bytes"
echo old >"$d/target"; ln -s target "$d/link"
$PKTLUA --filter udp --pcap "$S" -w "$d/link" >/dev/null
check '[ -L "$d/link" ] && cmp -s "$d/target" "$d/want.pcap"' "-w onto a symlink: still a link, its target holds tcpdump's bytes"
ln -s made "$d/dangling"
$PKTLUA --filter udp --pcap "$S" -w "$d/dangling" >/dev/null
check '[ -L "$d/dangling" ] && cmp -s "$d/made" "$d/want.pcap"' "-w onto a dangling symlink: its target is made"
check '[ -z "$(ls -A "$d" | grep "^\.")" ]' "no temporary file left beside them"

# Inputs opened once: a FIFO and a pipe.
cat "$S" >"$d/fifo" &
out=$($PKTLUA --filter udp --pcap "$d/fifo" -w "$d/via_fifo.pcap")
check '[ "$out" = "54 packets matched" ] && cmp -s "$d/via_fifo.pcap" "$d/want.pcap"' "--filter --pcap FIFO: 54 matched, tcpdump's bytes"
out=$($PKTLUA --filter udp --pcap <(cat "$S"))
check '[ "$out" = "54 packets matched" ]' "--filter --pcap <(...): 54 matched"
cat "$S" >"$d/fifo" &
out=$($PKTLUA -e 'local n = 0; for p in require("pktlua.pcap").read(arg[1]) do n = n + 1 end; print(n)' - <"$d/fifo" 2>&1)
check '[ "$out" = 418 ]' "pcap.read of a FIFO (as stdin, '-'): 418 packets"
out=$($PKTLUA -e 'local n = 0; for p in require("pktlua.pcap").read(arg[1]) do n = n + 1 end; print(n)' <(cat "$S") 2>&1)
check '[ "$out" = 418 ]' "pcap.read of a <(...) pipe: 418 packets"

# pcap.writer: the bytes it puts in a regular file arrive the same through
# a FIFO, a symlink, into a device.
W='local pcap = require "pktlua.pcap"; local w <close> = pcap.writer(arg[1]);
   for p in pcap.read(arg[2]) do w:write(p) end'
$PKTLUA -e "$W" "$d/w_regular.pcap" "$S"
check '[ $(stat -c %s "$d/w_regular.pcap") -gt 100000 ]' "pcap.writer into a new file"
cat "$d/fifo" >"$d/w_fifo" & reader=$!
$PKTLUA -e "$W" "$d/fifo" "$S"; wait $reader
check '[ -p "$d/fifo" ] && cmp -s "$d/w_fifo" "$d/w_regular.pcap"' "pcap.writer into a FIFO: still a FIFO, same bytes"
ln -s w_target "$d/w_link"; echo old >"$d/w_target"
$PKTLUA -e "$W" "$d/w_link" "$S"
check '[ -L "$d/w_link" ] && cmp -s "$d/w_target" "$d/w_regular.pcap"' "pcap.writer through a symlink: still a link, same bytes"
$PKTLUA -e "$W" "$d/null" "$S"
check '[ $? = 0 ] && [ -c "$d/null" ]' "pcap.writer into a device node: still a device"
out=$($PKTLUA -e "$W" "$d/full" "$S" 2>&1); rc=$?
check '[ $rc = 1 ] && [ -c "$d/full" ] && grep -q "full: cannot write: No space left on device" <<<"$out"' "pcap.writer into a full device: an error, status 1"

# pcap.replay's out= (needs root: it loads a program).
if [ "$(id -u)" = 0 ]; then
  R='local bpf = require "pktlua"; local p = bpf.load [[
#include <pktlua/xdp.h>
SEC("xdp") int pl_wt_pass(struct xdp_md *ctx) { return XDP_PASS; }
]]; print(require("pktlua.pcap").replay(p.progs.pl_wt_pass, arg[2], { out = arg[1] }).written)'
  cat "$d/fifo" >"$d/r_fifo" & reader=$!
  out=$($PKTLUA -e "$R" "$d/fifo" "$S"); wait $reader
  $PKTLUA -e "$R" "$d/r_regular.pcap" "$S" >/dev/null
  check '[ "$out" = 418 ] && [ -p "$d/fifo" ] && cmp -s "$d/r_fifo" "$d/r_regular.pcap"' "pcap.replay out= into a FIFO: 418 written, same bytes as into a file"
fi
[ "$fail" = 0 ] && echo "all written through"
exit "$fail"
