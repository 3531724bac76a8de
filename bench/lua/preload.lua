-- Preload: creates users user<K>@example.com for K in [first, first+count), split between the
-- threads, and appends each created id to ids_prefix.<thread>. Count-bounded.
-- The bodies are Okta's minus the password: the preload only fills the directory, and the cost
-- of the password (hashed when scimd stores passwords) is what S1 and S7 measure.
-- Arguments: threads= first= count= ids_prefix=
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local bench = require("bench")

local first, ids_file

function init(args)
  local options = bench.start(args)
  first = bench.number("first")
  local count = bench.number("count")
  -- This thread creates K = first + thread, first + thread + threads, ...
  bench.limit(math.max(0, math.ceil((count - bench.thread) / bench.threads)))
  ids_file = assert(io.open(options.ids_prefix .. "." .. bench.thread, "a"))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/scim+json"
end

function request()
  local k = first + bench.thread + bench.sending() * bench.threads
  return wrk.format(nil, "/scim/v2/demo/Users", nil, bench.okta_user("user" .. k .. "@example.com", k, false))
end

function response(status, _, body)
  local id = status == 201 and body:match('"id":"([^"]+)"')
  if id then
    ids_file:write(id, "\n")
    ids_file:flush()
    bench.count()
  end
  bench.check(id ~= nil, status, body)
end
