-- What every scenario script of bench/ shares; a script loads it with
--   package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
--   local bench = require("bench")
--
-- A scenario script defines init(args) (calling bench.start(args) first), request() (calling
-- bench.sending() for each request it returns) and response(), which passes every answer to
-- bench.check(ok, status, body). This module then
--   * numbers wrk's threads (bench.thread is 0..threads-1) and parses the KEY=VALUE arguments
--     given after `--` on wrk's command line,
--   * counts answers and failed checks, keeping the first failure as a sample,
--   * for a count-bounded scenario (bench.limit(n)): sends exactly n requests from this thread,
--     then parks its connections and prints "bench-thread-done" so that bench/run can end wrk,
--   * prints one line "bench-result {json}" from done() for bench/run to read.
--
-- wrk runs every function but setup() and done() in one Lua state per thread; done() reads the
-- threads' counters through thread:get, which is why they are globals named bench_*.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *out);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_timespec")

local bench = { args = {} }

-- Seconds on a clock shared by all threads (os.clock() is CPU time, os.time() whole seconds).
function bench.now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) * 1e-9
end

-- ---- per thread ---------------------------------------------------------------------------

bench_answered = 0   -- responses passed to bench.check
bench_counted = 0    -- what the scenario counts with bench.count (e.g. users created)
bench_errors = 0     -- of which failed their check
bench_sample = nil   -- the first failure: "status 500: {body...}"
bench_started = nil  -- bench.now() of the first request
bench_finished = nil -- bench.now() of the last answer of a count-bounded thread
local quota = nil    -- requests this thread sends (count-bounded scenarios), nil: until wrk stops
local sent = 0       -- requests built by request() (see bench.sending)
local admitted = 0   -- requests delay() let through (count-bounded scenarios)

function bench.start(args)
  for i = 1, #args do
    local key, value = args[i]:match("^([%w_]+)=(.*)$")
    if not key then error("argument " .. i .. " is not KEY=VALUE: " .. args[i]) end
    bench.args[key] = value
  end
  bench.thread = bench_thread or 0
  bench.threads = tonumber(bench.args.threads or "1")
  math.randomseed(1000003 * (bench.thread + 1) + os.time())
  return bench.args
end

-- A required numeric argument.
function bench.number(name)
  local value = tonumber(bench.args[name])
  if not value then error("missing numeric argument " .. name .. "=N") end
  return value
end

-- Records that request() is about to return a request; returns its 0-based number in this
-- thread, from which the script derives what to send. wrk calls thread 0's request() once before
-- the run to check what it returns and never sends that one, so it is not counted: it gets the
-- number the first real request gets again.
local checked_by_wrk = false
function bench.sending()
  if bench.thread == 0 and not checked_by_wrk then
    checked_by_wrk = true
    return 0
  end
  if not bench_started then bench_started = bench.now() end
  sent = sent + 1
  return sent - 1
end

local function finish()
  bench_finished = bench.now()
  io.write("bench-thread-done ", bench.thread, "\n")
  io.stdout:flush()
end

-- This thread sends `n` requests and then stops: wrk has no request count of its own, so
-- delay(), which wrk calls before each request of each connection, admits `n` and parks every
-- connection that asks for more; the last answer tells bench/run (through stdout) that this
-- thread is done. (Counting in request() would be too late: several connections can pass
-- delay() before the first of them calls request().) wrk calls delay() only when the script
-- defines it, which is why it is defined here and not at the top level.
function bench.limit(n)
  quota = n
  function delay()
    if admitted >= quota then return 24 * 3600 * 1000 end
    admitted = admitted + 1
    return 0
  end
  if quota == 0 then finish() end
end

-- Every response goes through here. `ok`: the status and the body field the scenario expects.
function bench.check(ok, status, body)
  bench_answered = bench_answered + 1
  if not ok then
    bench_errors = bench_errors + 1
    if not bench_sample then bench_sample = "status " .. status .. ": " .. body:sub(1, 300) end
  end
  if quota and bench_answered == quota then finish() end
end

-- Counts one of what the scenario produces (e.g. a user created), reported as "counted".
function bench.count()
  bench_counted = bench_counted + 1
end

-- Reads a file of one item per line; with `every` > 1 keeps only the lines i (0-based) with
-- i % every == offset, so that threads split a list between them.
function bench.read_lines(path, every, offset)
  every, offset = every or 1, offset or 0
  local lines, i = {}, 0
  for line in io.lines(path) do
    if line ~= "" then
      if i % every == offset then lines[#lines + 1] = line end
      i = i + 1
    end
  end
  return lines
end

-- Percent-encodes a query parameter value as IdPs send it (everything but unreserved characters).
function bench.url_encode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

function bench.contains(body, text)
  return body:find(text, 1, true) ~= nil
end

-- A create as Okta sends it (profile attributes of a typical Okta SCIM 2.0 app mapping). Okta
-- always includes a password; scimd drops it by default (or keeps its Argon2id hash with
-- passwords = "store"), so `with_password` decides whether the request carries one.
function bench.okta_user(user_name, n, with_password)
  local password = with_password and string.format([["password":"Okta-%08x-pw",]], n) or ""
  return string.format([[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",]] ..
    [["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],]] ..
    [["userName":"%s","name":{"givenName":"Given%d","familyName":"Family%d"},]] ..
    [["emails":[{"primary":true,"value":"%s","type":"work"}],]] ..
    [["displayName":"Given%d Family%d","locale":"en-US","externalId":"00u%013d",]] ..
    [["groups":[],%s"active":true,"title":"Engineer",]] ..
    [["phoneNumbers":[{"value":"+1 415 555 %04d","type":"work"}],]] ..
    [["addresses":[{"streetAddress":"%d Market Street","locality":"San Francisco","region":"CA",]] ..
    [["postalCode":"94105","country":"US","type":"work","primary":true}],]] ..
    [["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"%d",]] ..
    [["department":"Engineering","costCenter":"CC-42","organization":"Example Corp"}}]],
    user_name, n, n, user_name, n, n, n, password, n % 10000, n % 1000 + 1, n)
end

bench.PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

-- ---- main state ---------------------------------------------------------------------------

local threads = {}

function setup(thread)
  thread:set("bench_thread", #threads)
  threads[#threads + 1] = thread
end

local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

local function json_object(fields)
  local parts = {}
  for key, value in pairs(fields) do
    local encoded = type(value) == "string" and json_string(value) or tostring(value)
    parts[#parts + 1] = json_string(key) .. ":" .. encoded
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, _)
  local answered, counted, errors, sample = 0, 0, 0, nil
  local started, finished, complete = nil, nil, true
  for _, thread in ipairs(threads) do
    answered = answered + thread:get("bench_answered")
    counted = counted + thread:get("bench_counted")
    errors = errors + thread:get("bench_errors")
    sample = sample or thread:get("bench_sample")
    local s, f = thread:get("bench_started"), thread:get("bench_finished")
    if s and (not started or s < started) then started = s end
    if f and (not finished or f > finished) then finished = f end
    if not f then complete = false end
  end
  local e = summary.errors
  local result = {
    answered = answered,
    counted = counted,
    check_errors = errors,
    socket_errors = e.connect + e.read + e.write + e.timeout,
    duration_s = summary.duration / 1e6,
    p50_ms = latency:percentile(50) / 1000,
    p99_ms = latency:percentile(99) / 1000,
    complete = complete,
  }
  if complete and started and finished then result.elapsed_s = finished - started end
  if sample then result.sample = sample end
  io.write("bench-result ", json_object(result), "\n")
end

return bench
