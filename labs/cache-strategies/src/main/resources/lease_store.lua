-- region lease-store
-- KEYS[1]: the product's key, KEYS[2]: its lease key. ARGV[1]: the caller's token, ARGV[2]: the
-- entry, ARGV[3]: TTL in ms (fresh time + stale window).
-- Stores only while the caller's lease is still there. A write deletes the key AND the lease, so a
-- rebuild that read the row before the write committed finds its lease gone and stores nothing:
-- the "stale set" of the memcache paper cannot happen.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1
-- endregion
