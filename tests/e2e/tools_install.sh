#!/usr/bin/env bash
# tools_install.sh — `cmake --install` into a temporary prefix gives a
# pktlua that finds its compiler shim and its tools there: a tool added to
# the installed tools directory is listed and run, and a bundled tool
# compiles (no cache: the shim is loaded from <prefix>/lib/pktlua) and runs
# on the installed sample capture.
set -u
: "${PKTLUA_BUILD:?}"
tmp=$(mktemp -d /tmp/pl_tools_install_$$.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
unset PKTLUA_CC_SHIM
cmake --install "$PKTLUA_BUILD" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
bin=$tmp/prefix/bin/pktlua
for f in "$bin" "$tmp"/prefix/lib/pktlua/libpktlua-cc.so "$tmp"/prefix/share/pktlua/tools/pktstat.lua \
	 "$tmp"/prefix/share/pktlua/samples/mixed.pcap; do
	[ -e "$f" ] || { echo "FAIL: not installed: ${f#"$tmp"/}"; exit 1; }
done
[ -x "$tmp"/prefix/share/pktlua/tools/pktstat.lua ] || { echo "FAIL: installed tools are not executable"; exit 1; }
# The configured prefix must not be where the shim comes from.
conf=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$PKTLUA_BUILD/CMakeCache.txt")
if [ -e "$conf/lib/pktlua/libpktlua-cc.so" ]; then
	echo "note: $conf/lib/pktlua has a shim too; moving the prefix proves nothing about it"
fi
fail=0
# A tool that exists only in the installed directory.
cat >"$tmp/prefix/share/pktlua/tools/pl_probe_$$.lua" <<'LUA'
#!/usr/bin/env pktlua
-- pl_probe.lua — an installed-only tool
print("probe ran with", arg[1], arg[0])
LUA
list=$("$bin" -t)
printf '%s\n' "$list" | grep -qE "^pl_probe_$$ +an installed-only tool$" ||
	{ echo "FAIL: pktlua -t does not list the installed-only tool:"; printf '%s\n' "$list"; fail=1; }
printf '%s\n' "$list" | grep -qE '^pktstat +packets and bytes per protocol' || { echo "FAIL: no pktstat"; fail=1; }
out=$(cd / && "$bin" -t "pl_probe_$$" xyz 2>&1)
[ "$out" = "probe ran with	xyz	$tmp/prefix/share/pktlua/tools/pl_probe_$$.lua" ] ||
	{ echo "FAIL: installed tool: $out"; fail=1; }
out=$(cd / && PKTLUA_CACHE_DIR=$tmp/cache "$bin" --no-cache -t pktstat 2>&1)
printf '%s\n' "$out" | grep -qE '^ipv4/tcp +326 +106714$' ||
	{ echo "FAIL: installed pktstat on its installed sample:"; printf '%s\n' "$out"; fail=1; }
[ $fail -eq 0 ] && echo "installed tree works from $tmp/prefix"
exit $fail
