-- POSTs joins: `wrk ... -s bench/wrk_join.lua URL -- PATH CSRF_COOKIE CSRF_TOKEN`.
--
-- No email is sent, so every acknowledged join (303) is a new supporter row; bench/run.py
-- compares the rows added with the 303s counted here.

-- The counters and the JSON report live next to this file; find it wherever wrk was started.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk_stats.lua")

-- A few valid ISO codes, so the joins spread over several countries as real ones would.
local COUNTRIES = { "AZ", "TR", "DE", "FR", "GB", "US", "PK", "KZ", "NL", "IT", "UZ", "GE" }

local prepared = {}
local next_index = 1

function init(args)
   local path, cookie, token = args[1], args[2], args[3]
   local headers = {
      ["Cookie"] = "csrftoken=" .. cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }
   -- Built once per thread: formatting a request on every call would cost wrk CPU that the
   -- server, on the same two cores, needs.
   for i, code in ipairs(COUNTRIES) do
      local body = "csrfmiddlewaretoken=" .. token .. "&country=" .. code .. "&consent=on"
      prepared[i] = wrk.format("POST", path, headers, body)
   end
end

function request()
   sent = sent + 1
   local r = prepared[next_index]
   next_index = next_index % #prepared + 1
   return r
end
