-- wrk script of make bench. Each thread cycles through the requests listed in the file named by
-- the first argument (one a line: a path, a tab, one header line), so one run can mix API searches
-- (bearer token) with desk pages (session cookie). done() prints the figures as one JSON line.

local prepared = {}
local counter = 0
local threads = 0

function setup(thread)
  -- Threads start at different places in the list.
  threads = threads + 1
  thread:set("offset", threads * 7)
end

function init(args)
  for line in io.lines(args[1]) do
    local path, name, value = line:match("^([^\t]+)\t([^:]+): (.*)$")
    table.insert(prepared, wrk.format("GET", path, { [name] = value }))
  end
  counter = offset % #prepared
end

function request()
  counter = counter % #prepared + 1
  return prepared[counter]
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "connect_errors": %d, '
      .. '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
