-- wrk's report as one JSON line (bench/__main__.py reads it): p50/p95/p99 in microseconds, the
-- requests made, and the errors (an answer of 400 or more counts as a status error).
-- BENCH_METHOD and BENCH_BODY make it a POST (the guest lookup's form).
-- BENCH_LIST names a file of POSTs, one a line: cookie, path and body, tab-separated (the
-- create-return confirms bench/prepare.py writes, each usable once). Each thread sends its
-- share in turn, one line each; an answer that is not a redirect to BENCH_EXPECT (a list used
-- up, a refused confirm) counts as an "unexpected" error.
local method = os.getenv("BENCH_METHOD")
if method then
  wrk.method = method
  wrk.body = os.getenv("BENCH_BODY")
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

local list_file = os.getenv("BENCH_LIST")
local expect = os.getenv("BENCH_EXPECT") or ""
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "2")  -- wrk's -t
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)  -- numbered from 1
end

local entries = {}
local next_entry = 1
unexpected = 0

init = function(args)
  if not list_file then
    return
  end
  local index = 0
  for line in io.lines(list_file) do
    -- this thread takes lines id, id + threads, id + 2 threads, ...
    if index % thread_count == id - 1 then
      local cookie, path, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      for name, value in pairs(wrk.headers) do
        headers[name] = value
      end
      headers["Cookie"] = cookie
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      headers["Referer"] = "https://" .. wrk.headers["Host"] .. path
      table.insert(entries, wrk.format("POST", path, headers, body))
    end
    index = index + 1
  end
end

if list_file then
  request = function()
    -- past the end, the last line again: refused (its draft is gone), so counted unexpected
    local entry = entries[math.min(next_entry, #entries)]
    next_entry = next_entry + 1
    return entry
  end

  response = function(status, headers, body)
    local location = headers["Location"] or ""
    if status ~= 302 or location:sub(1, #expect) ~= expect then
      unexpected = unexpected + 1
    end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local wrong = 0
  for _, thread in ipairs(threads) do
    wrong = wrong + (thread:get("unexpected") or 0)
  end
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"unexpected": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout, wrong))
end
