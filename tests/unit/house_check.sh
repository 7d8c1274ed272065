#!/usr/bin/env bash
# house_check.sh — tools/check-house.sh passes on this tree, and fails, naming
# the rule and the files, on small trees that each break one rule.
#
#   tests/unit/house_check.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
check=$root/tools/check-house.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# The real tree.
if ! out=$("$check" "$build" 2>&1); then
	echo "FAIL: this tree breaks a rule:"; echo "$out"; exit 1
fi
echo "ok: $out"

# A fixture: host/README.md with two layers, base/ then lua/, and the C files
# given as NAME=TEXT pairs, each compiled to the object path CMake would use.
fixture() {
	local dir=$tmp/$1; shift
	mkdir -p "$dir/host/base" "$dir/host/lua" "$dir/build/host/CMakeFiles/t.dir"
	printf '| folder | owns |\n|---|---|\n| `base/` | x |\n| `lua/` | y |\n' >"$dir/host/README.md"
	echo 'int main(void) { return 0; }' >"$dir/shim.cpp"
	for pair in "$@"; do
		local name=${pair%%=*}
		mkdir -p "$(dirname "$dir/host/$name")"
		printf '%b\n' "${pair#*=}" >"$dir/host/$name"
	done
	(cd "$dir/host" && find . -name '*.c') | while read -r c; do
		c=${c#./}
		mkdir -p "$(dirname "$dir/build/host/CMakeFiles/t.dir/$c")"
		cc -c -I"$dir/host" $(pkg-config --cflags lua5.4) -o "$dir/build/host/CMakeFiles/t.dir/$c.o" "$dir/host/$c"
	done
	echo "$dir"
}

# expect_fail NAME PATTERN DIR: the check fails and says PATTERN.
expect_fail() {
	local name=$1 pattern=$2 dir=$3 out
	if out=$(HOUSE_ROOT=$dir "$check" "$dir/build" 2>&1); then
		echo "FAIL: $name: the check passed"; fails=$((fails + 1)); return
	fi
	if ! grep -qE -- "$pattern" <<<"$out"; then
		echo "FAIL: $name: expected /$pattern/ in:"; echo "$out"; fails=$((fails + 1)); return
	fi
	echo "ok: $name: $(head -1 <<<"$out")"
}

clean=$(fixture clean \
	'base/a.c=int b(void);\nint a(void) { return b(); }' \
	'base/b.c=int b(void) { return 1; }' \
	'lua/l.c=#include <lua.h>\nint a(void);\nint l(void) { return a(); }')
if out=$(HOUSE_ROOT=$clean "$check" "$clean/build" 2>&1); then
	echo "ok: a clean fixture passes: $out"
else
	echo "FAIL: a clean fixture fails:"; echo "$out"; fails=$((fails + 1))
fi

expect_fail "circle" 'circle of calls among:.*host/base/(a|b)\.c.*host/base/(a|b)\.c' "$(fixture circle \
	'base/a.c=int b(void);\nint a(void) { return b(); }' \
	'base/b.c=int a(void);\nint b(void) { return a(); }')"

expect_fail "circle of three" 'circle of calls among:( host/base/[abc]\.c){3}' "$(fixture circle3 \
	'base/a.c=int b(void);\nint a(void) { return b(); }' \
	'base/b.c=int c(void);\nint b(void) { return c(); }' \
	'base/c.c=int a(void);\nint c(void) { return a(); }')"

expect_fail "call upwards" 'host/base/a.c calls l\(\) of host/lua/l.c: lua/ is above base/' "$(fixture up \
	'base/a.c=int l(void);\nint a(void) { return l(); }' \
	'lua/l.c=int l(void) { return 2; }')"

expect_fail "folder not in the table" 'folder cli/ is not in host/README.md'"'"'s table' "$(fixture unlisted \
	'base/b.c=int b(void) { return 1; }' \
	'cli/m.c=int b(void);\nint m(void) { return b(); }')"

expect_fail "lua.h through a header" 'host/base/a.c includes lua.h' "$(fixture luah \
	'base/x.h=#include <lauxlib.h>' \
	'base/a.c=#include "base/x.h"\nint a(void) { return 0; }')"

dir=$(fixture twocpp 'base/b.c=int b(void) { return 1; }')
echo 'int f() { return 0; }' >"$dir/host/base/extra.cc"
expect_fail "two C++ files" '2 C\+\+ files' "$dir"

dir=$(fixture big 'base/b.c=int b(void) { return 1; }')
for i in $(seq 1 1001); do echo "/* $i */"; done >>"$dir/host/base/b.c"
expect_fail "a file over 1,000 lines" 'host/base/b.c has 1002 lines' "$dir"

[ "$fails" = 0 ] || { echo "$fails case(s) failed"; exit 1; }
