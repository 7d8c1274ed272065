-- Ctrl-C while a callback runs. "quick": the callback needs 100 ms more
-- after the signal; it finishes (the record or tick in hand is not lost),
-- then the loop ends. "stuck": the callback never returns; the signal
-- interrupts it within its grace (250 ms) and the loop ends all the same.
local bpf = require "pktlua"
local mode = arg[1]
local finished = false
bpf.at_exit(function() print("finished: " .. tostring(finished)) end)
bpf.after(0.1, function()
  print("in callback") io.stdout:flush()     -- the test sends SIGINT now
  local t = bpf.clock() + (mode == "quick" and 400e6 or math.huge)
  while bpf.clock() < t do end
  finished = true
end)
print("run ended: " .. bpf.run())
