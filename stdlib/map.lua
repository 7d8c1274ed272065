-- pktlua.map — table-style helpers for BPF maps, like Lua's table.*
--
-- Functions, not methods: a Map has no method names that could shadow a key.
-- They work on plain Lua tables too (a snapshot, say).
local M = {}

-- Per-CPU maps read as a sequence per CPU; numeric helpers add them up.
local function number_of(v)
  if type(v) == "number" then return v end
  if type(v) == "table" and #v > 0 and type(v[1]) == "number" then
    local s = 0
    for i = 1, #v do s = s + v[i] end
    return s
  end
  return nil
end

-- A Map's names (m.fd, m:pin(path), m:unpin()) as functions, for every Map:
-- on a map keyed by strings, m.fd reads the entry "fd" instead.
local function method(m, name)
  local mt = getmetatable(m)
  local f = type(mt) == "table" and type(mt.methods) == "table" and mt.methods[name]
  if not f then error(("map.%s: expected a pktlua.Map, got %s"):format(name, type(m)), 3) end
  return f
end

--- The map's file descriptor.
function M.fd(m) return method(m, "fd")(m) end
--- Pin the map at path (in bpffs, /sys/fs/bpf/...): it outlives the script.
function M.pin(m, path) return method(m, "pin")(m, path) end
--- Remove the map's pin.
function M.unpin(m) return method(m, "unpin")(m) end

--- A plain Lua table with every entry of m, read once.
function M.snapshot(m)
  local t = {}
  for k, v in pairs(m) do t[k] = v end
  return t
end

--- Delete every entry (array maps: zero every slot).
function M.clear(m)
  local keys, n = {}, 0
  for k in pairs(m) do n = n + 1; keys[n] = k end
  for i = 1, n do m[keys[i]] = nil end
  return n
end

--- Sum of all values (numbers, or per-CPU sequences of numbers).
-- With field, sums that field of struct values.
function M.sum(m, field)
  local s = 0
  for k, v in pairs(m) do
    if field then v = v[field] end
    local n = number_of(v)
    if n == nil then
      error(("map.sum: value at key %s is a %s, not a number"):format(tostring(k), type(v)), 2)
    end
    s = s + n
  end
  return s
end

--- The n entries with the largest values, as a sequence of {key, value}
-- pairs, largest first (ties: in iteration order). n defaults to 10.
-- With field, ranks struct values by that field.
function M.top(m, n, field)
  n = n or 10
  local all = {}
  for k, v in pairs(m) do
    local score = number_of(field and v[field] or v)
    if score == nil then
      error(("map.top: value at key %s is a %s, not a number"):format(tostring(k), type(v)), 2)
    end
    all[#all + 1] = { k, v, score, #all }
  end
  table.sort(all, function(a, b)
    if a[3] ~= b[3] then return a[3] > b[3] end
    return a[4] < b[4]
  end)
  local out = {}
  for i = 1, math.min(n, #all) do out[i] = { all[i][1], all[i][2] } end
  return out
end

--- The log2 histogram of a map filled by <pktlua/hist.h>, as bpftrace
-- prints it (see pktlua.hist; opts.min/max/step: a linear one).
-- Keys are bucket indexes, for a Map and a snapshot of one alike.
function M.hist(m, opts)
  local hist = require "pktlua.hist"
  local o = { buckets = true }
  if type(opts) == "string" then o.name = opts end
  if type(opts) == "table" then for k, v in pairs(opts) do o[k] = v end end
  if o.step then return hist.linear(m, o.min, o.max, o.step, o) end
  return hist.log2(m, o)
end

return M
