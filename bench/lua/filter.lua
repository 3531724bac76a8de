-- S3 Okta's lookup: GET /Users?filter=userName eq "user<K>@example.com"&startIndex=1&count=1,
-- percent-encoded as Okta sends it, for random K among the preloaded users (each exists once).
-- Time-bounded. Arguments: threads= users= (the preloaded count)
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local bench = require("bench")

local users

function init(args)
  bench.start(args)
  users = bench.number("users")
end

function request()
  bench.sending()
  local filter = string.format('userName eq "user%d@example.com"', math.random(0, users - 1))
  return wrk.format("GET", "/scim/v2/demo/Users?filter=" .. bench.url_encode(filter) .. "&startIndex=1&count=1")
end

function response(status, _, body)
  bench.check(status == 200 and bench.contains(body, '"totalResults":1,'), status, body)
end
