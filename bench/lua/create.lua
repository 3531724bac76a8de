-- S1 durable create: POST /Users with an Okta-shaped body (password included, as Okta sends it).
-- userNames are unique per request: run tag + thread + counter. Time-bounded.
-- Arguments: threads= run= (a tag that differs between runs against one directory)
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local bench = require("bench")

local run_tag

function init(args)
  local options = bench.start(args)
  run_tag = options.run or "s1"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/scim+json"
end

function request()
  local n = bench.sending()
  local user_name = string.format("%s-t%d-%d@example.com", run_tag, bench.thread, n)
  return wrk.format(nil, "/scim/v2/demo/Users", nil, bench.okta_user(user_name, n, true))
end

function response(status, _, body)
  local created = status == 201 and bench.contains(body, '"id":"')
  if created then bench.count() end
  bench.check(created, status, body)
end
