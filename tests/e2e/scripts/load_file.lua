-- load_file.lua — run by load_file.sh in its work directory: loads
-- src/count.bpf.c and src/count.bpf.o with file=, counts this process's
-- openat calls with each, and prints what clang and the verifier say of
-- broken files ("load_file: ..." lines; load_file.test checks them).
local bpf = require "pktlua"
local N = 5
local marker = os.tmpname()

local function count(path)
  local p <close> = bpf.load { file = path, globals = { targ_pid = bpf.pid() } }
  p:attach()
  for _ = 1, N do assert(io.open(marker)):close() end
  print(("load_file: %s count=%d of %d (targ_pid set by globals=)")
    :format(path:match("%.bpf%.[co]$"), p.globals.count, N))
  if path:match("%.o$") then
    local names = {}
    for name in pairs(p.progs) do names[#names + 1] = name end
    print(("load_file: .bpf.o name=%s, programs: %s"):format(p.name, table.concat(names, ",")))
  end
end

count("src/count.bpf.c")
count("src/count.bpf.o")
os.remove(marker)

local function err_of(path)
  local ok, err = pcall(bpf.load, { file = path })
  assert(not ok, path .. " loaded")
  return (tostring(err):gsub("\n.*", ""))
end
print("load_file: clang: " .. err_of("src/broken.bpf.c"))
print("load_file: verifier: " .. err_of("src/oob.bpf.c"))
print("load_file: missing: " .. err_of("src/none.bpf.c"))
local ok, err = pcall(bpf.load, { file = "src/count.bpf.o", cflags = { "-DX" } })
print("load_file: object with cflags: " .. (ok and "loaded" or tostring(err)))
ok, err = pcall(bpf.load, { file = "src/count.bpf.c", src = "int x;" })
print("load_file: src and file: " .. (ok and "loaded" or tostring(err)))
print("load_file: ok")
