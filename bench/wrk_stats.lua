-- Counts responses by status class in every wrk thread and prints one JSON line at the end,
-- which bench/run.py parses (wrk's own text report rounds and changes units, JSON does not).
--
-- Used as is for the GET endpoints; bench/wrk_join.lua loads it and adds the POST requests.

local threads = {}

-- setup() runs in the main Lua state once per thread: keep the handles so done() can read
-- each thread's counters with thread:get (threads have separate Lua states, no shared memory).
function setup(thread)
   table.insert(threads, thread)
end

-- Per-thread counters (globals, so thread:get can read them).
status_303 = 0     -- "see other": an acknowledged join
status_ok_other = 0 -- any other 2xx/3xx
status_4xx = 0
status_5xx = 0
sent = 0           -- requests built by request(); only the join script counts them

function response(status, headers, body)
   if status == 303 then
      status_303 = status_303 + 1
   elseif status < 400 then
      status_ok_other = status_ok_other + 1
   elseif status < 500 then
      status_4xx = status_4xx + 1
   else
      status_5xx = status_5xx + 1
   end
end

local function total(name)
   local sum = 0
   for _, thread in ipairs(threads) do
      sum = sum + (thread:get(name) or 0)
   end
   return sum
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"duration_us":%d,"requests":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"status":{"303":%d,"ok_other":%d,"4xx":%d,"5xx":%d},"sent":%d,' ..
      '"latency_us":{"p50":%.1f,"p90":%.1f,"p99":%.1f,"max":%.1f,"mean":%.1f}}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      total("status_303"), total("status_ok_other"), total("status_4xx"), total("status_5xx"),
      total("sent"),
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean))
end
