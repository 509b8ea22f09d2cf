-- One request of a replayed trace, as cache-aside does it, in one step so that requests can be
-- pipelined: KEYS[1] the key; ARGV[1] 'read' or 'write', ARGV[2] the value to store on a read miss,
-- ARGV[3] its TTL in ms (0: none). A read GETs the key (which counts as an access for LRU and LFU)
-- and SETs the value on a miss; a write deletes the key. Replies 1 for a hit, 0 otherwise.
if ARGV[1] == 'write' then
  redis.call('DEL', KEYS[1])
  return 0
end
if redis.call('GET', KEYS[1]) then
  return 1
end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 0
