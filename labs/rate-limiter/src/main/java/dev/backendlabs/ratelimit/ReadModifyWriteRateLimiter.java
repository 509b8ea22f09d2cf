package dev.backendlabs.ratelimit;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Pipeline;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * NAIVE: the token-bucket refill of {@code token_bucket.lua}, done in Java between a read and a
 * write — {@code HMGET} the state, refill and decide locally, {@code HSET} it back.
 * This is the shape of the redis.io Java tutorial and of many hand-rolled limiters.
 *
 * <p>Why it breaks: between one client's read and its write, other clients read the same token
 * count, and each spends it. Under concurrency on a hot key it over-admits, and the more
 * clients, the more. It also refills by each application server's clock and stamps the state
 * with it, so when servers disagree, every request from a server that is ahead credits the
 * difference as elapsed time.
 */
public final class ReadModifyWriteRateLimiter implements RateLimiter {

    private final JedisPool pool;
    private final BucketPolicy policy;
    private final Clock clock;
    private final double rate;

    public ReadModifyWriteRateLimiter(JedisPool pool, BucketPolicy policy, Clock clock) {
        this.pool = pool;
        this.policy = policy;
        this.clock = clock;
        this.rate = policy.refillPerSecond().doubleValue();
    }

    @Override
    public Decision tryAcquire(String key, long cost) {
        RateLimitArgumentException.checkRequest(key, cost);
        Instant instant = clock.instant();
        long now = instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
        try (Jedis jedis = pool.getResource()) {
            List<String> state = jedis.hmget(key, "tokens", "ts");
            double tokens = policy.capacity();
            long stamp = now;
            if (state.get(0) != null && state.get(1) != null) {
                tokens = Double.parseDouble(state.get(0));
                stamp = Long.parseLong(state.get(1));
            }
            // The usual shape: refill by this server's clock, then stamp the state with it.
            tokens = Math.min(policy.capacity(), tokens + Math.max(0, now - stamp) * rate / 1_000_000);
            stamp = now;
            boolean allowed = cost <= tokens;
            if (allowed && cost > 0) {
                tokens -= cost;
                long ttlMillis = (long) Math.ceil((policy.capacity() - tokens) * 1000 / rate) + 1000;
                Pipeline pipeline = jedis.pipelined();
                pipeline.hset(key, java.util.Map.of("tokens", Double.toString(tokens), "ts", Long.toString(stamp)));
                pipeline.pexpire(key, ttlMillis);
                pipeline.sync();
            }
            long retry = allowed ? -1 : (long) Math.ceil((cost - tokens) * 1000 / rate);
            long reset = (long) Math.ceil((policy.capacity() - tokens) * 1000 / rate);
            return new Decision(allowed, BigDecimal.valueOf(tokens).setScale(6, RoundingMode.DOWN), retry, reset, Decision.Source.REDIS);
        }
    }
}
