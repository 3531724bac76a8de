-- S6 cursor paging (RFC 9865) deep in the directory: GET /Users?cursor=C&count=100 with C random
-- among cursors that bench/run collected by walking the directory's last tenth. Time-bounded.
-- Arguments: threads= cursors= (a file of percent-encoded cursors, one per line)
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local bench = require("bench")

local cursors

function init(args)
  local options = bench.start(args)
  cursors = bench.read_lines(options.cursors)
end

function request()
  bench.sending()
  return wrk.format("GET", "/scim/v2/demo/Users?cursor=" .. cursors[math.random(#cursors)] .. "&count=100")
end

function response(status, _, body)
  bench.check(status == 200 and bench.contains(body, '"Resources":[{'), status, body)
end
