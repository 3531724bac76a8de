-- S7 an Okta-style initial sync: every thread is one client that, for each of its users, looks
-- the userName up (GET /Users?filter=userName eq "..."&startIndex=1&count=1, expecting no match)
-- and then creates it (POST /Users, Okta's body with password, expecting 201). Count-bounded;
-- needs one connection per thread (wrk -t N -c N): with one request in flight per thread,
-- requests and answers alternate lookup, create, lookup, ... in order.
-- Arguments: threads= connections= count= (users in all) prefix= (userName prefix)
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local bench = require("bench")

local prefix
local answers = 0

function init(args)
  local options = bench.start(args)
  assert(bench.number("connections") == bench.threads, "sync.lua needs one connection per thread")
  prefix = options.prefix
  local count = bench.number("count")
  -- This client handles users K = thread, thread + threads, ...; two requests each.
  bench.limit(2 * math.max(0, math.ceil((count - bench.thread) / bench.threads)))
  wrk.headers["Content-Type"] = "application/scim+json"
end

function request()
  local n = bench.sending()
  local k = bench.thread + math.floor(n / 2) * bench.threads
  local user_name = prefix .. k .. "@example.com"
  if n % 2 == 1 then
    return wrk.format("POST", "/scim/v2/demo/Users", nil, bench.okta_user(user_name, k, true))
  end
  local filter = bench.url_encode('userName eq "' .. user_name .. '"')
  return wrk.format("GET", "/scim/v2/demo/Users?filter=" .. filter .. "&startIndex=1&count=1")
end

function response(status, _, body)
  local is_create = answers % 2 == 1
  answers = answers + 1
  if is_create then
    local created = status == 201 and bench.contains(body, '"id":"')
    if created then bench.count() end
    bench.check(created, status, body)
  else
    bench.check(status == 200 and bench.contains(body, '"totalResults":0,'), status, body)
  end
end
