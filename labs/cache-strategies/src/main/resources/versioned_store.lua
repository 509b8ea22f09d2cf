-- region versioned-store
-- KEYS[1]: the product's key. ARGV[1]: the entry (JSON with a top-level "version"), ARGV[2]: its
-- version, ARGV[3]: TTL in milliseconds.
-- Stores the entry unless the cache holds a NEWER version of the product: a reader that loaded a
-- row before a write committed cannot overwrite what the writer stored. The same version is
-- stored again (that re-arms the TTL); an unreadable value is overwritten.
local current = redis.call('GET', KEYS[1])
if current then
  local ok, entry = pcall(cjson.decode, current)
  if ok and type(entry) == 'table' and type(entry.version) == 'number' and entry.version > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
-- endregion
