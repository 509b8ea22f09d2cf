-- region lease-acquire
-- KEYS[1]: the product's key, KEYS[2]: its lease key (same hash slot). ARGV[1]: a random token,
-- ARGV[2]: the lease TTL in ms, ARGV[3]: the stale window in ms (a value with less TTL left is stale).
-- One atomic step, so that a reader whose view of the key is already outdated cannot take a lease
-- on a value another reader has just refreshed. Replies {state, value}:
--   'fresh' - the value, fresh: use it;
--   'lease' - the caller holds the lease and must rebuild (value: the stale one, or nil);
--   'wait'  - another caller is rebuilding (value: the stale one to serve meanwhile, or nil).
local value = redis.call('GET', KEYS[1])
if value and redis.call('PTTL', KEYS[1]) > tonumber(ARGV[3]) then
  return {'fresh', value}
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {'lease', value}
end
return {'wait', value}
-- endregion
