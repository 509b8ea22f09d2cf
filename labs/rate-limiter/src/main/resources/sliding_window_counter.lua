-- sliding_window_counter.lua: one atomic sliding-counter decision, Cloudflare's approximation of a sliding
-- window from two fixed windows: the count of the current window plus the previous window's count,
-- weighted by how much of the previous window the sliding window still covers.
--
-- KEYS[1]  the limit's only key (Redis Cluster safe; put a {hash tag} in it to co-locate limits)
-- ARGV[1]  limit: integer from 1 to 1e9; the most admissions the estimate allows in a window
-- ARGV[2]  window: integer milliseconds from 1 to 1e12
-- ARGV[3]  cost: integer >= 0; 0 is a peek that changes nothing
-- ARGV[4]  optional "now" in integer microseconds, for deterministic tests only; else Redis TIME
--
-- Reply: { allowed (1/0),
--          remaining: limit - estimate after the decision, as a decimal string (rounded down to 1e-6),
--          retry_after_ms: -1 when allowed, -1 when cost > limit (it can never succeed),
--                          else the wait until the estimate lets the request in, rounded up, >= 1,
--          reset_after_ms: time until the estimate is 0 again, rounded up }
--
-- The estimate assumes the previous window's admissions were spread evenly over it. When they were not
-- — a burst at its end — the sliding window really held more than the limit: up to twice the limit in
-- one window's length, in the worst case. Memory is constant: one string "<window> <current> <previous>",
-- written with a single SET ... PX that keeps it until the current window's count has rolled off.
-- A clock that went backwards stays in the last window written, where the previous window weighs fully:
-- it refills nothing, and waits and the TTL include the lag. Bad arguments return an error reply starting
-- with "ERR rate-limiter:" and change nothing.

local MAX_LIMIT = 1000000000
local MAX_WINDOW_MS = 1000000000000
local MAX_EXACT_INTEGER = 9007199254740991 -- 2^53 - 1: doubles are exact up to here
local TTL_SLACK_MS = 1000

local function reject(argument, rule, value)
  return redis.error_reply('ERR rate-limiter: ' .. argument .. ' must be ' .. rule .. ", got '" .. tostring(value) .. "'")
end

-- A strict pattern before tonumber, which alone would accept " 0x10", "nan" and "inf".
local function parse_integer(text)
  if text and string.find(text, '^%d+$') then
    return tonumber(text)
  end
  return nil
end

if #KEYS ~= 1 then
  return redis.error_reply('ERR rate-limiter: exactly one key (the counter) must be given, got ' .. #KEYS)
end
local limit = parse_integer(ARGV[1])
if not limit or limit < 1 or limit > MAX_LIMIT then
  return reject('limit', 'an integer from 1 to 1000000000', ARGV[1])
end
local window_ms = parse_integer(ARGV[2])
if not window_ms or window_ms < 1 or window_ms > MAX_WINDOW_MS then
  return reject('window', 'an integer number of milliseconds from 1 to 1000000000000', ARGV[2])
end
local cost = parse_integer(ARGV[3])
if not cost then
  return reject('cost', 'an integer >= 0', ARGV[3])
end
local now
if ARGV[4] then
  now = parse_integer(ARGV[4])
  if not now or now > MAX_EXACT_INTEGER then
    return reject('now', 'an integer number of microseconds', ARGV[4])
  end
else
  local time = redis.call('TIME')
  now = time[1] * 1000000 + time[2]
end

local key = KEYS[1]
local window = window_ms * 1000
local index = math.floor(now / window)
local elapsed = now - index * window
local current, previous = 0, 0
local state = redis.call('GET', key)
if state then
  local stored, stored_current, stored_previous = string.match(state, '^(%d+) (%d+) (%d+)$')
  stored = tonumber(stored)
  if stored == index then
    current, previous = tonumber(stored_current), tonumber(stored_previous)
  elseif stored == index - 1 then
    previous = tonumber(stored_current)
  elseif stored and stored > index then
    -- The clock went backwards: stay in the stored window. `elapsed` is then negative, minus the lag behind its
    -- start: the previous window weighs fully, and every wait below includes the lag.
    index, elapsed = stored, now - stored * window
    current, previous = tonumber(stored_current), tonumber(stored_previous)
  end
end

-- region counter-decide
-- The previous window's count, weighted by the share of it the sliding window (now - window, now] still covers.
local estimate = previous * math.min(1, (window - elapsed) / window) + current

local allowed = 0
local retry_after_ms = -1
if cost > limit then
  allowed = 0 -- can never succeed: deny, write nothing, retry_after -1
elseif estimate + cost <= limit then
  allowed = 1
  if cost > 0 then
    current = current + cost
    estimate = estimate + cost
    -- Kept until the end of the next window, when this window's count stops counting.
    redis.call('SET', key, string.format('%.0f %d %d', index, current, previous), 'PX',
      math.ceil((2 * window - elapsed) / 1000) + TTL_SLACK_MS)
  end
else
  -- With no more admissions, the estimate falls as the previous window slides out, then as this one does.
  local room = limit - cost - current
  local wait
  if room >= 0 then
    wait = window * (1 - room / previous) - elapsed
  else
    wait = window - elapsed + window * (1 - (limit - cost) / current)
  end
  retry_after_ms = math.max(1, math.ceil(wait / 1000 - 1e-6))
end
-- endregion

local reset_after_ms = 0
if current > 0 then
  reset_after_ms = math.ceil((2 * window - elapsed) / 1000 - 1e-6)
elseif previous > 0 then
  reset_after_ms = math.ceil((window - elapsed) / 1000 - 1e-6)
end
local remaining = math.floor((limit - estimate) * 1000000 + 1e-3) / 1000000
if remaining <= 0 then
  remaining = '0'
else
  remaining = (string.gsub(string.format('%.6f', remaining), '%.?0+$', ''))
end
return { allowed, remaining, retry_after_ms, reset_after_ms }
