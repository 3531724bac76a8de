-- S5 one group growing by single-member adds: PATCH /Groups/{group} with
-- {"op":"add","path":"members","value":[{"value":ID}]} for the ids on lines [from, to) of the ids
-- file, split between the threads. Count-bounded: bench/run runs it for the first 1k, the bulk,
-- and the last 1k of the group's members, and takes each part's rate.
-- Arguments: threads= group= ids= from= to=
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local bench = require("bench")

local path
local members = {}  -- the ids this thread adds

function init(args)
  local options = bench.start(args)
  path = "/scim/v2/demo/Groups/" .. options.group
  local all = bench.read_lines(options.ids)
  for i = bench.number("from") + bench.thread, bench.number("to") - 1, bench.threads do
    members[#members + 1] = all[i + 1]
  end
  bench.limit(#members)
  wrk.method = "PATCH"
  wrk.headers["Content-Type"] = "application/scim+json"
end

function request()
  local n = bench.sending()
  local body = '{"schemas":["' .. bench.PATCH_OP .. '"],' ..
      '"Operations":[{"op":"add","path":"members","value":[{"value":"' .. members[n + 1] .. '"}]}]}'
  return wrk.format(nil, path, nil, body)
end

function response(status, _, body)
  bench.check(status == 204, status, body)
end
