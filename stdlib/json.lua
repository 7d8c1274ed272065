-- pktlua.json — JSON text from Lua values, one object per line for jq.
--
--   json.encode(v)  -> string        json.line(v)  prints encode(v) and "\n"
--   json.array(t)   -> t, marked so that an empty t encodes as [] (not {})
--
-- Choices, so output is stable and always valid JSON (RFC 8259):
--  * a table whose keys are exactly 1..n is an array; any other table is an
--    object with its keys sorted (numbers become their decimal text; a table
--    key, such as a BPF struct key, becomes its own compact JSON text);
--  * an empty table is {} unless marked with json.array;
--  * integers print as integers; floats with up to 17 significant digits;
--    NaN and ±inf become null (JSON has no spelling for them);
--  * strings: ", \ and control characters are escaped; valid UTF-8 passes
--    through; each byte that is not part of valid UTF-8 becomes \u00XX (its
--    Latin-1 code point), so binary data never makes the line unparsable;
--  * userdata that pairs() accepts (a BPF map) encodes as an object of its
--    entries, always (a map keyed 1..n is still keyed data, as in bpftrace);
--    functions, threads, other userdata and cycles raise an error.
local M = {}

local array_mt = { __jsontype = "array" }

--- Mark t as an array, so that it encodes as [] even when empty.
function M.array(t)
  return setmetatable(t or {}, array_mt)
end

local short = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
                ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function escape_ascii(s)
  return (s:gsub('[%z\1-\31"\\]', function(c)
    return short[c] or ("\\u%04x"):format(c:byte())
  end))
end

local function quote(s)
  local out, i, n = {}, 1, #s
  while i <= n do
    -- utf8.len is strict: overlongs, surrogates and > U+10FFFF are invalid.
    local ok, bad = utf8.len(s, i)
    if ok then
      out[#out + 1] = escape_ascii(s:sub(i))
      break
    end
    out[#out + 1] = escape_ascii(s:sub(i, bad - 1))
    out[#out + 1] = ("\\u%04x"):format(s:byte(bad))
    i = bad + 1
  end
  return '"' .. table.concat(out) .. '"'
end

local function number(x)
  if math.type(x) == "integer" then return ("%d"):format(x) end
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  local s = ("%.14g"):format(x)
  if tonumber(s) ~= x then s = ("%.17g"):format(x) end
  return s
end

local encode

-- The entries of a table, or of a userdata that pairs() walks (a Map),
-- and whether it is keyed data that must stay an object.
local function entries(v)
  if type(v) == "table" then return v, false end
  local ok, f, s, c = pcall(pairs, v)
  if not ok then error(("json.encode: cannot encode a %s"):format(type(v)), 0) end
  local t = {}
  for k, x in f, s, c do t[k] = x end
  return t, true
end

local function is_array(t)
  local n = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 then return false end
    n = n + 1
  end
  return n == #t and (n > 0 or getmetatable(t) == array_mt)
end

local function key_text(k, seen)
  local tk = type(k)
  if tk == "string" then return k end
  if tk == "number" then return number(k) end
  if tk == "table" or tk == "userdata" then return encode(k, seen) end
  error(("json.encode: cannot use a %s as an object key"):format(tk), 0)
end

function encode(v, seen)
  local tv = type(v)
  if v == nil then return "null" end
  if tv == "boolean" then return tostring(v) end
  if tv == "number" then return number(v) end
  if tv == "string" then return quote(v) end
  if tv ~= "table" and tv ~= "userdata" then
    error(("json.encode: cannot encode a %s"):format(tv), 0)
  end
  if seen[v] then error("json.encode: the value contains a cycle", 0) end
  seen[v] = true
  local t, keyed = entries(v)
  local out = {}
  if not keyed and is_array(t) then
    for i = 1, #t do out[i] = encode(t[i], seen) end
    seen[v] = nil
    return "[" .. table.concat(out, ",") .. "]"
  end
  local keys = {}
  for k, x in pairs(t) do keys[#keys + 1] = { key_text(k, seen), x } end
  table.sort(keys, function(a, b) return a[1] < b[1] end)
  for i, kv in ipairs(keys) do out[i] = quote(kv[1]) .. ":" .. encode(kv[2], seen) end
  seen[v] = nil
  return "{" .. table.concat(out, ",") .. "}"
end

--- The JSON text of v (see the choices above); raises on values JSON lacks.
function M.encode(v)
  local ok, s = pcall(encode, v, {})
  if not ok then error(s, 2) end
  return s
end

--- Print v as one line of JSON on stdout, flushed (a consumer reads live).
function M.line(v)
  local ok, s = pcall(encode, v, {})
  if not ok then error(s, 2) end
  io.stdout:write(s, "\n")
  io.stdout:flush()
end

return M
