package dev.backendlabs.shared.backend;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * A running Redis server: its address, Jedis factories and, where this run owns the server,
 * {@link #stop()} / {@link #start()} for outage tests. Obtain it from {@link Backends#redis()}.
 */
public final class RedisBackend extends ServerHandle {

    /** A user and password for Redis ACLs or {@code requirepass}; both null when the server needs none. */
    record Credentials(String user, String password) {
    }

    static final Credentials NO_CREDENTIALS = new Credentials(null, null);

    private final HostAndPort address;
    private final Credentials credentials;
    private final Supplier<HostAndPort> addressForServers;
    private final String version;

    RedisBackend(BackendMode mode, HostAndPort address, Credentials credentials, FaultControl control) {
        this(mode, address, credentials, control, () -> address);
    }

    RedisBackend(BackendMode mode, HostAndPort address, Credentials credentials, FaultControl control,
                 Supplier<HostAndPort> addressForServers) {
        super(mode, control);
        this.address = address;
        this.addressForServers = addressForServers;
        this.credentials = credentials;
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
        return new Jedis(address, clientConfig(Duration.ofSeconds(2)));
    }

    /**
     * Where another server of this run reaches this one — for {@code REPLICAOF}, say. The same as
     * {@link #hostAndPort()} except in docker mode, where another container reaches this one at its
     * address on the Docker network, not at the published port on the host.
     */
    public HostAndPort addressForServers() {
        return addressForServers.get();
    }

    /** Where clients connect, for Jedis constructors that take one. */
    public HostAndPort hostAndPort() {
        return address;
    }

    /**
     * A new pool of at most {@code maxConnections} connections, all of them allowed to stay idle,
     * whose borrow, connect and read each wait at most {@code timeout}. The caller owns and closes it.
     */
    public JedisPool newPool(int maxConnections, Duration timeout) {
        JedisPoolConfig config = new JedisPoolConfig();
        config.setMaxTotal(maxConnections);
        config.setMaxIdle(maxConnections);
        config.setMaxWait(timeout);
        return newPool(config, timeout);
    }

    /**
     * A new pool; the caller owns and closes it.
     *
     * @param config  pool sizing (Jedis' defaults: 8 connections)
     * @param timeout connect and socket timeout of every connection
     */
    public JedisPool newPool(JedisPoolConfig config, Duration timeout) {
        return new JedisPool(config, address, clientConfig(timeout));
    }

    /** Timeouts and, where the server needs them, the credentials from its URL. */
    private DefaultJedisClientConfig clientConfig(Duration timeout) {
        int millis = Math.toIntExact(timeout.toMillis());
        return DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis)
                .socketTimeoutMillis(millis)
                .user(credentials.user())
                .password(credentials.password())
                .build();
    }
}
