package dev.backendlabs.ratelimit;

import java.util.List;

/**
 * Where a limiter's script runs: a pool of connections to one Redis ({@link PooledScriptTarget}) or
 * a Redis Cluster ({@link ClusterScriptTarget}). The limiter's logic does not change between the
 * two: its script touches only the key it is given, so every decision runs on the one node that
 * owns that key.
 */
interface ScriptTarget extends AutoCloseable {

    /** {@code SCRIPT LOAD} where this target can reach now; a node that is away loads it on its first NOSCRIPT. */
    void load(LuaScript script);

    /** Runs {@code script} on the node of {@code key}; NOSCRIPT loads it there and retries once, calling {@code onReload}. */
    Object run(LuaScript script, String key, List<String> args, Runnable onReload);

    /**
     * Called after a connection failed fast (refused, reset). Drops what the same outage left stale
     * and says whether one more attempt on a fresh connection can help.
     */
    boolean recover();

    /** Closes the connections if this target created them; a pool or cluster the caller passed in stays open. */
    @Override
    void close();
}
