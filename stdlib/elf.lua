-- pktlua.elf — the function symbols of an ELF file, for uprobes by name or
-- by pattern (funccount, funclatency, memleak, ...).
--
--   elf.find(name [, pid])      -> a path: "/bin/bash", "bash" (PATH), "libc.so.6",
--                                  "c" (libc.so.6: BCC's "c:malloc" spelling)
--   elf.functions(path)         -> { {name=, addr=, size=, offset=}, ... } sorted by name
--   elf.offset(path, name)      -> the file offset to attach a uprobe at, or nil
--   elf.match(path, pattern)    -> functions whose name matches a glob (* and ?)
--
-- The work is pktlua.symbols' (host/symbols/: elf_syms.c reads the file,
-- libs.c finds it exactly as uprobe attach{binary=} does). Names lose their
-- symbol version ("pthread_create@@GLIBC_2.34" -> "pthread_create"), one
-- entry per name, the default version first: libbpf 1.1 refuses a name that
-- two versions share, so tools attach at the offset instead.
local symbols = require "pktlua.symbols"

local M = {}

--- A binary or library as a path: paths as they are; with PID, the library
-- that process has mapped; "*.so*" names in the library directories; other
-- names in PATH; then "c" / "pthread" as ld.so.cache has libc.so.6 /
-- libpthread.so.0. nil and a message if not found.
function M.find(name, pid)
  return symbols.find(name, pid)
end

local cache = {}

--- The defined functions of PATH, sorted by name (cached per path), and
-- the same by name. Raises if PATH is not a readable ELF file.
function M.functions(path)
  local c = cache[path]
  if not c then
    local list = symbols.functions(path)
    local byname = {}
    for _, e in ipairs(list) do byname[e.name] = e end
    c = { list = list, byname = byname }
    cache[path] = c
  end
  return c.list, c.byname
end

--- The file offset of function NAME in PATH (for attach{offset=}), or nil.
function M.offset(path, name)
  local _, byname = M.functions(path)
  local e = byname[name]
  return e and e.offset
end

--- A glob ("vfs_*", "pl_?", "*alloc") as an anchored Lua pattern.
function M.glob_pattern(glob)
  return "^" .. glob:gsub("[%^%$%(%)%%%.%[%]%+%-]", "%%%0"):gsub("%*", ".*"):gsub("%?", ".") .. "$"
end

--- The functions of PATH whose names match GLOB.
function M.match(path, glob)
  local pat = M.glob_pattern(glob)
  local out = {}
  for _, e in ipairs((M.functions(path))) do
    if e.name:match(pat) then out[#out + 1] = e end
  end
  return out
end

return M
