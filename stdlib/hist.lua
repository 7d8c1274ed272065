-- pktlua.hist — log2 and linear histograms, printed as bpftrace prints them.
--
--   hist.log2(src [, opts])                 -> text
--   hist.linear(src, min, max, step [, opts]) -> text
--   hist.rows(src [, opts])                 -> { {min=, max=, count=}, ... }
--   hist.print(src [, opts])                -- text, or one JSON line with --json
--   hist.bucket(v), hist.linear_bucket(v, min, max, step) -> bucket index
--
-- src is a BPF map filled by <pktlua/hist.h> (keys are bucket indexes,
-- values counts; per-CPU values are summed), or a plain Lua table: a
-- sequence of values to bucket here, or with opts.buckets = true a table of
-- bucket index -> count (a map.snapshot, say). opts: name (a "@name: "
-- header line, as bpftrace prints), buckets, and for print/rows min, max,
-- step (a linear histogram).
--
-- Bucket indexes are bpftrace's: 0 negative, 1 zero, k >= 2 holds
-- [2^(k-2), 2^(k-1)); linear: 0 below min, i holds [min+(i-1)*step,
-- min+i*step), the last holds max and above.
local M = {}

local BAR = 52          -- bpftrace's bar width

-- Round to a C float: bpftrace computes the bar as count / (float)max * 52
-- in single precision and truncates, so near-integer bars round its way.
local function f32(x) return (string.unpack("f", string.pack("f", x))) end

--- The log2 bucket of v (integers; floats are floored).
function M.bucket(v)
  v = math.floor(v)
  if v < 0 then return 0 end
  if v == 0 then return 1 end
  local r = 0
  while v > 1 do v = v >> 1; r = r + 1 end
  return r + 2
end

--- The linear bucket of v for (min, max, step).
function M.linear_bucket(v, min, max, step)
  if v < min then return 0 end
  if v >= max then return (max - min) // step + 1 end
  return math.floor((v - min) // step) + 1
end

local function count_of(v, k)
  if math.type(v) == "integer" then return v end
  if type(v) == "table" then   -- per-CPU: one count per CPU
    local s = 0
    for i = 1, #v do s = s + v[i] end
    return s
  end
  if type(v) == "number" then return math.floor(v) end
  error(("hist: count at bucket %s is a %s, not a number"):format(tostring(k), type(v)), 3)
end

-- bucket index -> count, from any accepted src.
local function counts(src, opts, bucket_of)
  local c = {}
  if type(src) == "userdata" or opts.buckets then
    for k, v in pairs(src) do
      if math.type(k) ~= "integer" then
        error(("hist: bucket key %s is a %s, not an integer"):format(tostring(k), type(k)), 3)
      end
      local n = count_of(v, k)
      if n ~= 0 then c[k] = (c[k] or 0) + n end
    end
  elseif type(src) == "table" then
    for i = 1, #src do
      local b = bucket_of(src[i])
      c[b] = (c[b] or 0) + 1
    end
  else
    error(("hist: expected a map or a table, got %s"):format(type(src)), 3)
  end
  return c
end

local function range(c)
  local lo, hi, max = nil, nil, 0
  for k, n in pairs(c) do
    if n > 0 then
      lo = (lo == nil or k < lo) and k or lo
      hi = (hi == nil or k > hi) and k or hi
    end
    if n > max then max = n end
  end
  return lo, hi, max
end

-- 2^p with bpftrace's suffix for each factor of 1024 (K, M, G, T, P, E).
local SUFFIX = { "", "K", "M", "G", "T", "P", "E" }
local function pow2_label(p)
  local decade = p // 10
  return ("%d%s"):format(1 << (p - 10 * decade), SUFFIX[decade + 1])
end

local function log2_label(i)
  if i == 0 then return "(..., 0)" end
  if i <= 2 then return ("[%d]"):format(i - 1) end
  return ("[%s, %s)"):format(pow2_label(i - 2), pow2_label(i - 1))
end

-- A linear bound: K/M suffixes only when the step is a multiple of 1024.
local function linear_label(n, step)
  if step % 1024 ~= 0 or n == 0 then return ("%d"):format(n) end
  if n % (1024 * 1024) == 0 then return ("%dM"):format(n // (1024 * 1024)) end
  if n % 1024 == 0 then return ("%dK"):format(n // 1024) end
  return ("%d"):format(n)
end

local function linear_labeler(min, max, step)
  local last = (max - min) // step + 1
  return function(i)
    if i == 0 then return ("(..., %s)"):format(linear_label(min, step)) end
    if i == last then return ("[%s, ...)"):format(linear_label(max, step)) end
    return ("[%s, %s)"):format(linear_label((i - 1) * step + min, step),
                               linear_label(i * step + min, step))
  end
end

local function render(c, label, opts)
  local lo, hi, max = range(c)
  local out = {}
  if opts.name then out[1] = opts.name .. ": \n" end   -- bpftrace's "@x: "
  if not lo then return table.concat(out) end
  for i = lo, hi do
    local n = c[i] or 0
    local bar = math.floor(f32(f32(f32(n) / f32(max)) * BAR))
    out[#out + 1] = ("%-16s%8d |%-52s|\n"):format(label(i), n, ("@"):rep(bar))
  end
  return table.concat(out)
end

local function optstable(opts)
  if type(opts) == "string" then return { name = opts } end
  return opts or {}
end

local function check_linear(min, max, step)
  if math.type(min) ~= "integer" or math.type(max) ~= "integer" or math.type(step) ~= "integer" then
    error("hist.linear: min, max and step must be integers", 3)
  end
  if step <= 0 or max <= min then
    error("hist.linear: needs step > 0 and max > min", 3)
  end
end

--- A log2 histogram as bpftrace's hist() prints it.
function M.log2(src, opts)
  opts = optstable(opts)
  return render(counts(src, opts, M.bucket), log2_label, opts)
end

--- A linear histogram as bpftrace's lhist(v, min, max, step) prints it.
function M.linear(src, min, max, step, opts)
  check_linear(min, max, step)
  opts = optstable(opts)
  local c = counts(src, opts, function(v) return M.linear_bucket(v, min, max, step) end)
  return render(c, linear_labeler(min, max, step), opts)
end

-- Bounds of log2 bucket i, inclusive; 2^63 and above only fit a float.
local function pow2(p) return p >= 63 and 2.0 ^ p or 1 << p end

--- The non-empty span of buckets as rows {min=, max=, count=} (bounds
-- inclusive; the open end of the first/last bucket is left out), as
-- bpftrace's JSON output has them.
function M.rows(src, opts)
  opts = optstable(opts)
  local c, bounds
  if opts.step then
    local min, max, step = opts.min, opts.max, opts.step
    check_linear(min, max, step)
    c = counts(src, opts, function(v) return M.linear_bucket(v, min, max, step) end)
    local last = (max - min) // step + 1
    bounds = function(i)
      if i == 0 then return nil, min - 1 end
      if i == last then return max, nil end
      return (i - 1) * step + min, i * step + min - 1
    end
  else
    c = counts(src, opts, M.bucket)
    bounds = function(i)
      if i == 0 then return nil, -1 end
      if i <= 2 then return i - 1, i - 1 end
      return pow2(i - 2), pow2(i - 1) - 1
    end
  end
  local lo, hi = range(c)
  local rows = {}
  for i = lo or 1, hi or 0 do
    local a, b = bounds(i)
    rows[#rows + 1] = { min = a, max = b, count = c[i] or 0 }
  end
  return rows
end

--- Print the histogram and a blank line (bpftrace's layout), or with
-- `pktlua --json` one line {"type":"hist","data":{NAME:[rows]}}.
function M.print(src, opts)
  opts = optstable(opts)
  if require("pktlua").output == "json" then
    local json = require "pktlua.json"
    local rows = json.array(M.rows(src, opts))
    json.line { type = "hist", data = opts.name and { [opts.name] = rows } or rows }
    return
  end
  local text
  if opts.step then
    text = M.linear(src, opts.min, opts.max, opts.step, opts)
  else
    text = M.log2(src, opts)
  end
  io.stdout:write(text, "\n")
  io.stdout:flush()
end

return M
