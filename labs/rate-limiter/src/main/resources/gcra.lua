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
--
-- Precision: a TAT near 1.7e15 us is a double exact to 1/4 us (until 2041). When the emission interval is
-- not a multiple of that, each new TAT is rounded up to the next double, so rounding never credits time:
-- at most 1/4 us of refill is lost per write (0.025 % at 1,000/s), and nothing is ever over-admitted.
--
-- Cost: every allowed call pays for TIME, GET and SET, which with the reply are nearly three quarters
-- of its instructions (a script that only makes those calls), so the rest does as few conversions and
-- allocations as it can: no function defined in the script, not even for the error replies (each
-- `local function` is a closure allocated on every call); one string.find per argument rather than
-- string.match (no capture, no copy); TIME's reply used as it comes, and TIME only when no "now" is
-- given; integers printed with string.format('%d'), never with tostring or as numbers handed to
-- redis.call, both of which go through the floating-point printf (%.14g, %.17g); the TAT, which is not
-- an integer, handed to SET as a number (Redis writes it with %.17g: exact, and plain digits below
-- 1e17); and trailing zeros cut with a byte loop rather than string.gsub. The lab's README gives what
-- each of these saved, in microseconds of INFO commandstats and in instructions.

local MAX_CAPACITY_AND_RATE = 1000000000
local MAX_FILL_SECONDS = 1e15
local MAX_EXACT_INTEGER = 9007199254740991 -- 2^53 - 1: doubles are exact up to here
local TTL_SLACK_MS = 1000

if #KEYS ~= 1 then
  return redis.error_reply('ERR rate-limiter: exactly one key (the bucket) must be given, got ' .. #KEYS)
end

-- A pattern per argument before tonumber, which alone would accept " 0x10", "nan" and "inf".
local find = string.find
local text = ARGV[1]
local capacity = text and find(text, '^%d+$') and tonumber(text)
if not capacity or capacity < 1 or capacity > MAX_CAPACITY_AND_RATE then
  return redis.error_reply('ERR rate-limiter: capacity must be an integer from 1 to 1000000000'
    .. ", got '" .. tostring(text) .. "'")
end
-- Decimal characters, starting with a digit or a dot: tonumber then takes exactly "digits with at most one
-- dot, then optionally an exponent" (0.5, .5, 5., 1E-5, 1.1574074074074073e-05) and gives nil for the rest.
text = ARGV[2]
local rate = text and find(text, '^[%d.][%d.eE+-]*$') and tonumber(text)
if not rate or rate > MAX_CAPACITY_AND_RATE or rate * MAX_FILL_SECONDS < capacity then
  return redis.error_reply('ERR rate-limiter: rate must be a decimal number of tokens per second from capacity / 1e15'
    .. " to 1000000000, got '" .. tostring(text) .. "'")
end
text = ARGV[3]
local cost = text and find(text, '^%d+$') and tonumber(text)
if not cost then
  return redis.error_reply('ERR rate-limiter: cost must be an integer >= 0'
    .. ", got '" .. tostring(text) .. "'")
end
local now
text = ARGV[4]
if text then
  now = find(text, '^%d+$') and tonumber(text)
  if not now or now > MAX_EXACT_INTEGER then
    return redis.error_reply('ERR rate-limiter: now must be an integer number of microseconds'
      .. ", got '" .. tostring(text) .. "'")
  end
else
  local time = redis.call('TIME')
  now = time[1] * 1000000 + time[2]
end

-- region gcra-decide
local key = KEYS[1]
local tat = tonumber(redis.call('GET', key)) or now
if tat < now then
  tat = now -- rested: a full bucket, no credit for the idle time beyond it
end
-- The tokens the TAT leaves at `now`; below 0 only while the clock is behind the last write.
local tokens = capacity - (tat - now) * rate / 1000000

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
    local px = math.ceil((capacity - tokens) * 1000 / rate - 1e-6) + TTL_SLACK_MS
    redis.call('SET', key, next_tat, 'PX', string.format('%d', px))
  end
else
  retry_after_ms = math.max(1, math.ceil((cost - tokens) * 1000 / rate - 1e-6))
end
-- endregion

-- Waits are rounded up (a client never retries too early) and the remaining tokens down to the millionth.
-- Float noise below one nanosecond is not a wait: 1 / 0.001 * 1000 must give 1000000, not 1000001.
local reset_after_ms = 0
if tokens < capacity then
  reset_after_ms = math.ceil((capacity - tokens) * 1000 / rate - 1e-6)
end
if tokens < 0 then
  tokens = 0
end
local micro = math.floor(tokens * 1000000 + 1e-3)
local fraction = micro % 1000000
local remaining
if fraction == 0 then
  remaining = string.format('%d', micro / 1000000)
else
  -- One format for both parts; trailing zeros cut with a loop, as a string.gsub pattern costs more.
  remaining = string.format('%d.%06d', (micro - fraction) / 1000000, fraction)
  local last = #remaining
  while string.byte(remaining, last) == 48 do
    last = last - 1
  end
  remaining = string.sub(remaining, 1, last)
end
return { allowed, remaining, retry_after_ms, reset_after_ms }
