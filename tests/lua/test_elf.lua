-- require "pktlua.elf" (pktlua.symbols' functions and find): the functions of
-- files this test builds, against what readelf says of them (file offsets
-- through the executable LOAD segment, symbol versions, IFUNCs); and "c"
-- found where ldconfig -p says libc.so.6 is. No root needed.
local t = require "testlib"
local elf = require "pktlua.elf"

local function sh(cmd)
  local f = assert(io.popen(cmd .. " 2>&1"))
  local out = f:read("a")
  local ok = f:close()
  return ok and out, out
end

for _, tool in ipairs { "cc", "readelf", "objcopy" } do
  if not sh("command -v " .. tool) then
    print("SKIPPED: " .. tool .. " is not installed: the test builds its ELF files with it")
    os.exit(77)
  end
end

local dir = assert(sh("mktemp -d /tmp/pl_elf_XXXXXX")):gsub("%s+$", "")
-- A non-PIE executable (its text's addresses are not its file offsets), a
-- shared library whose pl_v has two versions at two addresses (the old one
-- defined first), an IFUNC, a weak and a local function, and the library
-- stripped to its .dynsym (versions from .gnu.version only).
local src = [[
__attribute__((noinline)) int pl_one(int x) { return x * 3 + 1; }
__attribute__((noinline)) int pl_two(int x) { return pl_one(x) ^ 5; }
__attribute__((noinline)) static int pl_local(int x) { return pl_two(x) - 1; }
__attribute__((noinline, weak)) int pl_weak(int x) { return x + 7; }
int main(int argc, char **argv) { (void)argv; return pl_local(argc) + pl_weak(argc); }
]]
local lib_src = [[
__asm__(".symver pl_v_old, pl_v@PL_1");
__asm__(".symver pl_v_new, pl_v@@PL_2");
__attribute__((noinline)) int pl_v_old(int x) { return x + 1; }
__attribute__((noinline)) int pl_v_new(int x) { return x + 2; }
static int pl_impl(int x) { return x; }
static void *pl_resolve(void) { return (void *)pl_impl; }
int pl_ifn(int x) __attribute__((ifunc("pl_resolve")));
int pl_call(int x) { return pl_ifn(x) + pl_v_new(x); }
]]
local function write(name, text)
  local f = assert(io.open(dir .. "/" .. name, "w"))
  f:write(text)
  f:close()
end
write("exe.c", src)
write("lib.c", lib_src)
write("lib.map", "PL_1 { local: pl_impl; };\nPL_2 { global: pl_call; } PL_1;\n")
local exe, lib, stripped = dir .. "/exe", dir .. "/libpl_elf.so.1", dir .. "/libpl_elf_stripped.so.1"
local ok, out = sh(("cc -O1 -no-pie -fno-pie -o %s %s/exe.c && cc -O1 -shared -fPIC -Wl,--version-script=%s/lib.map -o %s %s/lib.c && objcopy --strip-all %s %s")
  :format(exe, dir, dir, lib, dir, lib, stripped))
if not ok then
  os.execute("rm -rf " .. dir)
  error("building the test's ELF files failed:\n" .. out)
end

-- What readelf says: the executable LOAD segments, and each defined FUNC
-- symbol as name (versions kept, as readelf prints them), value, size.
local function readelf(path)
  local segs, syms = {}, {}
  for line in assert(sh("readelf -W -l " .. path)):gmatch("[^\n]+") do
    local off, vaddr, filesz, flags = line:match("^%s*LOAD%s+0x(%x+)%s+0x(%x+)%s+0x%x+%s+0x(%x+)%s+0x%x+%s+(.-)%s+0x%x+$")
    if off and flags:find("E") then
      segs[#segs + 1] = { off = tonumber(off, 16), vaddr = tonumber(vaddr, 16), size = tonumber(filesz, 16) }
    end
  end
  for line in assert(sh("readelf -W -s " .. path)):gmatch("[^\n]+") do
    local value, size, ty, bind, ndx, name = line:match("^%s*%d+:%s+(%x+)%s+(%d+)%s+(%S+)%s+(%S+)%s+%S+%s+(%S+)%s+(%S+)")
    if value and (ty == "FUNC" or ty == "IFUNC") and ndx ~= "UND" and tonumber(value, 16) ~= 0 then
      local addr = tonumber(value, 16)
      local offset
      for _, s in ipairs(segs) do
        if addr >= s.vaddr and addr < s.vaddr + s.size then offset = addr - s.vaddr + s.off end
      end
      syms[#syms + 1] = { name = name, addr = addr, size = tonumber(size), type = ty, bind = bind, offset = offset }
    end
  end
  return syms
end

-- The functions pktlua.elf must list, by name: FUNCs (not IFUNCs), version
-- stripped, the default version (NAME@@V or unversioned) over NAME@V.
local function expected(path)
  local want = {}
  for _, s in ipairs(readelf(path)) do
    local base, at = s.name:match("^([^@]+)(@*)")
    if s.type == "FUNC" and s.offset then
      local w = want[base]
      local old = at == "@"
      if not w or (w.old and not old) then
        want[base] = { name = base, addr = s.addr, size = s.size, offset = s.offset, old = old }
      end
    end
  end
  for _, w in pairs(want) do w.old = nil end
  return want
end

local function check_functions(path)
  local list, byname = elf.functions(path)
  local want = expected(path)
  local got = {}
  for i, e in ipairs(list) do
    if i > 1 then assert(list[i - 1].name < e.name, "sorted by name, one per name") end
    got[e.name] = e
  end
  t.same(got, want, path)
  assert(byname.pl_ifn == nil, "an IFUNC is not listed")
  return byname
end

local tests = {}

function tests.executable_offsets_from_the_load_segment()
  local byname = check_functions(exe)
  for _, name in ipairs { "pl_one", "pl_two", "pl_local", "pl_weak", "main" } do
    assert(byname[name], name .. " listed")
    -- Not PIE: the address is the offset plus the segment's base.
    assert(byname[name].offset ~= byname[name].addr, name .. ": offset differs from address")
    t.eq(elf.offset(exe, name), byname[name].offset, name .. " offset")
  end
  t.eq(elf.offset(exe, "pl_no_such_function"), nil, "a missing name")
  local names = {}
  for _, e in ipairs(elf.match(exe, "pl_?n?")) do names[#names + 1] = e.name end
  t.same(names, { "pl_one" }, "glob pl_?n?")
  names = {}
  for _, e in ipairs(elf.match(exe, "pl_*o*")) do names[#names + 1] = e.name end
  t.same(names, { "pl_local", "pl_one", "pl_two" }, "glob pl_*o*")
end

function tests.versions_default_wins()
  for _, path in ipairs { lib, stripped } do
    local byname = check_functions(path)
    -- The ground truth by version name, from the unstripped file's .symtab.
    local new
    for _, s in ipairs(readelf(lib)) do if s.name == "pl_v@@PL_2" then new = s end end
    assert(new, "readelf shows pl_v@@PL_2")
    t.eq(byname.pl_v and byname.pl_v.offset, new.offset, path .. ": pl_v is pl_v@@PL_2")
  end
end

function tests.errors()
  t.checkerr(dir .. "/exe.c: not an ELF file", elf.functions, dir .. "/exe.c")
  t.checkerr(dir .. "/nope: No such file or directory", elf.offset, dir .. "/nope", "main")
end

function tests.find_like_ldconfig_and_path()
  local want
  for line in (sh("ldconfig -p") or ""):gmatch("[^\n]+") do
    want = want or line:match("^%s*libc%.so%.6 %(libc6,x86%-64[^)]*%) => (%S+)")
      or line:match("^%s*libc%.so%.6 %(libc6,AArch64[^)]*%) => (%S+)")
  end
  if want then
    for _, name in ipairs { "c", "libc", "libc.so.6" } do t.eq(elf.find(name), want, name) end
  else
    print("note: ldconfig -p shows no libc.so.6 of this ABI: \"c\" is not checked")
  end
  t.eq(elf.find("sh"), (assert(sh("command -v sh")):gsub("%s+$", "")), "sh in PATH")
  t.eq(elf.find(exe), exe, "a path")
  local p, err = elf.find(dir .. "/nope")
  t.eq(p, nil, "a missing path")
  t.eq(err, ("'%s/nope': no such file"):format(dir), "its message")
  p, err = elf.find("pl_elf_no_such_binary")
  t.eq(err, "'pl_elf_no_such_binary' not found in PATH, the library directories or the ld.so cache", "not found")
end

-- t.run ends the process: remove the files first.
local exit = os.exit
os.exit = function(...) os.execute("rm -rf " .. dir); exit(...) end
t.run(tests)
