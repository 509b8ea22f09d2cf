-- sliding_window_log.lua: one atomic sliding-log decision: at most `limit` admissions in any window of
-- `window` milliseconds, exactly, by remembering the time of every admission.
--
-- KEYS[1]  the limit's only key: a sorted set with one member per admitted unit of cost, scored by its
--          time in microseconds (Redis Cluster safe; put a {hash tag} in it to co-locate limits)
-- ARGV[1]  limit: integer from 1 to 1e9; the most admissions in any window
-- ARGV[2]  window: integer milliseconds from 1 to 1e12
-- ARGV[3]  cost: integer from 0 to 1000 (each unit is one member); 0 is a peek that changes nothing
-- ARGV[4]  optional "now" in integer microseconds, for deterministic tests only; else Redis TIME
--
-- Reply: { allowed (1/0),
--          remaining admissions in the window after the decision, as a decimal string,
--          retry_after_ms: -1 when allowed, -1 when cost > limit (it can never succeed),
--                          else the wait until enough members leave the window, rounded up, >= 1,
--          reset_after_ms: time until the newest member leaves the window, rounded up }
--
-- The window at `now` is (now - window, now]: a member leaves exactly `window` after it was added. Only
-- an allowed request with cost > 0 writes: it trims the members that left, adds one member per unit of
-- cost and sets PEXPIRE to the window plus slack, by when every member has left. A denial or a peek
-- only reads. A clock that went backwards counts from the newest member instead, so no member leaves
-- early. Memory grows with the admissions in a window: about a hundred bytes for each.
-- Bad arguments return an error reply starting with "ERR rate-limiter:" and change nothing.

local MAX_LIMIT = 1000000000
local MAX_WINDOW_MS = 1000000000000
local MAX_COST = 1000
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
  return redis.error_reply('ERR rate-limiter: exactly one key (the log) must be given, got ' .. #KEYS)
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
if not cost or cost > MAX_COST then
  return reject('cost', 'an integer from 0 to 1000 (the log keeps one member per unit)', ARGV[3])
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
local newest = redis.call('ZREVRANGE', key, 0, 0, 'WITHSCORES')[2]
newest = newest and tonumber(newest)
if newest and newest > now then
  now = newest -- the clock went backwards: no member leaves before its time
end
-- Scores as integer strings: Lua's own number-to-text conversion keeps only 14 digits.
local after = string.format('(%.0f', now - window)
-- region log-decide
local count = redis.call('ZCOUNT', key, after, '+inf')

local allowed = 0
local retry_after_ms = -1
if cost > limit then
  allowed = 0 -- can never succeed: deny, write nothing, retry_after -1
elseif count + cost <= limit then
  allowed = 1
  if cost > 0 then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.0f', now - window))
    -- Unique members: the time, then the member's place in the window. Members added at the same
    -- microsecond are numbered after the ones already counted, so none replaces another.
    local members = {}
    for i = 1, cost do
      members[2 * i - 1] = now
      members[2 * i] = string.format('%.0f:%d', now, count + i)
    end
    redis.call('ZADD', key, unpack(members))
    redis.call('PEXPIRE', key, window_ms + TTL_SLACK_MS)
    count = count + cost
    newest = now
  end
else
  -- Enough members must leave: the (count + cost - limit)-th oldest in the window leaves `window` after it came.
  local oldest = redis.call('ZRANGEBYSCORE', key, after, '+inf', 'WITHSCORES', 'LIMIT', count + cost - limit - 1, 1)
  retry_after_ms = math.max(1, math.ceil((tonumber(oldest[2]) + window - now) / 1000))
end
-- endregion

local reset_after_ms = 0
if count > 0 then
  reset_after_ms = math.ceil((newest + window - now) / 1000)
end
return { allowed, tostring(math.max(0, limit - count)), retry_after_ms, reset_after_ms }
