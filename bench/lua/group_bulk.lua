-- S8 a 256-member group PATCH: each thread owns one group and 256 users, and alternates one
-- PATCH adding all 256 as members with one removing them again (so every request changes 256
-- memberships). Needs one connection per thread (wrk -t N -c N): the alternation is per thread.
-- Time-bounded. Arguments: threads= connections= groups= (comma-separated, one per thread)
--   ids= (a file of user ids; thread T uses lines [256*T, 256*T+256))
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local bench = require("bench")

local MEMBERS = 256
local path
local add_body, remove_body

local function patch_body(op, ids)
  local values = {}
  for i, id in ipairs(ids) do values[i] = '{"value":"' .. id .. '"}' end
  return '{"schemas":["' .. bench.PATCH_OP .. '"],' ..
      '"Operations":[{"op":"' .. op .. '","path":"members","value":[' .. table.concat(values, ",") .. ']}]}'
end

function init(args)
  local options = bench.start(args)
  assert(bench.number("connections") == bench.threads, "group_bulk.lua needs one connection per thread")
  local groups = {}
  for group in options.groups:gmatch("[^,]+") do groups[#groups + 1] = group end
  path = "/scim/v2/demo/Groups/" .. assert(groups[bench.thread + 1], "no group for this thread")
  local all, mine = bench.read_lines(options.ids), {}
  for i = MEMBERS * bench.thread + 1, MEMBERS * (bench.thread + 1) do
    mine[#mine + 1] = assert(all[i], "fewer ids than 256 per thread")
  end
  add_body, remove_body = patch_body("add", mine), patch_body("remove", mine)
  wrk.method = "PATCH"
  wrk.headers["Content-Type"] = "application/scim+json"
end

function request()
  local n = bench.sending()
  return wrk.format(nil, path, nil, n % 2 == 0 and add_body or remove_body)
end

function response(status, _, body)
  bench.check(status == 204, status, body)
end
