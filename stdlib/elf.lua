-- pktlua.elf — the function symbols of an ELF file, for uprobes by name or
-- by pattern (funccount, funclatency, memleak, ...).
--
--   elf.find(name)              -> a path: "/bin/bash", "bash" (PATH), "libc.so.6",
--                                  "c" (libc.so.6: BCC's "c:malloc" spelling)
--   elf.functions(path)         -> { {name=, addr=, size=, offset=}, ... } sorted by name
--   elf.offset(path, name)      -> the file offset to attach a uprobe at, or nil
--   elf.match(path, pattern)    -> functions whose name matches a glob (* and ?)
--
-- Names lose their symbol version ("pthread_create@@GLIBC_2.34" ->
-- "pthread_create"), one entry per name: libbpf 1.1 refuses a name that two
-- versions share, so tools attach at the offset instead. Only 64-bit
-- little-endian files are read (x86_64, aarch64).
local M = {}

local lib_dirs = {
  "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
}

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

--- A binary or library as a path: paths as they are, "*.so*" names in the
-- library directories, "c" / "pthread" as libc.so.6 / libpthread.so.0, other
-- names in PATH. nil and a message if not found.
function M.find(name)
  if name:find("/", 1, true) then
    if exists(name) then return name end
    return nil, ("'%s': no such file"):format(name)
  end
  local candidates = {}
  if name:find("%.so") then
    candidates = { name }
  elseif not name:find("%.") and #name <= 16 then
    for _, suffix in ipairs { ".so.6", ".so.0", ".so.1", ".so.2", ".so.3", ".so" } do
      candidates[#candidates + 1] = "lib" .. name .. suffix
    end
  end
  for _, c in ipairs(candidates) do
    for d in (os.getenv("LD_LIBRARY_PATH") or ""):gmatch("[^:]+") do
      if exists(d .. "/" .. c) then return d .. "/" .. c end
    end
    for _, d in ipairs(lib_dirs) do
      if exists(d .. "/" .. c) then return d .. "/" .. c end
    end
  end
  for d in (os.getenv("PATH") or "/usr/local/bin:/usr/bin:/bin"):gmatch("[^:]+") do
    if exists(d .. "/" .. name) then return d .. "/" .. name end
  end
  return nil, ("'%s' not found (in PATH or the library directories)"):format(name)
end

local cache = {}

local function read_at(f, off, n)
  f:seek("set", off)
  local s = f:read(n)
  if not s or #s < n then error("truncated ELF file", 0) end
  return s
end

local function parse(path)
  local f, err = io.open(path, "rb")
  if not f then error(err, 0) end
  local ok, res = pcall(function()
    local h = read_at(f, 0, 64)
    if h:sub(1, 4) ~= "\127ELF" then error(path .. ": not an ELF file", 0) end
    if h:byte(5) ~= 2 or h:byte(6) ~= 1 then error(path .. ": not a 64-bit little-endian ELF file", 0) end
    local phoff, shoff = string.unpack("<I8I8", h, 33)
    local phentsize, phnum, shentsize, shnum = string.unpack("<HHHH", h, 55)
    -- Executable PT_LOAD segments: address -> file offset.
    local loads = {}
    for i = 0, phnum - 1 do
      local ph = read_at(f, phoff + i * phentsize, 56)
      local ptype, pflags, poff, vaddr, _, filesz = string.unpack("<I4I4I8I8I8I8", ph)
      if ptype == 1 and pflags & 1 ~= 0 then
        loads[#loads + 1] = { vaddr = vaddr, off = poff, size = filesz }
      end
    end
    local sections = {}
    for i = 0, shnum - 1 do
      local sh = read_at(f, shoff + i * shentsize, 64)
      local name, stype, _, _, off, size, link, _, _, entsize = string.unpack("<I4I4I8I8I8I8I4I4I8I8", sh)
      sections[i] = { type = stype, off = off, size = size, link = link, entsize = entsize }
    end
    local funcs = {}
    for _, sec in pairs(sections) do
      if (sec.type == 2 or sec.type == 11) and sec.entsize == 24 then   -- SYMTAB, DYNSYM
        local strs = sections[sec.link]
        local strtab = read_at(f, strs.off, strs.size)
        local data = read_at(f, sec.off, sec.size)
        for pos = 1, #data - 23, 24 do
          local st_name, info, _, shndx, value, size = string.unpack("<I4BBHI8I8", data, pos)
          if info & 0xf == 2 and shndx ~= 0 and value ~= 0 then         -- STT_FUNC, defined
            local name = strtab:match("^[^%z]*", st_name + 1)
            local base, at = name:match("^([^@]+)(@*)")
            if base then
              local e = funcs[base]
              -- The default version (@@) or an unversioned name wins.
              if not e or (at ~= "@" and e.at == "@") then
                funcs[base] = { name = base, addr = value, size = size, at = at }
              end
            end
          end
        end
      end
    end
    local list = {}
    for _, e in pairs(funcs) do
      for _, l in ipairs(loads) do
        if e.addr >= l.vaddr and e.addr < l.vaddr + l.size then
          e.offset = e.addr - l.vaddr + l.off
          break
        end
      end
      e.at = nil
      if e.offset then list[#list + 1] = e end
    end
    table.sort(list, function(a, b) return a.name < b.name end)
    return list
  end)
  f:close()
  if not ok then error(res, 0) end
  return res
end

--- The defined functions of PATH, sorted by name (cached per path).
function M.functions(path)
  local c = cache[path]
  if not c then
    local list = parse(path)
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
