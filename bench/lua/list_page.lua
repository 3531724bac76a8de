-- S6 index paging deep in the directory: GET /Users?startIndex=K&count=100 with K random in the
-- last tenth of the directory (so every page is full). Time-bounded.
-- Arguments: threads= users= (how many users the directory holds)
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local bench = require("bench")

local PAGE = 100
local deepest, shallowest

function init(args)
  bench.start(args)
  local users = bench.number("users")
  deepest = users - PAGE + 1
  shallowest = math.max(1, math.floor(users * 0.9))
end

function request()
  bench.sending()
  local start_index = math.random(shallowest, deepest)
  return wrk.format("GET", "/scim/v2/demo/Users?startIndex=" .. start_index .. "&count=" .. PAGE)
end

function response(status, _, body)
  bench.check(status == 200 and bench.contains(body, '"itemsPerPage":100,'), status, body)
end
