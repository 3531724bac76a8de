-- S4 Okta's deactivate: PATCH /Users/{id} with a path-less replace of active. Each thread walks
-- its share of the preloaded ids; the first pass sets active:false, the next active:true, and so
-- on, so every request is a real change (the preload made every user active). Time-bounded.
-- Arguments: threads= ids= (a file of user ids, one per line)
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local bench = require("bench")

local ids
local bodies = {}

function init(args)
  local options = bench.start(args)
  ids = bench.read_lines(options.ids, bench.threads, bench.thread)
  for _, active in ipairs({ "false", "true" }) do
    bodies[#bodies + 1] = '{"schemas":["' .. bench.PATCH_OP .. '"],' ..
        '"Operations":[{"op":"replace","value":{"active":' .. active .. '}}]}'
  end
  wrk.method = "PATCH"
  wrk.headers["Content-Type"] = "application/scim+json"
end

function request()
  local n = bench.sending()
  local pass = math.floor(n / #ids)
  return wrk.format(nil, "/scim/v2/demo/Users/" .. ids[n % #ids + 1], nil, bodies[pass % 2 + 1])
end

function response(status, _, body)
  bench.check(status == 200 and bench.contains(body, '"active":'), status, body)
end
