#!/usr/bin/env bash
# bad_input.sh — the bad-input catalogue: what a hostile or careless user
# feeds pktlua, one line each, and what must come back. For every case:
#   - the exit status is the one in the table;
#   - the output (stdout and stderr) matches the message (an extended
#     regex: it names the thing and the reason);
#   - nothing is left: no BPF program named plbad_* (every snippet here names
#     its functions so; the runner makes that plbNNNNN_, its own), no pinned
#     object of that name under /sys/fs/bpf, no file
#     but entries in the cache directory (no temporary file), and no process
#     whose command line names the case's directory (a compiler child, the
#     perf-event helper, libpcap's compiler).
#
# Table: NAME | EXIT | MESSAGE | COMMAND, run by bash in the case's own
# directory. Helpers for COMMAND:
#   L 'lua'          write 'lua' (printf %b: \n is a newline) to s.lua, run it
#   C 'c' ['lua']    a script that loads the C snippet (after #include
#                    <pktlua/xdp.h>) into p, then runs 'lua'; run it
#   SIG SIG SECS 'lua'  run L 'lua' in the background; SECS after it prints
#                    "ready" on stderr (or starts, for a compile), send SIG
#   pl ARGS          pktlua ARGS
#   AS=USER before any of them: pktlua runs as USER (setpriv), holding no
#                    capability, without the compile cache (root's)
#
#   bad_input.sh [REGEX]   only the cases whose name matches REGEX (the
#                          .test files split the table in three, to run
#                          side by side)
set -u
: "${PKTLUA:?}"
only=${1:-.}
tag=plb$(( $$ % 100000 ))_     # replaces "plbad_" in the table
src=$(pwd)
top=$(mktemp -d /tmp/pl_bad_$$.XXXXXX)
export PKTLUA_CACHE_DIR=$top/cache
# A snippet that does not compile is retried with the whole vmlinux.h (in
# case pruning it was to blame): seconds per bad-C case. Not here.
export PKTLUA_VMLINUX=pruned
trap 'umount "$top/full" 2>/dev/null; rm -rf "$top"' EXIT
S=$src/samples/mixed.pcap

pl() {
  if [ -n "${AS:-}" ]; then
    timeout -k 2 60 setpriv --reuid="$(id -u "$AS")" --regid="$(id -g "$AS")" --clear-groups \
      "$PKTLUA" --no-cache "$@"
  else
    timeout -k 2 60 "$PKTLUA" "$@"
  fi
}
L() { printf '%b\n' "$1" >s.lua; shift; pl s.lua "$@"; }
C() {
  printf 'local bpf = require "pktlua"\nlocal p = bpf.load [==[\n#include <pktlua/xdp.h>\n%s\n]==]\n%b\n' \
    "$1" "${2:-}" >s.lua
  pl s.lua
}
SIG() {
  local sig=$1 secs=$2 pid rc
  printf '%b\n' "$3" >s.lua
  "$PKTLUA" s.lua 2>err.txt & pid=$!
  for _ in $(seq 200); do grep -q ready err.txt 2>/dev/null && break; sleep 0.05; done
  sleep "$secs"
  kill -"$sig" $pid
  wait $pid; rc=$?
  cat err.txt
  return $rc
}
# 10,000 terms: libpcap's arena refuses it; 400: minutes of optimizing.
terms() { local i e="port 1"; for ((i = 2; i <= $1; i++)); do e+=" or port $i"; done; echo "$e"; }
BIG=$(terms 10000) MID=$(terms 400)
export BIG MID

XDP='SEC("xdp") int plbad_x(struct xdp_md *c) { return XDP_PASS; }'
TP='SEC("tracepoint/syscalls/sys_enter_getppid") int plbad_t(void *c) { return 0; }'
MAP='struct plbad_v { __u32 a; struct { __u8 b[2]; } in; }; PKTLUA_HASH(h, __u32, struct plbad_v, 8);'
RING='#include <pktlua/events.h>
PKTLUA_RINGBUF(rb, 4096); SEC("tracepoint/syscalls/sys_enter_getppid") int plbad_r(void *c) { __u64 v = 1; pktlua_emit(&rb, &v, sizeof(v)); return 0; }'
EXIT='bpf.at_exit(function() io.stderr:write("at_exit ran\\n") end)'
BUSY='bpf.after(0, function() io.stderr:write("ready\\n"); while true do end end); print(bpf.run())'
XDP=${XDP//plbad_/$tag} TP=${TP//plbad_/$tag} MAP=${MAP//plbad_/$tag} RING=${RING//plbad_/$tag}
export XDP TP MAP RING EXIT BUSY S

cases=$(cat <<'EOF'
# --- bad C ------------------------------------------------------------------
c_syntax        | 1   | s.lua:[0-9]+: error: expected expression                        | C 'int plbad_x = ;'
c_undefined     | 1   | s.lua:[0-9]+: error: use of undeclared identifier 'nope'        | C 'SEC("xdp") int plbad_x(struct xdp_md *c) { return nope; }'
c_no_header     | 1   | 'nonexistent/x.h' file not found                                | C '#include <nonexistent/x.h>'
c_5mb           | 0   | ^loaded$                                                        | C "/* $(head -c 5000000 /dev/zero | tr '\0' x) */ $XDP" 'print("loaded")'
c_nul           | 1   | error: .*null character ignored|<U\+0000>                      | L 'local bpf = require "pktlua"\nbpf.load("SEC(\\"xdp\\") int plbad_x(void *c) { return 2; }\\0 junk")'
c_binary        | 1   | error: source file is not valid UTF-8                           | L 'local bpf = require "pktlua"\nbpf.load(string.rep("\\xb9\\x9f\\x00\\x07", 64))'
# --- the verifier --------------------------------------------------------------
v_loop          | 1   | program 'plbad_x' rejected by the verifier: infinite loop       | C 'SEC("xdp") int plbad_x(struct xdp_md *c) { for (;;) {} return 0; }'
v_bounds        | 1   | rejected by the verifier: invalid access to packet              | C 'SEC("xdp") int plbad_x(struct xdp_md *c) { char *d = (void *)(long)c->data; return d[100]; }'
v_null          | 1   | rejected by the verifier: .*invalid mem access 'map_value_or_null' | C 'PKTLUA_HASH(h, __u32, __u64, 4); SEC("xdp") int plbad_x(struct xdp_md *c) { __u32 k = 0; __u64 *v = bpf_map_lookup_elem(&h, &k); return *v; }'
v_too_big       | 1   | program 'plbad_x' rejected by the verifier: BPF program is too large | C 'SEC("xdp") int plbad_x(struct xdp_md *c) { unsigned s = c->ingress_ifindex; for (int i = 0; i < 10000000; i++) { s = s * 31 + i; asm volatile("" : "+r"(s)); } return s; }'
v_stack         | 1   | [Ss]tack                                                       | C 'SEC("xdp") int plbad_x(struct xdp_md *c) { volatile char b[600]; b[599] = 1; return b[c->ingress_ifindex & 511]; }'
v_helper        | 1   | program of this type cannot use helper bpf_skb_load_bytes       | C 'SEC("xdp") int plbad_x(struct xdp_md *c) { char b[4]; return bpf_skb_load_bytes(c, 0, b, 4); }'
# --- Lua values that do not fit ----------------------------------------------
m_key_type      | 1   | map 'h': key: .*__u32                                          | C "$MAP" 'p.maps.h["x"] = {a = 1}'
m_key_neg       | 1   | map 'h': key: -1 does not fit __u32                             | C "$MAP" 'p.maps.h[-1] = {a = 1}'
m_key_float     | 1   | map 'h': key: .*(float|integer)                                | C "$MAP" 'p.maps.h[1.5] = {a = 1}'
m_val_big       | 1   | map 'h': value: field 'a': 4294967296 does not fit __u32        | C "$MAP" 'p.maps.h[1] = {a = 1 << 32}'
m_val_shape     | 1   | map 'h': value: field 'in'                                      | C "$MAP" 'p.maps.h[1] = {a = 1, ["in"] = 7}'
m_val_type      | 1   | map 'h': value: .*struct plbad_v                                | C "$MAP" 'p.maps.h[1] = "seven"'
m_huge          | 1   | map 'big': failed to create                                     | C 'PKTLUA_HASH(big, __u32, __u64, 1 << 30); '"$XDP"
# --- missing targets -----------------------------------------------------------
t_tracepoint    | 1   | ^pktlua: s.lua:6: tracepoint 'nosuch/plbad' does not exist \(program 'plbad_x'\)$ | C 'SEC("tracepoint/nosuch/plbad") int plbad_x(void *c) { return 0; }' 'p:attach()'
t_tp_option     | 1   | ^pktlua: s.lua:6: tracepoint 'syscalls/plbad_nosuch' does not exist \(program 'plbad_x'\)$ | C 'SEC("tracepoint") int plbad_x(void *c) { return 0; }' 'p.progs.plbad_x:attach{tracepoint = "syscalls/plbad_nosuch"}'
t_tp_btf        | 1   | ^pktlua: s.lua:2: bpf.load: program 'plbad_x' \(tp_btf/plbad_nosuch\): the kernel has no tracepoint 'plbad_nosuch' | C 'SEC("tp_btf/plbad_nosuch") int plbad_x(void *c) { return 0; }' 'p:attach()'
t_raw_tp        | 1   | ^pktlua: s.lua:6: raw_tp 'plbad_nosuch': no such raw tracepoint \(program 'plbad_x'\)$ | C 'SEC("raw_tp/plbad_nosuch") int plbad_x(void *c) { return 0; }' 'p:attach()'
t_rollback      | 0   | ^s.lua:6: tracepoint 'nosuch/plbad' does not exist \(program 'plbad_b'\) \| left 0 \| control 1$ | C 'SEC("tracepoint/syscalls/sys_enter_getppid") int plbad_a(void *c) { return 0; } SEC("tracepoint/nosuch/plbad") int plbad_b(void *c) { return 0; }' 'local function n() local f = io.popen("bpftool perf list"); local s = f:read("a"); f:close(); local c = 0; for _ in s:gmatch("pid " .. bpf.pid() .. " ") do c = c + 1 end; return c end; local ok, e = pcall(function() p:attach() end); local left = n(); p.progs.plbad_a:attach(); print(e .. " | left " .. left .. " | control " .. n())'
t_binary        | 1   | /nonexistent/plbad.*(No such file|not found)                    | C 'SEC("uprobe") int plbad_x(void *c) { return 0; }' 'p.progs.plbad_x:attach{binary = "/nonexistent/plbad", symbol = "main"}'
t_symbol        | 1   | plbad_no_such_symbol                                            | C 'SEC("uprobe") int plbad_x(void *c) { return 0; }' 'p.progs.plbad_x:attach{binary = "/bin/true", symbol = "plbad_no_such_symbol"}'
t_iface         | 1   | ^pktlua: s.lua:6: xdp attach to 'plbad0': no such interface \(program 'plbad_x'\)$ | C "$XDP" 'p.progs.plbad_x:attach{iface = "plbad0"}'
t_iface_all     | 1   | ^pktlua: s.lua:6: xdp attach to 'plbad0': no such interface \(program 'plbad_x'\)$ | C "$XDP" 'p:attach{iface = "plbad0"}'
t_iface_tc      | 1   | ^pktlua: s.lua:6: tc attach to 'plbad0': no such interface \(program 'plbad_c'\)$ | C 'SEC("tc") int plbad_c(struct __sk_buff *c) { return 0; }' 'p:attach{iface = "plbad0"}'
t_cgroup        | 1   | /sys/fs/cgroup/plbad_none                                       | C 'SEC("cgroup_skb/ingress") int plbad_x(void *c) { return 1; }' 'p.progs.plbad_x:attach{cgroup = "/sys/fs/cgroup/plbad_none"}'
# --- no privileges: a user holding no capability ---------------------------------------
n_xdp           | 1   | ^pktlua: s.lua:2: bpf.load: program 'plbad_x' \(xdp\): loading it needs CAP_BPF and CAP_NET_ADMIN \(held: none\)$ | chmod 711 "$top"; AS=nobody C "$XDP" 'p.progs.plbad_x:attach{iface = "lo"}'
n_tracepoint    | 1   | ^pktlua: s.lua:2: bpf.load: program 'plbad_t' \(tracepoint/syscalls/sys_enter_getppid\): loading it needs CAP_BPF and CAP_PERFMON \(held: none\)$ | chmod 711 "$top"; AS=nobody C "$TP" 'p:attach()'
n_filter        | 1   | ^pktlua: filter 'udp': program '[a-z_]+' \(syscall\): loading it needs CAP_BPF \(held: none\)$ | chmod 711 "$top"; AS=nobody pl --filter udp --pcap "$S"
# --- attach and detach twice, use after close -----------------------------------------
a_twice         | 1   | xdp attach to 'plbd[0-9]+': the interface already has an XDP program | ip link add plbd$$ type veth peer name plbe$$ && IFACE=plbd$$ C "$XDP" 'local i = os.getenv("IFACE"); p.progs.plbad_x:attach{iface = i}; p.progs.plbad_x:attach{iface = i}'; rc=$?; ip link del plbd$$; exit $rc
a_detach_twice  | 0   | ^detached twice$                                                | C "$TP" 'local l = p.progs.plbad_t:attach(); l:detach(); l:detach(); print("detached twice")'
u_prog          | 1   | program 'plbad_x': its Program is closed                         | C "$XDP" 'local f = p.progs.plbad_x; p:close(); print(f.name)'
u_map           | 1   | map 'h': its Program is closed                                   | C "$MAP $XDP" 'local h = p.maps.h; p:close(); print(h[1])'
u_link          | 0   | pktlua.Link \(detached\)                                        | C "$TP" 'local l = p.progs.plbad_t:attach(); p:close(); print(l); l:detach()'
u_run           | 1   | program 'plbad_x': its Program is closed                         | C "$XDP" 'local f = p.progs.plbad_x; p:close(); f:run(string.rep("\\0", 64))'
# --- callbacks ------------------------------------------------------------------------
cb_string       | 1   | s.lua:[0-9]+: boom in a callback                                 | C "$RING" "$EXIT"'; bpf.on(p.maps.rb, function() error("boom in a callback") end); p:attach(); bpf.after(0.05, function() io.open("/proc/self/stat"):close() end); os.execute("true"); bpf.run(2)'
cb_table        | 1   | s.lua:[0-9]+: error object is a table value: \{code = 42\}       | L 'local bpf = require "pktlua"\nbpf.after(0, function() error({code = 42}) end)\nbpf.run(1)'
cb_nil          | 1   | s.lua:[0-9]+: error object is nil                                | L 'local bpf = require "pktlua"\nbpf.after(0, function() error() end)\nbpf.run(1)'
cb_rerun        | 1   | bpf.run: called inside a callback                                | L 'local bpf = require "pktlua"\nbpf.after(0, function() bpf.run(1) end)\nbpf.run(1)'
cb_exit         | 7   | at_exit ran                                                      | L 'local bpf = require "pktlua"\n'"$EXIT"'\nbpf.after(0, function() os.exit(7) end)\nbpf.run(1)'
cb_top_error    | 1   | at_exit ran                                                      | L 'local bpf = require "pktlua"\n'"$EXIT"'\nerror("top")'
# --- signals ---------------------------------------------------------------------------
s_int_run       | 0   | at_exit ran                                                      | SIG INT 0.2 'local bpf = require "pktlua"\n'"$EXIT"'\n'"$BUSY"
s_term_run      | 0   | at_exit ran                                                      | SIG TERM 0.2 'local bpf = require "pktlua"\n'"$EXIT"'\n'"$BUSY"
s_kill_run      | 137 | ^$                                                              | SIG KILL 0.2 'local bpf = require "pktlua"\nlocal p = bpf.load [[\n#include <pktlua/bpf.h>\n'"$TP"'\n]]\np:attach()\n'"$BUSY"
s_int_compile   | 130 | at_exit ran                                                      | SIG INT 0.05 'local bpf = require "pktlua"\n'"$EXIT"'\nio.stderr:write("ready\\n")\nbpf.load{src = [[#include <pktlua/bpf.h>\n'"$TP"'\n]], cflags = {"-DPLBAD_NOCACHE='"$RANDOM$RANDOM"'"}}\nwhile true do end'
s_term_compile  | 143 | at_exit ran                                                      | SIG TERM 0.05 'local bpf = require "pktlua"\n'"$EXIT"'\nio.stderr:write("ready\\n")\nbpf.load{src = [[#include <pktlua/bpf.h>\n'"$TP"'\n]], cflags = {"-DPLBAD_NOCACHE='"$RANDOM$RANDOM"'"}}\nwhile true do end'
s_int_filter    | 130 | at_exit ran                                                      | SIG INT 0.3 'local bpf = require "pktlua"\n'"$EXIT"'\nio.stderr:write("ready\\n")\nbpf.load{src = "", filters = {mid = os.getenv("MID")}}'
s_pipe          | 0   | at_exit ran                                                      | L 'local bpf = require "pktlua"\n'"$EXIT"'\nbpf.every(0.001, function() print(string.rep("x", 100)) end)\nbpf.run(5)' | head -c 10 >/dev/null; exit ${PIPESTATUS[0]}
s_closed_stdout | 1   | cannot write to stdout: Bad file descriptor                      | L 'print("lost")' >&-
s_full_stdout   | 1   | cannot write to stdout: No space left on device                  | L 'print("lost")' >/dev/full
s_filter_full   | 1   | cannot write to stdout: No space left on device                  | pl --filter udp --pcap "$S" >/dev/full
# --- captures --------------------------------------------------------------------------
p_corrupt       | 1   | --pcap: .*corrupt.pcap: unknown file format                      | head -c 4000 /dev/urandom >corrupt.pcap; L 'print(1)' ; pl --pcap corrupt.pcap s.lua
p_empty         | 1   | --pcap: .*empty.pcap: .*(truncated|empty|short)                  | : >empty.pcap; L 'print(1)'; pl --pcap empty.pcap s.lua
p_directory     | 1   | --pcap: .*: Is a directory                                       | L 'print(1)'; pl --pcap . s.lua
p_fifo_cut      | 1   | fifo: packet [0-9]+: truncated                                   | mkfifo fifo; (head -c 3000 "$S" >fifo &); pl --filter udp --pcap fifo
p_filter_dir    | 1   | ^pktlua: \.: Is a directory$                                    | pl --filter udp --pcap .
p_read_empty    | 1   | empty.pcap: .*(truncated|empty|short)                            | : >empty.pcap; L 'for p in require("pktlua.pcap").read("empty.pcap") do end'
p_read_dir      | 1   | \.: Is a directory                                               | L 'for p in require("pktlua.pcap").read(".") do end'
p_read_cut      | 1   | cut.pcap: packet [0-9]+: truncated                               | head -c 3000 "$S" >cut.pcap; L 'for p in require("pktlua.pcap").read("cut.pcap") do end'
# --- unwritable -w -----------------------------------------------------------------------
w_no_dir        | 1   | /nonexistent/plbad/out.pcap: cannot create a file beside it: No such file or directory | pl --filter udp --pcap "$S" -w /nonexistent/plbad/out.pcap
w_directory     | 1   | ^pktlua: \.: Is a directory$                                    | pl --filter udp --pcap "$S" -w .
w_readonly      | 1   | /proc/version: cannot write                                      | pl --filter udp --pcap "$S" -w /proc/version
w_writer_dir    | 1   | \.: Is a directory                                               | L 'require("pktlua.pcap").writer(".")'
# --- huge filter expressions ----------------------------------------------------------------
f_10000_terms   | 1   | filter 'port 1 or port 2 .*\.\.\.': out of memory \(libpcap's compiler has a fixed arena | pl --filter "$BIG" --pcap "$S"
f_bad           | 1   | filter 'udp prot 53': syntax error                               | pl --filter 'udp prot 53' --pcap "$S"
# --- scripts ------------------------------------------------------------------------------
x_missing       | 1   | cannot open /nonexistent/plbad.lua                               | pl /nonexistent/plbad.lua
x_directory     | 1   | cannot read \.                                                   | pl .
x_shebang       | 0   | ^shebang ok$                                                     | L '#!/usr/bin/env pktlua\nprint("shebang ok")'
x_bytecode      | 1   | a precompiled \(binary\) Lua chunk                               | pl -e 'io.open("b.luac", "wb"):write(string.dump(function() end))'; pl b.luac
# --- the compile cache ----------------------------------------------------------------------
k_unwritable    | 0   | ^loaded$                                                        | PKTLUA_CACHE_DIR=/proc/plbad C "$XDP" 'print("loaded")'
k_full          | 0   | ^loaded$                                                        | mkdir -p "$top/full" && mount -t tmpfs -o size=4k tmpfs "$top/full" && PKTLUA_CACHE_DIR=$top/full C "$XDP" 'print("loaded")'; rc=$?; left=$(find "$top/full" -type f ! -name '*.obj'); umount "$top/full"; [ -z "$left" ] || { echo "temp file left: $left"; exit 9; }; exit $rc
k_corrupt       | 0   | ^loaded twice$                                                  | C "$XDP" '' && for f in $(find "$PKTLUA_CACHE_DIR" -name '*.obj'); do printf 'garbage' | dd of="$f" bs=1 seek=100 conv=notrunc status=none; done; C "$XDP" 'print("loaded twice")'
k_racing        | 0   | ^4 raced$                                                       | for i in 1 2 3 4; do mkdir r$i; (cd r$i && C "$XDP /* race $$ */" 'print("race ok")') >out.$i 2>&1 & done; wait; echo "$(cat out.* | grep -c '^race ok$') raced"
EOF
)

n=0 failed=0
t0=$(date +%s)
while IFS= read -r line; do
  case "$line" in '#'*|'') continue ;; esac
  # Fields are separated by " | " (a message's own alternatives use "|").
  name=${line%% | *} rest=${line#* | }
  want=${rest%% | *} rest=${rest#* | }
  msg=${rest%% | *} cmd=${rest#* | }
  name=$(echo $name) want=$(echo $want)
  [[ $name =~ $only ]] || continue
  # Names of our own (three parts of the table may run side by side).
  cmd=${cmd//plbad_/$tag} msg=${msg//plbad_/$tag}
  msg=$(sed 's/^ *//; s/ *$//' <<<"$msg") cmd=$(sed 's/^ *//' <<<"$cmd")
  d=$top/$name
  mkdir -p "$d"
  n=$((n + 1))
  c0=$(date +%s%N)
  out=$(cd "$d" && eval "$cmd" 2>&1); rc=$?
  ms=$(( ($(date +%s%N) - c0) / 1000000 ))
  why=""
  [ "$rc" = "$want" ] || why+=" exit $rc (want $want);"
  if [ "$msg" = '^$' ]; then
    [ -z "$(grep -v '^ready$' <<<"$out")" ] || why+=" output not empty;"
  elif ! grep -qE -- "$msg" <<<"$out"; then
    why+=" message /$msg/ not in the output;"
  fi
  # Nothing left. Programs of a process go when its last fd does (a
  # killed process: shortly after): give them a moment.
  for _ in $(seq 40); do
    left=$(bpftool prog show 2>/dev/null | grep -o "name $tag[a-z_]*" | head -1)
    kids=$(pgrep -f "$d" | head -1)
    [ -z "$left$kids" ] && break
    sleep 0.05
  done
  [ -z "$left" ] || why+=" program left: $left;"
  [ -z "$kids" ] || why+=" process left: $(ps -o pid=,args= -p "$kids");"
  [ -z "$(ls /sys/fs/bpf 2>/dev/null | grep "$tag")" ] || why+=" pinned object left;"
  tmp=$(find "$PKTLUA_CACHE_DIR" -type f ! -name '*.obj' 2>/dev/null)
  [ -z "$tmp" ] || why+=" cache temp file left: $tmp;"
  if [ -n "$why" ]; then
    failed=$((failed + 1))
    echo "FAIL $name (${ms} ms):$why"
    echo "$out" | head -c 2000 | sed 's/^/    | /'
  else
    echo "ok   $name (${ms} ms): $(grep -m1 -oE -- "$msg" <<<"$out" | head -1 | head -c 100)"
  fi
done <<<"$cases"
echo "bad-input catalogue: $n cases, $((n - failed)) passed, $failed failed, $(( $(date +%s) - t0 )) s"
[ "$failed" = 0 ]
