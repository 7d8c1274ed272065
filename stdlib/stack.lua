-- pktlua.stack — stack traces from stack-trace maps as frames, as the text
-- bpftrace prints for kstack/ustack, as folded lines, and as SVG flame graphs.
--
--   local stack = require "pktlua.stack"
--   local frames = stack.user(p.maps.stacks, k.ustack, k.pid)
--   io.write(stack.format(frames))           -- "\n    inner+12\n    outer+40\n"
--   stack.flamegraph("cpu.svg", counts)      -- counts: { [frames] = n }
--
-- A frame is { addr =, name =, offset =, module = }: name is nil when the
-- address has no symbol (then offset is the offset in module's file, and
-- module nil when the address is in no mapping). Frames run innermost first.
local symbols = require "pktlua.symbols"

local stack = {}

-- Stack ID of MAP (a BPF_MAP_TYPE_STACK_TRACE map) as kernel frames. A
-- negative ID (bpf_get_stackid failed) or one the map lacks gives {}.
function stack.kernel(map, id)
  if type(id) ~= "number" then error("stack.kernel: stack id must be a number, got " .. type(id), 2) end
  return symbols.kframes(map, id) or {}
end

-- Stack ID of MAP as user frames of process PID (its tgid). The process may
-- have exited: <pktlua/stack.h>'s exit hook kept its mappings.
function stack.user(map, id, pid)
  if type(id) ~= "number" then error("stack.user: stack id must be a number, got " .. type(id), 2) end
  if type(pid) ~= "number" then error("stack.user: pid must be a number, got " .. type(pid), 2) end
  return symbols.uframes(map, id, pid) or {}
end

-- FRAMES without the frames of the BPF program that took the stack and
-- of the kernel code that ran it (bpf_prog_*, bpf_trace_run*, trampolines):
-- a kernel stack taken in a tp_btf/raw_tp program starts with them.
function stack.trim_bpf(frames)
  local first = 1
  while frames[first] and (frames[first].module == "bpf" or (frames[first].name or ""):match("^bpf_trace_run%d")
                           or (frames[first].name or ""):match("^__bpf_trace_")) do
    first = first + 1
  end
  if first == 1 then return frames end
  return table.move(frames, first, #frames, 1, {})
end

-- The addresses of stack ID (trailing zeros dropped), or nil.
function stack.addrs(map, id)
  return symbols.addrs(map, id)
end

local function basename(path)
  return path and (path:match("([^/]+)$") or path) or nil
end

-- One frame as bpftrace prints it: "name+offset" (opts.offsets == false:
-- "name"); without a symbol, the address, and where it is when known.
function stack.frame_text(f, opts)
  if f.name then
    if opts and opts.offsets == false then return f.name end
    return f.name .. "+" .. (f.offset or 0)
  end
  if f.module and f.module ~= "" then
    return ("0x%x (%s+0x%x)"):format(f.addr, basename(f.module), f.offset or 0)
  end
  return ("0x%x"):format(f.addr)
end

-- The text bpftrace prints for kstack/ustack: a newline, then one frame per
-- line, innermost first, each indented (opts.indent spaces, default 4).
function stack.format(frames, opts)
  local indent = string.rep(" ", opts and opts.indent or 4)
  local out = { "" }
  for _, f in ipairs(frames) do out[#out + 1] = indent .. stack.frame_text(f, opts) end
  out[#out + 1] = ""
  return table.concat(out, "\n")
end

-- A frame's name in folded output: its symbol, else [module] or [unknown].
local function folded_name(f)
  local s = f.name or (f.module and f.module ~= "" and "[" .. basename(f.module) .. "]") or "[unknown]"
  return (s:gsub(";", ":"):gsub("%s+$", ""))
end

-- One stack as a folded line's frames: outermost first, joined by ";".
-- STK is a frame sequence, or { user = frames, kernel = frames } (user
-- frames, then kernel frames above them). opts.annotate: kernel frames get
-- "_[k]" (flamegraph.pl colours them apart); opts.prefix: a first frame
-- (a process name, say).
function stack.collapse(stk, opts)
  local parts = {}
  if opts and opts.prefix then parts[1] = opts.prefix end
  local function add(frames, suffix)
    for i = #frames, 1, -1 do parts[#parts + 1] = folded_name(frames[i]) .. suffix end
  end
  if stk.user or stk.kernel then
    add(stk.user or {}, "")
    add(stk.kernel or {}, opts and opts.annotate and "_[k]" or "")
  else
    add(stk, "")
  end
  return table.concat(parts, ";")
end

-- Brendan Gregg's folded format, for flamegraph.pl, speedscope or inferno:
-- one "outer;...;inner COUNT" line per distinct stack, sorted. T maps
-- stacks (frame sequences, { user =, kernel = } tables, or folded strings)
-- to counts; stacks that fold to the same text are added up.
function stack.folded(t, opts)
  local sums, keys = {}, {}
  for k, n in pairs(t) do
    local line = type(k) == "string" and k or stack.collapse(k, opts)
    if line ~= "" then
      if not sums[line] then keys[#keys + 1] = line; sums[line] = 0 end
      sums[line] = sums[line] + n
    end
  end
  table.sort(keys)
  local out = {}
  for i, k in ipairs(keys) do out[i] = k .. " " .. (math.tointeger(sums[k]) or sums[k]) end
  return #out > 0 and table.concat(out, "\n") .. "\n" or ""
end

-- ---- flame graphs ------------------------------------------------------------

local function xml_escape(s)
  return (s:gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
                               ['"'] = "&quot;", ["'"] = "&apos;" }))
end

-- flamegraph.pl's "hot" palette, seeded by the name so colours are stable.
local function colour(name, kernel)
  local h = 0
  for i = 1, math.min(#name, 16) do h = (h * 31 + name:byte(i)) % 1000003 end
  local v1, v2 = (h % 1000) / 1000, ((h // 1000) % 1000) / 1000
  if kernel then
    return ("rgb(%d,%d,%d)"):format(205 + math.floor(50 * v2), 100 + math.floor(100 * v1), 0)
  end
  return ("rgb(%d,%d,%d)"):format(205 + math.floor(50 * v1), math.floor(230 * v2), math.floor(55 * v1))
end

-- Folded text (or a table as stack.folded takes) as a tree of frames.
local function build_tree(src, opts)
  local text = type(src) == "string" and src or stack.folded(src, opts)
  local root = { name = "all", n = 0, kids = {}, order = {} }
  for line in text:gmatch("[^\n]+") do
    local path, n = line:match("^(.*)%s+(%d+)$")
    n = tonumber(n)
    if path and n and n > 0 then
      root.n = root.n + n
      local node = root
      for name in (path .. ";"):gmatch("([^;]*);") do
        local kid = node.kids[name]
        if not kid then
          kid = { name = name, n = 0, kids = {}, order = {} }
          node.kids[name] = kid
          node.order[#node.order + 1] = name
        end
        kid.n = kid.n + n
        node = kid
      end
    end
  end
  return root
end

-- A flame graph as SVG text: outermost frames at the bottom, each frame as
-- wide as its share of the samples, its full name and count in a tooltip.
-- SRC: folded text, or a table as for stack.folded. opts: title, width
-- (default 1200), unit ("samples"), and those of stack.folded.
function stack.svg(src, opts)
  opts = opts or {}
  local root = build_tree(src, opts)
  local width, fh, pad = opts.width or 1200, 16, 10
  local title = opts.title or "Flame Graph"
  local unit = opts.unit or "samples"
  local top, maxdepth = 3 * fh, 0
  local rects = {}
  local total = root.n
  local scale = total > 0 and (width - 2 * pad) / total or 0
  local function walk(node, depth, x)
    if depth > maxdepth then maxdepth = depth end
    rects[#rects + 1] = { node = node, depth = depth, x = x }
    table.sort(node.order)
    for _, name in ipairs(node.order) do
      local kid = node.kids[name]
      if kid.n * scale >= 0.1 then walk(kid, depth + 1, x) end
      x = x + kid.n
    end
  end
  if total > 0 then walk(root, 0, 0) end
  local height = top + (maxdepth + 1) * fh + 2 * fh
  local out = {
    '<?xml version="1.0" standalone="no"?>',
    ('<svg version="1.1" width="%d" height="%d" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg">')
      :format(width, height, width, height),
    '<style>text { font-family: Verdana, sans-serif; font-size: 12px; fill: rgb(0,0,0); }'
      .. ' rect:hover { stroke: black; stroke-width: 0.5; }</style>',
    ('<rect x="0" y="0" width="%d" height="%d" fill="rgb(245,245,230)"/>'):format(width, height),
    ('<text x="%d" y="%d" text-anchor="middle" style="font-size:17px">%s</text>')
      :format(width // 2, fh + 8, xml_escape(title)),
  }
  if total == 0 then
    out[#out + 1] = ('<text x="%d" y="%d" text-anchor="middle">no %s</text>'):format(width // 2, top + fh, unit)
  end
  local bottom = height - 2 * fh
  for _, r in ipairs(rects) do
    local node = r.node
    local x, w = pad + r.x * scale, node.n * scale
    local y = bottom - (r.depth + 1) * fh
    local kernel = node.name:sub(-4) == "_[k]"
    local pct = 100 * node.n / total
    local label = ("%s (%d %s, %.2f%%)"):format(node.name, node.n, unit, pct)
    out[#out + 1] = ('<g><title>%s</title><rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" rx="2" ry="2"/>')
      :format(xml_escape(label), x, y, w, fh - 1, r.depth == 0 and "rgb(200,200,200)" or colour(node.name, kernel))
    -- The name, cut to what fits (about 7 px a character at 12 px).
    local fit = math.floor((w - 6) / 7)
    if fit >= 3 then
      local text = #node.name <= fit and node.name or node.name:sub(1, fit - 2) .. ".."
      out[#out + 1] = ('<text x="%.1f" y="%d">%s</text>'):format(x + 3, y + fh - 4, xml_escape(text))
    end
    out[#out + 1] = "</g>"
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n") .. "\n"
end

-- Write stack.svg(src, opts) to FILE (through a temporary file, renamed:
-- a failed write leaves nothing at FILE). Returns FILE.
function stack.flamegraph(file, src, opts)
  local text = stack.svg(src, opts)
  local tmp = file .. ".tmp"
  local f, err = io.open(tmp, "w")
  if not f then error("stack.flamegraph: " .. err, 2) end
  local ok, werr = f:write(text)
  local cok, cerr = f:close()
  if not ok or not cok then
    os.remove(tmp)
    error("stack.flamegraph: " .. file .. ": " .. tostring(werr or cerr), 2)
  end
  local rok, rerr = os.rename(tmp, file)
  if not rok then
    os.remove(tmp)
    error("stack.flamegraph: " .. tostring(rerr), 2)
  end
  return file
end

-- ---- a profiler's report -------------------------------------------------------

-- What profile and offcputime print at the end, from COUNTS (a map keyed by
-- <pktlua/stack.h>'s struct pktlua_stack_key) and STACKS (its stack map):
-- bpftrace's @[kstack, ustack, comm]: count lines, least frequent first; or,
-- with opts.folded, folded lines; with opts.svg, also a flame graph there;
-- with opts.json, one JSON object a stack instead: {pid, comm, VALUE,
-- kstack, ustack}, frames as names, innermost first (VALUE: opts.value,
-- default "count"; kstack/ustack absent when not taken).
-- opts: user_only, kernel_only, annotate (kernel frames get _[k] when
-- folded), delimited (folded: a "-" frame between user and kernel frames,
-- as BCC), trim (drop the BPF frames of a tp_btf/raw_tp kernel stack), tool
-- and title (the SVG's), unit (the SVG's count unit), json, value.
function stack.report(counts, stacks, opts)
  local rows, folded = {}, {}
  for k, n in pairs(counts) do
    if n > 0 then
      local ks = not opts.user_only and stack.kernel(stacks, k.kstack) or {}
      if opts.trim then ks = stack.trim_bpf(ks) end
      local us = not opts.kernel_only and stack.user(stacks, k.ustack, k.pid) or {}
      rows[#rows + 1] = { k = k, n = n, ks = ks, us = us }
      if opts.delimited and #us > 0 and #ks > 0 then
        us = table.move(us, 1, #us, 2, { { name = "-" } })
      end
      local key = stack.collapse({ user = us, kernel = ks }, { prefix = (k.comm:gsub(";", "_")), annotate = opts.annotate })
      folded[key] = (folded[key] or 0) + n
    end
  end
  if opts.svg then
    stack.flamegraph(opts.svg, folded, { title = opts.title, unit = opts.unit })
    io.stderr:write(opts.tool or "pktlua", ": wrote ", opts.svg, "\n")
  end
  if opts.folded and not opts.json then
    io.write(stack.folded(folded))
    return
  end
  table.sort(rows, function(a, b)
    if a.n ~= b.n then return a.n < b.n end
    return a.k.pid < b.k.pid
  end)
  local json = opts.json and require "pktlua.json"
  local function names(frames)
    local out = json.array()
    for i, f in ipairs(frames) do out[i] = stack.frame_text(f, { offsets = false }) end
    return out
  end
  for _, r in ipairs(rows) do
    if json then
      io.write(json.encode { pid = r.k.pid, comm = r.k.comm, [opts.value or "count"] = r.n,
        kstack = not opts.user_only and names(r.ks) or nil,
        ustack = not opts.kernel_only and names(r.us) or nil }, "\n")
    else
      local parts = {}
      if not opts.user_only then parts[#parts + 1] = stack.format(r.ks) end
      if not opts.kernel_only then parts[#parts + 1] = stack.format(r.us) end
      parts[#parts + 1] = r.k.comm
      io.write("@[", table.concat(parts, ", "), "]: ", r.n, "\n")
    end
  end
end

-- ---- profile and offcputime: what the two tools share ---------------------------

-- Their common options, BCC's names, for pktlua.tool: MORE (the tool's own)
-- come after -p.
function stack.tool_options(more)
  local opts = { { "-p", "--pid", "PID", "trace this PID only", type = "int" } }
  for _, o in ipairs(more) do opts[#opts + 1] = o end
  for _, o in ipairs {
    { "-U", "--user-stacks-only", nil, "show stacks from user space only (no kernel space stacks)" },
    { "-K", "--kernel-stacks-only", nil, "show stacks from kernel space only (no user space stacks)" },
    { "-f", "--folded", nil, "output folded format, one line per stack (for flame graphs)" },
    { "-a", "--annotations", nil, "with -f: add _[k] annotations to kernel frames" },
    { "-d", "--delimited", nil, "with -f: insert delimiter between kernel/user stacks" },
    { nil, "--svg", "FILE", "also write a flame graph (SVG) to FILE" },
    { nil, "--stack-storage-size", "N", "the number of unique stack traces that can be stored and displayed",
      type = "int", default = 16384, check = function(n) return n < 1 and "must be at least 1" or nil end },
  } do opts[#opts + 1] = o end
  return opts
end

-- The parsed options O of T checked (-U with -K, a -p of no process); the
-- <pktlua/stack.h> PKTLUA_STACK_* bits they ask for, and how the banner
-- says it ("PID 42 by kernel stack").
function stack.tool_check(t, o)
  if o.user_stacks_only and o.kernel_stacks_only then t:fail("-U and -K do not go together") end
  if o.pid then
    local f = io.open("/proc/" .. o.pid .. "/stat")
    if not f then t:fail("no process " .. o.pid) end
    f:close()
  end
  local which = o.user_stacks_only and 2 or o.kernel_stacks_only and 1 or 3
  local what = ("%s by %s stack"):format(o.pid and "PID " .. o.pid or "all threads",
    ({ "kernel", "user", "user + kernel" })[which])
  return which, what
end

-- The report of a tool T with options O (as stack.report: counts, stacks,
-- and the tool's own opts: title, unit, value, trim).
function stack.tool_report(t, o, counts, stacks, opts)
  local all = { user_only = o.user_stacks_only, kernel_only = o.kernel_stacks_only,
    annotate = o.annotations, delimited = o.delimited, folded = o.folded, svg = o.svg,
    tool = t.name, json = t:json() }
  for k, v in pairs(opts) do all[k] = v end
  stack.report(counts, stacks, all)
end

return stack
