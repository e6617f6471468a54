-- wrk's report as one JSON line (bench/__main__.py reads it): p50/p95/p99 in microseconds, the
-- requests made, and the errors (an answer of 400 or more counts as a status error).
-- BENCH_METHOD and BENCH_BODY make it a POST (the guest lookup's form).
local method = os.getenv("BENCH_METHOD")
if method then
  wrk.method = method
  wrk.body = os.getenv("BENCH_BODY")
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
