-- gcra.lua: one atomic GCRA decision (generic cell rate algorithm), read-decide-write in a single call.
--
-- The same limit as token_bucket.lua, kept as one number: the theoretical arrival time (TAT), the
-- microsecond at which the bucket would be full again. With T = 1 / rate (the emission interval),
-- tokens = capacity - (TAT - now) / T, so a request of cost n fits if now >= TAT + n*T - capacity*T,
-- and moves the TAT to max(TAT, now) + n*T. Same arguments, reply, validation and TTL as token_bucket.lua:
--
-- KEYS[1]  the limit's only key (Redis Cluster safe; put a {hash tag} in it to co-locate limits)
-- ARGV[1]  capacity: integer from 1 to 1e9; the burst a new or rested key allows
-- ARGV[2]  rate: decimal tokens per second, at most 1e9 and at least capacity / 1e15; plain or with an exponent
-- ARGV[3]  cost: integer >= 0; 0 is a peek that changes nothing
-- ARGV[4]  optional "now" in integer microseconds, for deterministic tests only; else Redis TIME
--
-- Reply: { allowed (1/0),
--          remaining tokens after the decision, as a decimal string (rounded down to 1e-6, never below 0),
--          retry_after_ms: -1 when allowed, -1 when cost > capacity (it can never succeed),
--                          else the wait until the request would fit, rounded up, >= 1,
--          reset_after_ms: time until the TAT, when the limit is full again, rounded up }
--
-- State: the TAT as a number string, written with a single SET ... PX. A missing key, or a TAT in the
-- past, is a full bucket. Only an allowed request with cost > 0 writes, and every write sets PEXPIRE to
-- the time until the TAT plus slack: by then the TAT is in the past, which is what a missing key means.
-- A clock that went backwards refills nothing: the TAT stays where it is, so the lag is part of every
-- wait. Bad arguments return an error reply starting with "ERR rate-limiter:" and change nothing.

local MAX_CAPACITY_AND_RATE = 1000000000
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
local rate = parse_decimal(ARGV[2])
if not rate or rate > MAX_CAPACITY_AND_RATE or rate * MAX_FILL_SECONDS < capacity then
  return reject('rate', 'a decimal number of tokens per second from capacity / 1e15 to 1000000000', ARGV[2])
end
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
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end

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
local tat = tonumber(redis.call('GET', key)) or now
if tat < now then
  tat = now
end
-- The tokens the TAT leaves at `now`; below 0 only while the clock is behind the last write.
local tokens = capacity - (tat - now) * rate / 1000000

local function ms_until(amount)
  if amount <= 0 then
    return 0
  end
  return math.ceil(amount * 1000 / rate - 1e-6)
end

local allowed = 0
local retry_after_ms = -1
if cost > capacity then
  allowed = 0 -- can never succeed: deny, write nothing, retry_after -1
elseif tokens >= cost then
  allowed = 1
  if cost > 0 then
    tokens = tokens - cost
    local increment = cost * 1000000 / rate
    local next_tat = tat + increment
    if next_tat - tat < increment then
      -- Rounded down to the nearest double: take the next one up, so rounding never credits time.
      local _, exponent = math.frexp(next_tat)
      next_tat = next_tat + 2 ^ (exponent - 53)
    end
    redis.call('SET', key, string.format('%.17g', next_tat), 'PX', string.format('%.0f', ms_until(capacity - tokens) + TTL_SLACK_MS))
  end
else
  retry_after_ms = math.max(1, ms_until(cost - tokens))
end

return { allowed, format_tokens(math.max(tokens, 0)), retry_after_ms, ms_until(capacity - tokens) }
