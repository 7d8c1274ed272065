-- testlib.lua — helpers for the Lua API tests (after Lua's testes/ and luv).
local M = { passed = 0, failed = 0 }

-- Skip (exit 77, which ctest shows as "Not Run") unless we are root.
function M.require_root()
  local id = io.popen("id -u"):read("l")
  if id ~= "0" then
    print("SKIPPED: loading BPF programs needs root")
    os.exit(77)
  end
end

-- f(...) must raise an error whose message contains msg (plain text).
function M.checkerr(msg, f, ...)
  local ok, err = pcall(f, ...)
  err = tostring(err)
  if ok then error(("expected an error containing %q, got none"):format(msg), 2) end
  if not err:find(msg, 1, true) then
    error(("expected an error containing %q, got %q"):format(msg, err), 2)
  end
  return err
end

-- A callback that must be called (exactly n times, when n is given) before
-- M.done(); returns the wrapper to pass where the callback goes.
local expectations = {}
function M.expect(cb, n, what)
  local e = { calls = 0, n = n, what = what or debug.traceback("expectation", 2) }
  expectations[#expectations + 1] = e
  return function(...)
    e.calls = e.calls + 1
    if cb then return cb(...) end
  end
end

function M.eq(a, b, what)
  if a ~= b then
    error(("%s: expected %s, got %s"):format(what or "value", tostring(b), tostring(a)), 2)
  end
end

-- Deep equality of plain tables.
function M.same(a, b, path)
  path = path or "value"
  if type(a) ~= "table" or type(b) ~= "table" then
    if a ~= b then
      error(("%s: expected %s, got %s"):format(path, tostring(b), tostring(a)), 2)
    end
    return
  end
  for k, v in pairs(b) do M.same(a[k], v, path .. "." .. tostring(k)) end
  for k in pairs(a) do
    if b[k] == nil then error(("%s.%s: unexpected"):format(path, tostring(k)), 2) end
  end
end

-- Run named test functions; print a summary line; exit non-zero on failure.
function M.run(tests)
  local names = {}
  for name in pairs(tests) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local ok, err = xpcall(tests[name], debug.traceback)
    if ok then
      for _, e in ipairs(expectations) do
        if e.calls == 0 or (e.n and e.calls ~= e.n) then
          ok, err = false, ("callback called %d times, expected %s: %s")
            :format(e.calls, e.n or ">0", e.what)
        end
      end
    end
    expectations = {}
    if ok then
      M.passed = M.passed + 1
      print("ok   " .. name)
    else
      M.failed = M.failed + 1
      print("FAIL " .. name .. ": " .. tostring(err))
    end
  end
  print(("%d passed, %d failed"):format(M.passed, M.failed))
  os.exit(M.failed == 0 and 0 or 1)
end

return M
