-- The ceiling: GET / from scimd-ceiling, which answers every request with the same SCIM User.
-- Checked like S2 so that wrk does the same work per response for both servers.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local bench = require("bench")

function init(args)
  bench.start(args)
end

function request()
  bench.sending()
  return wrk.format("GET", "/")
end

function response(status, _, body)
  bench.check(status == 200 and bench.contains(body, '"userName"'), status, body)
end
