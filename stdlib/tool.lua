-- pktlua.tool — what the bundled tools (scripts/) share, so each is short:
-- options with a generated -h, PID/TID/UID/command filters as load-time
-- globals, output as BCC's columns or as JSON lines, BCC's histograms, and
-- the run loop (interval, count, duration, a summary on Ctrl-C).
--
--   local tool = require "pktlua.tool"
--   local t = tool.new {
--     name = "opensnoop", about = "Trace open() syscalls",
--     options = {
--       { "-p", "--pid", "PID", "trace this PID only", type = "int" },
--       { "-x", "--failed", nil, "only show failed opens" },
--     },
--     args = { { "interval", "output interval, in seconds", type = "number" } },
--              (the last argument may take rest = true: every remaining word, a list)
--     examples = { { "opensnoop -p 181", "only trace PID 181" } },
--     notes = "what this tool sees differently from BCC's",
--   }
--   local o = t:parse(arg)             -- o.pid, o.failed, o.interval
--   local p = bpf.load { src = [[...]], globals = t:globals() }  -- -p -> targ_pid
--   local out = t:columns { { "PID", "%-7d", "pid" }, { "PATH", "%s", "path" } }
--   bpf.on(p.maps.events, function(e) out:row(e) end, "struct event")
--   out:header()
--   t:run { duration = o.duration }
--
-- Text goes to stdout, buffered and flushed every 200 ms while the loop
-- runs (and at its end); with --json (after the tool's name, or pktlua --json before -t) each row,
-- histogram and summary is one JSON object per line, and the banners
-- ("Tracing ... Hit Ctrl-C to end.") go to stderr.
local bpf = require "pktlua"
local json = require "pktlua.json"

local M = {}
local T = {}
T.__index = T

-- Ready lines. What a tool says before its loop runs (the header, the
-- "Tracing ... Hit Ctrl-C to end." banner) is held until the loop's first
-- turn: whoever sees it (a user, a test) knows that a Ctrl-C from then on
-- ends the loop as it should (buffered events drained, the summary
-- printed), not the script before its loop (exit 130, nothing drained).
-- Any other output of the tool (a row, a later banner) releases them first.
local held = {}        -- { stream, text } in order; nil once released
local exit_hooked = false

local function release()
  if not held then return end
  local h = held
  held = nil
  for _, l in ipairs(h) do l[1]:write(l[2]) end
  io.stderr:flush()
  io.stdout:flush()
end

-- Print S on STREAM (held before the loop runs); flush.
local function emit(stream, s)
  if held then
    held[#held + 1] = { stream, s }
    return
  end
  release()
  stream:write(s)
  stream:flush()
end

local function die(name, msg)
  io.stderr:write(name, ": ", msg, "\n")
  os.exit(2)
end

-- Option key: "--max-args" -> "max_args".
local function key_of(opt)
  if opt.key then return opt.key end
  local long = opt[2] or opt[1]
  return (long:gsub("^%-+", ""):gsub("%-", "_"))
end

--- A tool: spec has name, about, options, args, examples, notes.
function M.new(spec)
  assert(type(spec.name) == "string", "tool.new: name")
  local t = setmetatable({ name = spec.name, spec = spec }, T)
  t.options = {}
  t.args = spec.args or {}
  for _, o in ipairs(spec.options or {}) do t.options[#t.options + 1] = o end
  t.options[#t.options + 1] = { nil, "--json", nil,
    "print one JSON object per line (as pktlua --json -t " .. spec.name .. ")" }
  -- Every tool can stop by itself (its summary printed, as on Ctrl-C);
  -- tools with BCC's own -d/--duration or a duration argument keep theirs.
  local has_duration = false
  for _, o in ipairs(t.options) do
    if o[2] == "--duration" or o.key == "duration" then has_duration = true end
  end
  for _, a in ipairs(t.args) do
    if (a.key or a[1]) == "duration" then has_duration = true end
  end
  if not has_duration then
    t.options[#t.options + 1] = { nil, "--duration", "SECONDS",
      "stop after SECONDS, as on Ctrl-C (default: run until Ctrl-C)", type = "number" }
  end
  -- Full buffering (a write per event would cost a syscall each): the
  -- header and banners flush when printed (once the loop runs: see held),
  -- T:run flushes every 200 ms and at the end.
  io.stdout:setvbuf("full")
  -- Held lines of a tool whose loop never ran come out as the script ends.
  if not exit_hooked then
    exit_hooked = true
    bpf.at_exit(release)
  end
  return t
end

function T:json()
  return bpf.output == "json"
end

local function optnames(o)
  local s = o[1] and o[2] and (o[1] .. ", " .. o[2]) or (o[1] or o[2])
  if o[3] then s = s .. " " .. o[3] end
  return s
end

--- The usage line, BCC (argparse) style.
function T:usage_line()
  local parts = { "usage: pktlua -t " .. self.name .. " [-h]" }
  for _, o in ipairs(self.options) do
    local s = o[1] or o[2]
    if o[3] then s = s .. " " .. o[3] end
    parts[#parts + 1] = o.required and s or "[" .. s .. "]"
  end
  for _, a in ipairs(self.args) do
    local s = a.rest and a[1] .. " ..." or a[1]
    parts[#parts + 1] = a.required and s or "[" .. s .. "]"
  end
  -- Wrap at 79 columns, continuation lines indented under the name.
  local lines, cur = {}, ""
  local indent = (" "):rep(#("usage: pktlua -t " .. self.name) + 1)
  for i, p in ipairs(parts) do
    local add = (i == 1 and "" or " ") .. p
    if #cur + #add > 79 and cur ~= "" then
      lines[#lines + 1] = cur
      cur = indent .. p
    else
      cur = cur .. add
    end
  end
  lines[#lines + 1] = cur
  return table.concat(lines, "\n")
end

local function help_row(left, text)
  if #left <= 20 then
    return ("  %-22s%s"):format(left, text)
  end
  return ("  %s\n  %-22s%s"):format(left, "", text)
end

--- The whole -h text.
function T:help_text()
  local s = self.spec
  local out = { self:usage_line(), "" }
  if s.about then out[#out + 1] = s.about; out[#out + 1] = "" end
  if #self.args > 0 then
    out[#out + 1] = "positional arguments:"
    for _, a in ipairs(self.args) do out[#out + 1] = help_row(a[1], a[2] or "") end
    out[#out + 1] = ""
  end
  out[#out + 1] = "options:"
  out[#out + 1] = help_row("-h, --help", "show this help message and exit")
  for _, o in ipairs(self.options) do
    local text = o[4] or ""
    if o.default ~= nil and o[3] then text = text .. (" (default: %s)"):format(tostring(o.default)) end
    out[#out + 1] = help_row(optnames(o), text)
  end
  if s.examples and #s.examples > 0 then
    out[#out + 1] = ""
    out[#out + 1] = "examples:"
    local w = 0
    for _, e in ipairs(s.examples) do w = math.max(w, #e[1]) end
    for _, e in ipairs(s.examples) do
      out[#out + 1] = ("    pktlua -t %-" .. w .. "s  # %s"):format(e[1], e[2])
    end
  end
  if s.notes then
    out[#out + 1] = ""
    out[#out + 1] = "notes:"
    for line in (s.notes:gsub("%s+$", "") .. "\n"):gmatch("(.-)\n") do
      out[#out + 1] = line == "" and "" or "  " .. line
    end
  end
  return table.concat(out, "\n") .. "\n"
end

--- Print MSG and the usage line on stderr and exit 2.
function T:fail(msg)
  io.stderr:write(self:usage_line(), "\n", self.name, ": error: ", msg, "\n")
  os.exit(2)
end

local function convert(self, what, typ, v, o)
  if typ == nil or typ == "string" then return v end
  if typ == "int" then
    local n = math.tointeger(tonumber(v))
    if not n or (n < 0 and not o.signed) then
      self:fail(("%s: '%s' is not a%s integer"):format(what, v, o.signed and "n" or " non-negative"))
    end
    return n
  end
  if typ == "number" then
    local n = tonumber(v)
    if not n or n <= 0 then self:fail(("%s: '%s' is not a positive number"):format(what, v)) end
    return n
  end
  if type(typ) == "table" then                       -- a set of choices
    for _, c in ipairs(typ) do if c == v then return v end end
    self:fail(("%s: '%s' is not one of %s"):format(what, v, table.concat(typ, ", ")))
  end
  error("tool: unknown option type " .. tostring(typ))
end

--- Parse ARGV (the script's arg table): options anywhere, "--" ends them,
-- short flags combine (-Tx). Returns a table keyed by option keys and
-- argument names; -h prints the help and exits 0, mistakes exit 2.
function T:parse(argv)
  local res, pos = {}, {}
  local short, long = {}, {}
  for _, o in ipairs(self.options) do
    if o[1] then short[o[1]] = o end
    if o[2] then long[o[2]] = o end
    local k = key_of(o)
    if o.default ~= nil then res[k] = o.default end
    if o.type == "list" then res[k] = {} end
  end
  local function set(o, name, value)
    local k = key_of(o)
    if not o[3] then
      if o.type == "count" then res[k] = (res[k] or 0) + 1 else res[k] = true end
      return
    end
    if o.type == "list" then
      local v = convert(self, name, o.item, value, o)
      table.insert(res[k], v)
    else
      res[k] = convert(self, name, o.type, value, o)
    end
    if o.check then
      local err = o.check(res[k])
      if err then self:fail(name .. ": " .. err) end
    end
  end
  local i, n, only_pos = 1, #argv, false
  while i <= n do
    local a = argv[i]
    if only_pos or a == "-" or a:sub(1, 1) ~= "-" or a:match("^%-%d") and not short[a:sub(1, 2)] then
      pos[#pos + 1] = a
    elseif a == "--" then
      only_pos = true
    elseif a == "-h" or a == "--help" then
      io.stdout:write(self:help_text())
      os.exit(0)
    elseif a:sub(1, 2) == "--" then
      local name, value = a:match("^(%-%-[^=]+)=(.*)$")
      name = name or a
      local o = long[name]
      if not o then self:fail("unrecognized option '" .. name .. "'") end
      if o[3] and value == nil then
        i = i + 1
        value = argv[i]
        if value == nil then self:fail(name .. " needs a value (" .. o[3] .. ")") end
      elseif not o[3] and value ~= nil then
        self:fail(name .. " takes no value")
      end
      set(o, name, value)
    else
      -- -x, -xVALUE, -Tx (flags combined), -Tp123
      local j = 2
      while j <= #a do
        local name = "-" .. a:sub(j, j)
        local o = short[name]
        if not o then self:fail("unrecognized option '" .. name .. "'") end
        if o[3] then
          local value = a:sub(j + 1)
          if value == "" then
            i = i + 1
            value = argv[i]
            if value == nil then self:fail(name .. " needs a value (" .. o[3] .. ")") end
          end
          set(o, name, value)
          break
        end
        set(o, name)
        j = j + 1
      end
    end
    i = i + 1
  end
  for _, o in ipairs(self.options) do
    if o.required and res[key_of(o)] == nil then self:fail((o[1] or o[2]) .. " is required") end
  end
  local last = self.args[#self.args]
  if #pos > #self.args and not (last and last.rest) then
    self:fail("unexpected argument '" .. pos[#self.args + 1] .. "'")
  end
  for k, a in ipairs(self.args) do
    if a.rest then                                   -- the remaining words, a list
      local words = {}
      for j = k, #pos do words[#words + 1] = convert(self, a[1], a.type, pos[j], a) end
      if a.required and #words == 0 then self:fail("missing " .. a[1]) end
      res[a.key or a[1]] = words
    elseif pos[k] ~= nil then
      res[a.key or a[1]] = convert(self, a[1], a.type, pos[k], a)
    elseif a.required then
      self:fail("missing " .. a[1])
    end
  end
  if res.json then bpf.output = "json" end
  self.opts = res
  return res
end

--- The usual filters as bpf.load globals (<pktlua/tool.h>), from parsed
-- options pid, tid, uid, comm, plus the entries of MORE:
--   bpf.load { src = [[...]], globals = t:globals { max_args = o.max_args } }
-- (nil values are simply absent: the knob keeps its default).
function T:globals(more)
  local o = self.opts or {}
  local g = { targ_pid = o.pid, targ_tid = o.tid, targ_uid = o.uid, targ_comm = o.comm }
  for k, v in pairs(more or {}) do g[k] = v end
  return g
end

--- A message for humans: stdout in text mode (as BCC prints it), stderr
-- under --json so stdout stays JSON.
function T:say(fmt, ...)
  local s = select("#", ...) > 0 and fmt:format(...) or fmt
  emit(self:json() and io.stderr or io.stdout, s .. "\n")
end

--- A message for humans on stderr, text or --json: a banner beside output
-- meant for another program (folded stacks, a capture).
function T:note(fmt, ...)
  local s = select("#", ...) > 0 and fmt:format(...) or fmt
  emit(io.stderr, s .. "\n")
end

-- Output columns --------------------------------------------------------

local Out = {}
Out.__index = Out

-- "%-16s" -> width 16, left; "%8.3f" -> 8, right; "%s" -> no width.
local function width_of(fmt)
  local flags, w = fmt:match("^%%([%-]?)(%d*)")
  return tonumber(w), flags == "-"
end

--- Columns: a list of {TITLE, FORMAT, KEY [, fn = formatter, hfmt = the
-- title's format when FORMAT's width or side is not it]} (false or nil
-- entries are skipped, for optional columns). Rows are tables keyed by KEY;
-- FORMAT is a string.format conversion for the value (fn, if given, makes
-- the value printed as text: the JSON keeps the raw value).
function T:columns(cols)
  local idx, list = {}, {}
  for i, c in pairs(cols) do
    if math.type(i) == "integer" and c then idx[#idx + 1] = i end
  end
  table.sort(idx)
  for _, i in ipairs(idx) do list[#list + 1] = cols[i] end
  return setmetatable({ tool = self, cols = list, sep = " " }, Out)
end

--- The header line; under --json none, but "NAME: tracing; Ctrl-C to end"
-- on stderr, so a reader knows the probes are attached.
function Out:header()
  if self.tool:json() then
    emit(io.stderr, self.tool.name .. ": tracing; Ctrl-C to end\n")
    return
  end
  local parts = {}
  for i, c in ipairs(self.cols) do
    local w, left = width_of(c.hfmt or c[2])
    if i == #self.cols and (left or not w) then
      parts[i] = c[1]                          -- no trailing spaces
    elseif w then
      parts[i] = ("%" .. (left and "-" or "") .. w .. "s"):format(c[1])
    else
      parts[i] = c[1]
    end
  end
  emit(io.stdout, table.concat(parts, self.sep) .. "\n")
end

-- The columns as one format (FORMAT per column, SEP between): the common
-- case of a row prints with one string.format call.
local function line_format(cols, sep)
  local f = {}
  for i, c in ipairs(cols) do f[i] = c[2] end
  return table.concat(f, sep) .. "\n"
end

function Out:text(r)
  local parts = {}
  for i, c in ipairs(self.cols) do
    local v = r[c[3]]
    if c.fn then v = c.fn(v, r) end
    local ok, s = pcall(string.format, c[2], v)
    if not ok or v == nil then
      local w, left = width_of(c[2])
      s = ("%" .. (left and "-" or "") .. (w or "") .. "s"):format(v == nil and "-" or tostring(v))
    end
    parts[i] = s
  end
  return table.concat(parts, self.sep)
end

--- One row: a text line of the columns, or under --json the whole record
-- R as one object (every field, whether or not its column is shown; a
-- column's json = fn(v, r) converts its field), plus EXTRA's fields.
-- Output is buffered; the run loop flushes it every 200 ms and at the end.
function Out:row(r, extra)
  if held then release() end
  if self.tool:json() then
    local o = {}
    for k, v in pairs(r) do o[k] = v end
    for _, c in ipairs(self.cols) do
      if c.json then o[c[3]] = c.json(r[c[3]], r) end
    end
    for k, v in pairs(extra or {}) do o[k] = v end
    io.stdout:write(json.encode(o), "\n")
    return
  end
  -- Fast path: every value there, one string.format for the line.
  local cols, vals, n = self.cols, self.vals, #self.cols
  if not self.fmt then
    self.fmt = line_format(cols, self.sep)
    vals = {}
    self.vals = vals
  end
  for i = 1, n do
    local c = cols[i]
    local v = r[c[3]]
    if c.fn then v = c.fn(v, r) end
    if v == nil then
      io.stdout:write(self:text(r), "\n")
      return
    end
    vals[i] = v
  end
  local ok, line = pcall(string.format, self.fmt, table.unpack(vals, 1, n))
  io.stdout:write(ok and line or self:text(r) .. "\n")
end

-- The run loop ------------------------------------------------------------

--- Run until Ctrl-C, DURATION seconds (opts.duration, else the parsed
-- --duration), or COUNT intervals: opts.interval
-- calls opts.tick every INTERVAL seconds; opts.done runs at the end (Ctrl-C
-- or the duration: e.g. the partial interval, a summary), not after the
-- COUNT-th tick. Returns how it ended ("signal", "timeout", "count", "eof").
function T:run(opts)
  opts = opts or {}
  local ticks, by_count = 0, false
  if opts.interval then
    bpf.every(opts.interval, function()
      opts.tick()
      ticks = ticks + 1
      if opts.count and ticks >= opts.count then
        by_count = true
        bpf.stop()
      end
    end)
  end
  local ready = bpf.after(0, release)
  local flusher = bpf.every(0.2, function() io.stdout:flush() end)
  local why = bpf.run(opts.duration or (self.opts and self.opts.duration))
  ready:cancel()
  flusher:cancel()
  release()
  io.stdout:flush()
  if by_count then why = "count" end
  if opts.done and not by_count then opts.done(why) end
  return why
end

--- What starts an interval's report in text, as BCC prints it: a blank
-- line, and with TIMESTAMP the time; nothing under --json.
function T:interval_header(timestamp)
  if self:json() then return end
  print()
  if timestamp then print(("%-8s"):format(os.date("%H:%M:%S"))) end
end

--- The entries of MAP as { k = KEY, v = VALUE }, sorted by LESS (which
-- compares two of them) and removed from MAP: an interval's counts, taken.
function M.take(map, less)
  local rows = {}
  for k, v in pairs(map) do rows[#rows + 1] = { k = k, v = v } end
  for _, r in ipairs(rows) do map[r.k] = nil end
  table.sort(rows, less)
  return rows
end

-- Event patterns (funccount, stackcount) -----------------------------------

--- The tracepoints ("category:name", sorted) of pattern PAT,
-- t:CATEGORY:NAME (or tracepoint:...), each part a glob, or a Lua pattern
-- with REGEXP; fails when tracefs is unreadable, nothing matches, or more
-- than MAX match.
function T:tracepoints(pat, regexp, max)
  local elf = require "pktlua.elf"
  local cat, name = pat:match("^t[a-z]*:([^:]+):(.+)$")
  if not cat then self:fail("a tracepoint pattern is t:CATEGORY:NAME") end
  local f = io.open("/sys/kernel/tracing/available_events") or
            io.open("/sys/kernel/debug/tracing/available_events")
  if not f then
    self:fail("cannot read the list of tracepoints: is tracefs mounted? (mount -t tracefs none /sys/kernel/tracing)")
  end
  local cp = regexp and cat or elf.glob_pattern(cat)
  local np = regexp and name or elf.glob_pattern(name)
  local names = {}
  for line in f:lines() do
    local c, n = line:match("^([^:]+):(.+)$")
    if c and c:match(cp) and n:match(np) then names[#names + 1] = c .. ":" .. n end
  end
  f:close()
  table.sort(names)
  if #names == 0 then self:fail(("no tracepoint matches '%s'"):format(pat)) end
  if #names > max then self:fail(("'%s' matches %d tracepoints: at most %d"):format(pat, #names, max)) end
  return names
end

--- The functions (elf.functions' entries: name, offset) of binary PATH
-- that the GLOB of pattern PAT (LIB:GLOB) matches, or its Lua pattern
-- with REGEXP; fails when PATH cannot be read, nothing matches, or more
-- than 1000 match.
function T:functions(pat, path, regexp)
  local elf = require "pktlua.elf"
  local glob = pat:match(":([^:]+)$")
  local fns = {}
  local ok, err = pcall(function()
    local p = regexp and glob or elf.glob_pattern(glob)
    for _, e in ipairs((elf.functions(path))) do if e.name:match(p) then fns[#fns + 1] = e end end
  end)
  if not ok then self:fail(err) end
  if #fns == 0 then self:fail(("no function in %s matches '%s'"):format(path, glob)) end
  if #fns > 1000 then self:fail(("'%s' matches %d functions: at most 1000"):format(pat, #fns)) end
  return fns
end

-- Formatting helpers ---------------------------------------------------------

--- Wall-clock time as BCC prints it: "HH:MM:SS".
function M.hms()
  return os.date("%H:%M:%S")
end

--- Nanoseconds since the tool's start, for BCC's -t "TIME(s)" column.
local start_ns
function M.mark_start() start_ns = bpf.clock() end
function M.since(ts_ns)
  if not start_ns then start_ns = bpf.clock() end
  return (ts_ns - start_ns) / 1e9
end

local signals = {
  "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
  "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
  "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",
  "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",
  "SIGPWR", "SIGSYS",
}
--- A signal's name ("SIGTERM"; "SIGRTMIN+3"; the number if unknown).
function M.signal_name(n)
  if signals[n] then return signals[n] end
  if n >= 32 and n <= 64 then return n == 32 and "SIGRTMIN" or ("SIGRTMIN+%d"):format(n - 32) end
  return tostring(n)
end
--- A signal's number from "TERM", "SIGTERM" or "15"; nil if unknown.
function M.signal_number(s)
  local n = math.tointeger(tonumber(s))
  if n then return n end
  s = s:upper():gsub("^SIG", "")
  for i, name in ipairs(signals) do if name == "SIG" .. s then return i end end
  return nil
end

local descriptions = {
  "Hangup", "Interrupt", "Quit", "Illegal instruction", "Trace/breakpoint trap",
  "Aborted", "Bus error", "Floating point exception", "Killed", "User defined signal 1",
  "Segmentation fault", "User defined signal 2", "Broken pipe", "Alarm clock",
  "Terminated", "Stack fault", "Child exited", "Continued", "Stopped (signal)",
  "Stopped", "Stopped (tty input)", "Stopped (tty output)", "Urgent I/O condition",
  "CPU time limit exceeded", "File size limit exceeded", "Virtual timer expired",
  "Profiling timer expired", "Window changed", "I/O possible", "Power failure",
  "Bad system call",
}
--- What strsignal(3) says of signal N ("Terminated").
function M.signal_description(n)
  if descriptions[n] then return descriptions[n] end
  if n >= 32 and n <= 64 then return ("Real-time signal %d"):format(n - 32) end
  return ("Unknown signal %d"):format(n)
end

local errnos = {
  "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF",
  "ECHILD", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST",
  "EXDEV", "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY",
  "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE",
}
--- An errno's name ("ENOENT"), or the number as text.
function M.errno_name(n)
  return errnos[n] or tostring(n)
end

--- /proc/loadavg's line ("0.12 0.10 0.05 1/123 4567"); "" if unreadable.
function M.loadavg()
  local f = io.open("/proc/loadavg")
  if not f then return "" end
  local s = f:read("l") or ""
  f:close()
  return s
end

--- A user-space address as "symbol+offset" (bpf.usym), else as hex.
function M.usym(pid, addr)
  if bpf.usym then
    local ok, name, off = pcall(bpf.usym, pid, addr)
    if ok and name then return off and off ~= 0 and ("%s+%d"):format(name, off) or name end
  end
  return ("0x%x"):format(addr)
end

--- A kernel address as "symbol+offset" (bpf.ksym), else as hex.
function M.ksym(addr)
  if bpf.ksym then
    local ok, name, off = pcall(bpf.ksym, addr)
    if ok and name then return off and off ~= 0 and ("%s+%d"):format(name, off) or name end
  end
  return ("0x%x"):format(addr)
end

-- Block devices ---------------------------------------------------------------

local disk_names
--- The name of a disk by its kernel dev_t (major << 20 | minor), from
-- /proc/partitions ("vda", "loop3"); "?" when unknown.
function M.disk_name(dev)
  local major, minor = dev >> 20, dev & 0xfffff
  local function lookup()
    for line in io.lines("/proc/partitions") do
      local ma, mi, name = line:match("^%s*(%d+)%s+(%d+)%s+%d+%s+(%S+)")
      if ma then disk_names[(tonumber(ma) << 20) | tonumber(mi)] = name end
    end
  end
  if not disk_names or not disk_names[dev] then
    disk_names = {}
    pcall(lookup)
  end
  return disk_names[dev] or ("%d:%d"):format(major, minor)
end

--- A disk's dev_t (as tool_rq_dev gives it) from its name ("vda", "/dev/loop3");
-- nil and a message if there is no such disk.
function M.disk_dev(name)
  name = name:gsub("^/dev/", "")
  local f = io.open("/sys/class/block/" .. name .. "/dev")
  if not f then return nil, ("no disk '%s' (see /proc/partitions)"):format(name) end
  local ma, mi = f:read("l"):match("^(%d+):(%d+)")
  f:close()
  return (tonumber(ma) << 20) | tonumber(mi)
end

--- -d DISK as <pktlua/tool.h>'s targ_dev: the disk's dev_t (disk_dev),
-- nil for nil; an unknown disk fails ("-d: no disk 'x' ...").
function T:disk(name)
  if not name then return nil end
  local dev, err = M.disk_dev(name)
  if not dev then self:fail("-d: " .. err) end
  return dev
end

-- tool_rq_flags bits 0..10: __REQ_SYNC .. __REQ_NOWAIT.
local RQ_SYNC, RQ_META, RQ_PRIO, RQ_NOMERGE, RQ_IDLE, RQ_INTEGRITY, RQ_FUA, RQ_PREFLUSH,
      RQ_RAHEAD, RQ_BACKGROUND, RQ_NOWAIT = 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024

--- The kernel's rwbs string ("R", "WS", "FWFS", ...) of tool_rq_flags F.
function M.rwbs(f)
  local op, b = f >> 16, f & 0xffff
  local s = {}
  if b & RQ_PREFLUSH ~= 0 then s[#s + 1] = "F" end
  s[#s + 1] = ({ [0] = "R", "W", "F", "D", nil, "DE" })[op] or "N"
  if b & RQ_FUA ~= 0 then s[#s + 1] = "F" end
  if b & RQ_RAHEAD ~= 0 then s[#s + 1] = "A" end
  if b & RQ_SYNC ~= 0 then s[#s + 1] = "S" end
  if b & RQ_META ~= 0 then s[#s + 1] = "M" end
  return table.concat(s)
end

local flag_names = {
  { RQ_NOWAIT, "NoWait-" }, { RQ_BACKGROUND, "Background-" }, { RQ_RAHEAD, "ReadAhead-" },
  { RQ_PREFLUSH, "PreFlush-" }, { RQ_FUA, "FUA-" }, { RQ_INTEGRITY, "Integrity-" },
  { RQ_IDLE, "Idle-" }, { RQ_NOMERGE, "NoMerge-" }, { RQ_PRIO, "Priority-" },
  { RQ_META, "Metadata-" }, { RQ_SYNC, "Sync-" },
}
local op_names = { [0] = "Read", "Write", "Flush", "Discard", nil, "SecureErase", nil,
  "ZoneAppend", nil, "WriteZeroes" }
--- BCC biolatency -F's spelling of tool_rq_flags F ("Sync-Write").
function M.req_flags(f)
  local op, b = f >> 16, f & 0xffff
  local s = {}
  for _, fn in ipairs(flag_names) do
    if b & fn[1] ~= 0 then s[#s + 1] = fn[2] end
  end
  s[#s + 1] = op_names[op] or "Unknown"
  return table.concat(s)
end

-- TCP -------------------------------------------------------------------------

local tcp_states = { "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
  "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV" }
--- A TCP state's name as BCC prints it ("ESTABLISHED").
function M.tcp_state(n)
  return tcp_states[n] or ("UNKNOWN(%d)"):format(n)
end

local function bytes_of(v, n)
  if type(v) == "string" then return v:sub(1, n) end
  return string.char(table.unpack(v, 1, n))
end
--- An address as text from a tracepoint's family and saddr/saddr_v6
-- fields (byte strings or sequences, as maps and records return them).
function M.inet(family, v4, v6)
  local net = require "pktlua.net"
  if family == 10 then return net.ip(bytes_of(v6, 16)) end
  return net.ip(bytes_of(v4, 4))
end

--- A comma-separated list of ports as a set; nil for nil; raises on junk.
function M.port_set(s)
  if not s then return nil end
  local set = {}
  for item in s:gmatch("[^,]+") do
    local n = math.tointeger(tonumber(item))
    if not n or n < 0 or n > 65535 then error(("'%s' is not a port"):format(item), 0) end
    set[n] = true
  end
  return set
end

--- Option FLAG's VALUE, a comma-separated list of ports, as a set
-- (port_set); nil for nil; a bad port fails as "FLAG: 'x' is not a port".
function T:ports(flag, value)
  local ok, set = pcall(M.port_set, value)
  if not ok then self:fail(flag .. ": " .. set) end
  return set
end

--- -4/-6 as <pktlua/tcp.h>'s target_family: 2 (AF_INET), 10 (AF_INET6),
-- or nil for both; -4 with -6 fails.
function T:ip_family()
  local o = self.opts
  if o.ipv4 and o.ipv6 then self:fail("-4 and -6 go one at a time") end
  return o.ipv4 and 2 or o.ipv6 and 10 or nil
end

-- Counts by key, for the -c summaries (tcpconnect -c, tcpretrans -c).
local Tally = {}
Tally.__index = Tally

--- An empty tally: c:add(KEY, R) counts one under KEY (R, the first
-- record seen with KEY, gives the summary its columns); c:sorted() lists
-- { r = R, n = COUNT }, most first.
function M.tally()
  return setmetatable({ by = {} }, Tally)
end

function Tally:add(key, r)
  local c = self.by[key]
  if not c then
    c = { r = r, n = 0 }
    self.by[key] = c
  end
  c.n = c.n + 1
end

function Tally:sorted()
  local rows = {}
  for _, c in pairs(self.by) do rows[#rows + 1] = c end
  table.sort(rows, function(a, b) return a.n > b.n end)
  return rows
end

--- The local and remote address of event E as text, from the fields
-- <pktlua/tcp.h>'s TCP_ADDRS_COPY fills (family, saddr, saddr_v6, ...).
function M.tcp_addrs(e)
  return M.inet(e.family, e.saddr, e.saddr_v6), M.inet(e.family, e.daddr, e.daddr_v6)
end

--- The addresses of stack ID in a BPF_MAP_TYPE_STACK_TRACE map (read
-- as raw bytes: __u64 each, 0 ends the stack); {} for a negative ID (the
-- kernel could not take the stack) or one no longer in the map.
function M.stack_addrs(map, id)
  if not id or id < 0 then return {} end
  local ok, v = pcall(function() return map[id] end)
  if not ok or not v then return {} end
  local addrs = {}
  if type(v) == "string" then
    for off = 1, #v - 7, 8 do
      local a = string.unpack("<I8", v, off)
      if a == 0 then break end
      addrs[#addrs + 1] = a
    end
  else
    for _, a in ipairs(v) do
      if a == 0 then break end
      addrs[#addrs + 1] = a
    end
  end
  return addrs
end

--- Kernel stack ID of MAP as frame texts ("name+off"), innermost first:
-- through pktlua.stack where pktlua has it (the BPF program's own frames
-- trimmed), else as addresses.
function M.kstack(map, id)
  local ok, stack = pcall(require, "pktlua.stack")
  local out = {}
  if ok then
    for _, f in ipairs(stack.trim_bpf(stack.kernel(map, id))) do out[#out + 1] = stack.frame_text(f) end
    return out
  end
  for _, a in ipairs(M.stack_addrs(map, id)) do out[#out + 1] = M.ksym(a) end
  return out
end

--- User stack ID of MAP for process PID as frame texts, innermost first.
function M.ustack(map, id, pid)
  local ok, stack = pcall(require, "pktlua.stack")
  local out = {}
  if ok then
    for _, f in ipairs(stack.user(map, id, pid)) do out[#out + 1] = stack.frame_text(f) end
    return out
  end
  for _, a in ipairs(M.stack_addrs(map, id)) do out[#out + 1] = M.usym(pid, a) end
  return out
end

-- Histograms ---------------------------------------------------------------

-- Slots of a struct tool_hist as read from a map (a sequence, 1-based:
-- slots[i + 1] counts [2^i, 2^(i+1))), or a table slot -> count.
local function slot_counts(h)
  local vals, max_i = {}, -1
  local src = h.slots or h
  for i, v in pairs(src) do
    local idx = math.tointeger(i)
    if h.slots then idx = idx - 1 end
    if v and v > 0 then
      vals[idx] = v
      if idx > max_i then max_i = idx end
    end
  end
  return vals, max_i
end

local function stars(val, val_max, width)
  local n = math.min(val, val_max) * width // val_max
  return ("*"):rep(n) .. (" "):rep(width - n) .. (val > val_max and "+" or "")
end

--- A log2 histogram as BCC prints it (print_log2_hist): H is a struct
-- tool_hist table ({slots = {...}}) or {[slot] = count}; UNIT names the
-- values ("usecs"). Under --json: one line {"type":"hist","unit":...,
-- "data":[{"low":,"high":,"count":},...]} with EXTRA's fields added.
-- Nothing is printed for an empty histogram (as BCC).
function M.print_log2_hist(h, unit, extra)
  local vals, idx_max = slot_counts(h)
  if bpf.output == "json" then
    local rows = json.array()
    for i = 0, idx_max do
      local low, high = (1 << (i + 1)) >> 1, (1 << (i + 1)) - 1
      if low == high then low = low - 1 end
      rows[#rows + 1] = { low = low, high = high, count = vals[i] or 0 }
    end
    local o = { type = "hist", unit = unit, data = rows }
    for k, v in pairs(extra or {}) do o[k] = v end
    json.line(o)
    return
  end
  if idx_max < 0 then return end
  local val_max = 0
  for _, v in pairs(vals) do if v > val_max then val_max = v end end
  local narrow = idx_max <= 32
  io.stdout:write(("%" .. (narrow and 5 or 15) .. "s%-" .. (narrow and 19 or 29) .. "s : count    distribution\n")
    :format("", unit))
  local width, nstars = narrow and 10 or 20, narrow and 40 or 20
  for i = 0, idx_max do
    local low, high = (1 << (i + 1)) >> 1, (1 << (i + 1)) - 1
    if low == high then low = low - 1 end
    local v = vals[i] or 0
    io.stdout:write(("%" .. width .. "d -> %-" .. width .. "d : %-8d |%s|\n")
      :format(low, high, v, stars(v, val_max, nstars)))
  end
end

--- The histograms of MAP (a hash of <pktlua/tool.h>'s struct tool_comm_hist by a key), as
-- runqlat and cpudist print them, and emptied: one per key in key order,
-- each under "LABEL = KEY COMM" when LABEL is given ("pid", "tid", ...),
-- the time first with opts.timestamp. opts: label, unit, timestamp.
function M.print_keyed_hists(t, map, opts)
  t:interval_header(opts.timestamp)
  for _, r in ipairs(M.take(map, function(a, b) return a.k < b.k end)) do
    local k, h = r.k, r.v
    local extra = { time = opts.timestamp and os.date("%H:%M:%S") or nil }
    if opts.label then
      extra[opts.label] = k
      extra.comm = h.comm
      if not t:json() then print(("\n%s = %d %s"):format(opts.label, k, h.comm)) end
    end
    M.print_log2_hist(h, opts.unit, extra)
  end
end

--- A linear histogram as BCC prints it (print_linear_hist): COUNTS maps a
-- bucket's base value to its count; empty buckets are skipped.
function M.print_linear_hist(counts, unit, extra)
  local keys, val_max = {}, 0
  for k, v in pairs(counts) do
    if v > 0 then keys[#keys + 1] = k end
    if v > val_max then val_max = v end
  end
  table.sort(keys)
  if bpf.output == "json" then
    local rows = json.array()
    for _, k in ipairs(keys) do rows[#rows + 1] = { value = k, count = counts[k] } end
    local o = { type = "hist", unit = unit, data = rows }
    for k, v in pairs(extra or {}) do o[k] = v end
    json.line(o)
    return
  end
  if #keys == 0 then return end
  io.stdout:write(("     %-13s : count     distribution\n"):format(unit))
  for _, k in ipairs(keys) do
    io.stdout:write(("        %-10d : %-8d |%s|\n"):format(k, counts[k], stars(counts[k], val_max, 40)))
  end
end

--- Total count of a histogram table.
function M.hist_total(h)
  local vals = slot_counts(h)
  local s = 0
  for _, v in pairs(vals) do s = s + v end
  return s
end

return M
