#!/usr/bin/env bash
# check-house.sh — check the rules of host/ (host/README.md) on a built tree:
#
#   1. lua.h, lauxlib.h and lualib.h are included, directly or through a
#      project header, only by files under host/lua/;
#   2. no circle of calls between files: file A calls into B when A's object
#      leaves a symbol undefined that B's object defines (nm, so it is what
#      the linker sees, not what the text seems to say);
#   3. no folder calls into a folder above it: the folders of host/README.md's
#      table, in its order, are the layers from the bottom up;
#   4. exactly one C++ file in the repository (the clang shim);
#   5. no file in host/ over MAX_LINES lines.
#
#   tools/check-house.sh [BUILD_DIR]          (default build/)
#   HOUSE_ROOT=dir tools/check-house.sh OBJDIR   check another tree (the tests)
#
# Prints every broken rule and exits 1; prints a summary and exits 0 otherwise.
set -euo pipefail

root=${HOUSE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
build=${1:-$root/build}
max_lines=${MAX_LINES:-1000}
host=$root/host
objdir=$build/host/CMakeFiles
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

broken() { echo "check-house: $*" >&2; fail=1; }

[ -d "$host" ] || { echo "check-house: no host/ under $root" >&2; exit 2; }
[ -f "$host/README.md" ] || { echo "check-house: no host/README.md (the folder table)" >&2; exit 2; }

# The layers: "| `name/` | ..." rows of host/README.md, bottom first.
grep -oE '^\| *`[a-z_]+/`' "$host/README.md" | sed -E 's/^\| *`([a-z_]+)\/`/\1/' >"$tmp/layers"
[ -s "$tmp/layers" ] || { echo "check-house: host/README.md has no folder table" >&2; exit 2; }

(cd "$host" && find . -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \) | sed 's#^\./##' | sort) >"$tmp/files"

# -- 1. lua.h only under lua/ -------------------------------------------------
# A project header "reaches" Lua when it, or a project header it includes,
# includes one of Lua's headers.
awk -v host="$host" '
function includes(f,    line, n, path) {
	n = 0
	while ((getline line < (host "/" f)) > 0) {
		if (line ~ /^[ \t]*#[ \t]*include[ \t]*<(lua|lauxlib|lualib)\.h>/)
			lua[f] = 1
		else if (match(line, /^[ \t]*#[ \t]*include[ \t]*"[^"]+"/)) {
			path = substr(line, RSTART, RLENGTH)
			sub(/^[^"]*"/, "", path); sub(/"$/, "", path)
			inc[f, ++n] = path
		}
	}
	close(host "/" f)
	ninc[f] = n
}
function reaches(f,    i) {
	if (f in memo) return memo[f]
	memo[f] = lua[f] ? 1 : 0             # a circle of includes ends here
	for (i = 1; i <= ninc[f] && !memo[f]; i++)
		if (reaches(inc[f, i])) memo[f] = 1
	return memo[f]
}
{ files[NR] = $0; includes($0) }
END {
	for (i = 1; i <= NR; i++) {
		f = files[i]
		if (f !~ /^lua\// && reaches(f))
			print f
	}
}' "$tmp/files" >"$tmp/lua_outside"
while read -r f; do
	broken "host/$f includes lua.h (directly or through a header) but is not under host/lua/"
done <"$tmp/lua_outside"

# -- 2, 3. calls between files, from the objects --------------------------------
# One find and two nm runs over every object: a process per file made this
# the slowest test on a busy machine.
find "$objdir" -path '*.dir/*' \( -name '*.c.o' -o -name '*.cpp.o' \) 2>/dev/null |
	awk '{ src = $0; sub(/^.*\.dir\//, "", src); sub(/\.o$/, "", src); if (!(src in seen)) { seen[src] = 1; print src "\t" $0 } }' \
	>"$tmp/objects"
objects=0
: >"$tmp/objlist"
while read -r f; do
	case $f in *.c|*.cpp) ;; *) continue ;; esac
	o=$(awk -F'\t' -v f="$f" '$1 == f { print $2; exit }' "$tmp/objects")
	if [ -z "$o" ]; then
		broken "host/$f: no object under $objdir (build first, or is it in no target?)"
		continue
	fi
	objects=$((objects + 1))
	printf '%s\n' "$o" >>"$tmp/objlist"
done <"$tmp/files"
if [ -s "$tmp/objlist" ]; then
	# nm -A prefixes each line with "OBJECT:"; map it back to the source path.
	{
		xargs -d '\n' nm -A -g --defined-only <"$tmp/objlist" | awk '{ print "D", $1, $NF }'
		xargs -d '\n' nm -A -u <"$tmp/objlist" | awk '{ print "U", $1, $NF }'
	} | awk -v objects="$tmp/objects" '
	BEGIN { FS = " "; while ((getline l < objects) > 0) { split(l, p, "\t"); src[p[2] ":"] = p[1] } }
	{
		o = $2; sub(/:[^:]*$/, ":", o)          # "path.o:0000 T" -> "path.o:"
		if (!(o in src)) next
		print $1, src[o], $3
	}' >"$tmp/symbols"
else
	: >"$tmp/symbols"
fi

awk -v layers="$tmp/layers" '
BEGIN {
	n = 0
	while ((getline l < layers) > 0) rank[l] = ++n
}
function folder(f) { return f ~ /\// ? substr(f, 1, index(f, "/") - 1) : "." }
$1 == "D" { def[$3] = $2; next }
$1 == "U" { use[++nu] = $2 SUBSEP $3; next }
END {
	for (i = 1; i <= nu; i++) {
		split(use[i], p, SUBSEP)
		if (!(p[2] in def) || def[p[2]] == p[1]) continue
		a = p[1]; b = def[p[2]]
		if (!((a, b) in edge)) {
			edge[a, b] = p[2]
			adj[a] = adj[a] " " b
			nodes[a]; nodes[b]
		}
	}
	# Layers: a call may go down or sideways in its own folder, never up.
	for (k in edge) {
		split(k, q, SUBSEP)
		fa = folder(q[1]); fb = folder(q[2])
		if (!(fa in rank) || !(fb in rank)) continue   # reported below
		if (rank[fb] > rank[fa])
			printf "LAYER host/%s calls %s() of host/%s: %s/ is above %s/\n", q[1], edge[k], q[2], fb, fa
	}
	# Circles: Tarjan strongly connected components over the file graph.
	idx = 0; sp = 0
	for (v in nodes) if (!(v in index_of)) scc(v)
	printf "FILES %d\n", length(nodes)
}
function scc(v,    w, i, m, list, comp, c) {
	index_of[v] = low[v] = ++idx
	stack[++sp] = v; on[v] = 1
	m = split(adj[v], list, " ")
	for (i = 1; i <= m; i++) {
		w = list[i]
		if (!(w in index_of)) { scc(w); if (low[w] < low[v]) low[v] = low[w] }
		else if (on[w] && index_of[w] < low[v]) low[v] = index_of[w]
	}
	if (low[v] == index_of[v]) {
		c = 0; comp = ""
		do { w = stack[sp--]; on[w] = 0; c++; comp = comp " host/" w } while (w != v)
		if (c > 1) printf "CIRCLE%s\n", comp
	}
}' "$tmp/symbols" >"$tmp/graph"

while read -r kind rest; do
	case $kind in
	LAYER) broken "$rest" ;;
	CIRCLE) broken "a circle of calls among: $rest" ;;
	FILES) nodes=$rest ;;
	esac
done <"$tmp/graph"

# -- 4. one C++ file ---------------------------------------------------------
(cd "$root" && find . \( -name .git -o -name 'build*' -o -name node_modules \) -prune -o \
	-type f \( -name '*.cpp' -o -name '*.cc' -o -name '*.cxx' -o -name '*.C' \) -print |
	sed 's#^\./##' | sort) >"$tmp/cpp"
ncpp=$(wc -l <"$tmp/cpp")
if [ "$ncpp" -ne 1 ]; then
	broken "$ncpp C++ files, not exactly one (the clang shim):$(tr '\n' ' ' <"$tmp/cpp" | sed 's/^/ /')"
fi

# -- 5. file sizes, and every file in a listed folder ---------------------------
while read -r f; do
	case $f in
	*/*) grep -qx "${f%%/*}" "$tmp/layers" ||
		broken "host/$f: folder ${f%%/*}/ is not in host/README.md's table" ;;
	*) [ "$f" = README.md ] || broken "host/$f is in no folder (host/README.md lists them)" ;;
	esac
	n=$(wc -l <"$host/$f")
	[ "$n" -le "$max_lines" ] || broken "host/$f has $n lines (at most $max_lines: split it by concern)"
done <"$tmp/files"

if [ "$fail" = 0 ]; then
	echo "check-house: ok: $(wc -l <"$tmp/files") files in $(wc -l <"$tmp/layers") layers," \
		"$objects objects, ${nodes:-0} files calling each other with no circle; lua.h only under lua/;" \
		"one C++ file; none over $max_lines lines"
fi
exit "$fail"
