package dev.backendlabs.ratelimit;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisException;

import java.util.List;

/**
 * Scripts on one Redis (a primary, or a Sentinel-managed address), through a {@link JedisPool}.
 *
 * <p>After a connection fails fast, every idle connection in the pool was opened before the same
 * outage (typically a restart), so the pool's idle connections are cleared: the retry then opens
 * a new connection instead of borrowing the next stale one.
 */
final class PooledScriptTarget implements ScriptTarget {

    private final JedisPool pool;
    private final boolean ownsPool;

    PooledScriptTarget(JedisPool pool, boolean ownsPool) {
        this.pool = pool;
        this.ownsPool = ownsPool;
    }

    @Override
    public void load(LuaScript script) {
        try (Jedis jedis = pool.getResource()) {
            script.load(jedis);
        } catch (JedisException e) {
            // Not fatal: a limiter must start even while Redis is away; the first decision loads it (NOSCRIPT).
        }
    }

    @Override
    public Object run(LuaScript script, String key, List<String> args, Runnable onReload) {
        try (Jedis jedis = pool.getResource()) {
            return script.run(jedis, List.of(key), args, onReload);
        }
    }

    @Override
    public boolean recover() {
        // The failed connection is already destroyed; the idle ones date from before the same outage.
        pool.clear();
        return true;
    }

    @Override
    public void close() {
        if (ownsPool) {
            pool.close();
        }
    }
}
