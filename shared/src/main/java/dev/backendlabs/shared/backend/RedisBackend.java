package dev.backendlabs.shared.backend;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;

import java.time.Duration;

/**
 * A running Redis server: its address, Jedis factories and, where this run owns the server,
 * {@link #stop()} / {@link #start()} for outage tests. Obtain it from {@link Backends#redis()}.
 */
public final class RedisBackend implements Backend {

    private final BackendMode mode;
    private final HostAndPort address;
    private final ServerControl control;
    private final String version;

    RedisBackend(BackendMode mode, HostAndPort address, ServerControl control) {
        this.mode = mode;
        this.address = address;
        this.control = control;
        try (Jedis jedis = connect()) {
            this.version = parseVersion(jedis.info("server"));
        }
    }

    static String parseVersion(String info) {
        return info.lines()
                .filter(line -> line.startsWith("redis_version:"))
                .map(line -> line.substring("redis_version:".length()).trim())
                .findFirst()
                .orElse("unknown");
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public BackendMode mode() {
        return mode;
    }

    @Override
    public String address() {
        return address.toString();
    }

    public String host() {
        return address.getHost();
    }

    public int port() {
        return address.getPort();
    }

    /** One new connection with a 2 s timeout; the caller closes it. */
    public Jedis connect() {
        return new Jedis(address, DefaultJedisClientConfig.builder().timeoutMillis(2_000).build());
    }

    /**
     * A new pool; the caller owns and closes it.
     *
     * @param config  pool sizing (Jedis' defaults: 8 connections)
     * @param timeout connect and socket timeout of every connection
     */
    public JedisPool newPool(JedisPoolConfig config, Duration timeout) {
        int millis = Math.toIntExact(timeout.toMillis());
        return new JedisPool(config, address, DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis)
                .socketTimeoutMillis(millis)
                .build());
    }

    /**
     * Stops the server; clients get connection errors until {@link #start()}.
     *
     * @throws UnsupportedOperationException in external mode, where this run does not own the server
     */
    public void stop() {
        control.stop();
    }

    /** Starts the server again on the same port. */
    public void start() {
        control.start();
    }

    public boolean running() {
        return control.running();
    }
}
