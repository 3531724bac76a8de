-- S2 GET /Users/{id} for random ids of the preloaded directory. Time-bounded.
-- Arguments: threads= ids= (a file of user ids, one per line)
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local bench = require("bench")

local ids

function init(args)
  local options = bench.start(args)
  ids = bench.read_lines(options.ids)
end

function request()
  bench.sending()
  return wrk.format("GET", "/scim/v2/demo/Users/" .. ids[math.random(#ids)])
end

function response(status, _, body)
  bench.check(status == 200 and bench.contains(body, '"userName"'), status, body)
end
