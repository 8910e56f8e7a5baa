-- Mixed traffic for bench/soak.sh: mostly healthy calls, with failures of every kind the
-- policies handle (upstream errors, resets, slow calls, retries), cycled in a fixed order.
local paths = {
  "/get", "/get", "/get", "/hello", "/hello",
  "/flaky",                       -- every other upstream call fails: retried
  "/status/503",                  -- passed through, counts against the breaker
  "/reset",                       -- upstream drops the connection: 502 or retried
  "/delay/20",                    -- a slow call
  "/bytes/20000",                 -- a larger body
  "/partial",                     -- truncated upstream body
  "/post",
}
local i = 0
request = function()
  i = i % #paths + 1
  local path = paths[i]
  if path == "/post" then
    return wrk.format("POST", "/echo", { ["Content-Type"] = "text/plain" }, string.rep("x", 512))
  end
  return wrk.format("GET", path)
end
