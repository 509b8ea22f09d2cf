-- token_bucket.lua: one atomic token-bucket decision, read-refill-decide-write in a single call.
--
-- KEYS[1]  the bucket's only key (Redis Cluster safe; put a {hash tag} in it to co-locate buckets)
-- ARGV[1]  capacity: integer from 1 to 1e9; the burst a full bucket allows
-- ARGV[2]  refill rate: decimal tokens per second, at most 1e9 and at least capacity / 1e15 (the bucket
--          fills within 1e15 s); plain or with an exponent: 0.001, 10000, 1E-5, 1.1574074074074073e-05
-- ARGV[3]  cost: integer >= 0; 0 is a peek that changes nothing
-- ARGV[4]  optional "now" in integer microseconds, for deterministic tests only; else Redis TIME
--
-- Reply: { allowed (1/0),
--          remaining tokens after the decision, as a decimal string (rounded down to 1e-6),
--          retry_after_ms: -1 when allowed, -1 when cost > capacity (it can never succeed),
--                          else the wait until enough tokens exist, rounded up, >= 1,
--          reset_after_ms: time until the bucket would be full again, rounded up }
--
-- State: one string "<tokens> <ts>", where ts is the microsecond the token count was true, read
-- with GET and written with a single SET ... PX (value and TTL in one command). A missing key
-- is a full bucket, so a new caller starts with a burst of `capacity`. Only an allowed request
-- with cost > 0 writes, and every write sets PEXPIRE to the time-to-full plus slack: by then the
-- bucket is full again, which is exactly what a missing key means, so expiry never changes a
-- decision. A denied request writes nothing and so cannot extend the TTL.
-- Bad arguments return an error reply starting with "ERR rate-limiter:" and change nothing.

local MAX_CAPACITY_AND_RATE = 1000000000
-- The slowest bucket fills within 1e15 s (31.7 million years): its TTL, the time to fill in ms plus slack, then stays
-- below 1.00001e18 ms, far inside the 64-bit range of SET ... PX. A slower bucket would overflow PX on its first
-- write into a raw Redis error ("value is not an integer or out of range"). Hence the minimum rate, capacity / 1e15:
-- 1e-15 tokens/s for capacity 1 (one token per 31.7 million years), 1e-6 for capacity 1e9.
local MAX_FILL_SECONDS = 1e15
local MAX_EXACT_INTEGER = 9007199254740991 -- 2^53 - 1: doubles are exact up to here
local TTL_SLACK_MS = 1000

local function reject(argument, rule, value)
  return redis.error_reply('ERR rate-limiter: ' .. argument .. ' must be ' .. rule .. ", got '" .. tostring(value) .. "'")
end

-- Strict patterns instead of tonumber alone, which would accept " 0x10", "nan" and "inf".
local function parse_integer(text)
  if type(text) == 'string' and string.match(text, '^%d+$') then
    return tonumber(text)
  end
  return nil
end

-- Digits with at most one dot, then optionally an exponent: "0.5", ".5", "5.", "1E-5", "1.1574074074074073e-05"
-- (what Python, Jackson and Double.toString write for 1/86400). No sign, no spaces, no hex, no inf or nan.
local function parse_decimal(text)
  if type(text) ~= 'string' then
    return nil
  end
  local mantissa = string.match(text, '^(.-)[eE][+-]?%d+$') or text
  if string.match(mantissa, '^%d+%.?%d*$') or string.match(mantissa, '^%.%d+$') then
    return tonumber(text)
  end
  return nil
end

if #KEYS ~= 1 then
  return redis.error_reply('ERR rate-limiter: exactly one key (the bucket) must be given, got ' .. #KEYS)
end

local capacity = parse_integer(ARGV[1])
if not capacity or capacity < 1 or capacity > MAX_CAPACITY_AND_RATE then
  return reject('capacity', 'an integer from 1 to 1000000000', ARGV[1])
end
-- region minimum-rate
local rate = parse_decimal(ARGV[2])
if not rate or rate > MAX_CAPACITY_AND_RATE or rate * MAX_FILL_SECONDS < capacity then
  return reject('rate', 'a decimal number of tokens per second from capacity / 1e15 to 1000000000', ARGV[2])
end
-- endregion
local cost = parse_integer(ARGV[3])
if not cost then
  return reject('cost', 'an integer >= 0', ARGV[3])
end
local now
if ARGV[4] ~= nil then
  now = parse_integer(ARGV[4])
  if not now or now > MAX_EXACT_INTEGER then
    return reject('now', 'an integer number of microseconds', ARGV[4])
  end
else
  -- region server-clock
  -- The server's clock: every client sees one time line, whatever its own clock says.
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
  -- endregion
end

-- Rounded down to the microtoken, so a client never sees a token that is not there yet.
local function format_tokens(tokens)
  local micro = math.floor(tokens * 1000000 + 1e-3)
  local whole = math.floor(micro / 1000000)
  local fraction = micro - whole * 1000000
  if fraction == 0 then
    return string.format('%.0f', whole)
  end
  return (string.gsub(string.format('%.0f.%06.0f', whole, fraction), '0+$', ''))
end

local key = KEYS[1]
local tokens, stamp
local state = redis.call('GET', key)
if state then
  local space = string.find(state, ' ', 1, true)
  if space then
    tokens = tonumber(string.sub(state, 1, space - 1))
    stamp = tonumber(string.sub(state, space + 1))
  end
end
if tokens == nil or stamp == nil then
  tokens, stamp = capacity, now
end
-- region refill
-- Continuous refill at microsecond precision. A clock that went backwards (failover to a node
-- whose clock is behind) refills nothing rather than a negative amount.
if now > stamp then
  tokens = tokens + (now - stamp) * rate / 1000000
  stamp = now
end
if tokens > capacity then
  tokens = capacity
end
-- endregion

-- Milliseconds until `amount` more tokens exist, rounded up. Tokens accrue from `stamp`, which is
-- ahead of `now` only while the clock is behind the last write; that lag is part of every wait,
-- so replies and the TTL stay right even then. Float noise below one nanosecond is not a wait:
-- 1 / 0.001 * 1000 must give 1000000, not 1000001.
local lag_ms = (stamp - now) / 1000
local function ms_until(amount)
  if amount <= 0 then
    return 0
  end
  return math.ceil(lag_ms + amount * 1000 / rate - 1e-6)
end

local allowed = 0
local retry_after_ms = -1
-- region decide
if cost > capacity then
  allowed = 0 -- can never succeed: deny, write nothing, retry_after -1
elseif tokens >= cost then
  allowed = 1
  if cost > 0 then
    tokens = tokens - cost
    -- PX as an integer string: a Lua number would reach Redis as "1e+17" for very slow buckets.
    redis.call('SET', key, string.format('%.17g %.0f', tokens, stamp), 'PX', string.format('%.0f', ms_until(capacity - tokens) + TTL_SLACK_MS))
  end
else
  retry_after_ms = math.max(1, ms_until(cost - tokens))
end

return { allowed, format_tokens(tokens), retry_after_ms, ms_until(capacity - tokens) }
-- endregion
