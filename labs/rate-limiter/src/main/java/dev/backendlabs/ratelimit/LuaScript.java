package dev.backendlabs.ratelimit;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.commands.ScriptingKeyCommands;
import redis.clients.jedis.exceptions.JedisNoScriptException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A Lua script run by SHA-1 with {@code EVALSHA}, so each call sends 40 bytes instead of the
 * script text.
 *
 * <p>Redis keeps scripts in a cache that is neither persisted nor replicated: after
 * {@code SCRIPT FLUSH}, a restart or a failover the SHA is unknown and Redis answers
 * {@code NOSCRIPT}. Then, and only then, the script is loaded again and the call retried exactly
 * once; a second NOSCRIPT is an error, not a loop.
 */
final class LuaScript {

    private final String source;
    private final String sha1;

    private LuaScript(String source) {
        this.source = source;
        this.sha1 = sha1Hex(source);
    }

    /** Loads the script text from the class path, e.g. {@code token_bucket.lua}. */
    static LuaScript fromClasspath(String resource) {
        try (InputStream in = LuaScript.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Script " + resource + " is not on the class path");
            }
            return new LuaScript(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read script " + resource, e);
        }
    }

    static LuaScript of(String source) {
        return new LuaScript(source);
    }

    /** The SHA-1 that {@code EVALSHA} names the script by. */
    String sha1() {
        return sha1;
    }

    /** {@code SCRIPT LOAD}; Redis answers with the same SHA-1 computed here. */
    void load(Jedis jedis) {
        checkSha(jedis.scriptLoad(source));
    }

    /**
     * Runs the script by SHA; on NOSCRIPT loads it and retries once.
     *
     * @param onReload called when the script had to be loaded again (for a metric)
     */
    Object run(Jedis jedis, List<String> keys, List<String> args, Runnable onReload) {
        return run(jedis, () -> load(jedis), keys, args, onReload);
    }

    /** The same on a cluster: the script is loaded on the node that owns the first key, where it ran. */
    Object run(JedisCluster cluster, List<String> keys, List<String> args, Runnable onReload) {
        return run(cluster, () -> checkSha(cluster.scriptLoad(source, keys.get(0))), keys, args, onReload);
    }

    private Object run(ScriptingKeyCommands redis, Runnable load, List<String> keys, List<String> args, Runnable onReload) {
        try {
            return redis.evalsha(sha1, keys, args);
        } catch (JedisNoScriptException e) {
            load.run();
            onReload.run();
            return redis.evalsha(sha1, keys, args);
        }
    }

    private void checkSha(String loaded) {
        if (!sha1.equals(loaded)) {
            throw new IllegalStateException("Redis returned SHA " + loaded + " for a script whose SHA is " + sha1);
        }
    }

    private static String sha1Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-1", e);
        }
    }
}
