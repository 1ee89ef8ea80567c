-- bench/web's wrk script: cycle through the paths in $BENCH_PATHS (one per line) with the
-- session cookie in $BENCH_COOKIE; at the end print one JSON line with the figures.
local paths = {}
local file = io.open(os.getenv("BENCH_PATHS"), "r")
for line in file:lines() do
  if line ~= "" then table.insert(paths, line) end
end
file:close()
local cookie = os.getenv("BENCH_COOKIE") or ""
local counter = 0

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

local i = 0
function request()
  i = i + 1
  local path = paths[((i + (offset or 0) * 7) % #paths) + 1]
  local headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
