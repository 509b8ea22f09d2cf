package dev.backendlabs.shared.backend;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A zonky PostgreSQL 17 server on a fixed loopback port and data directory that both survive
 * {@link #stop()} and {@link #start()}, so that a lab can take the database away from its clients
 * and give it back with its data.
 *
 * <p>Why a data directory of our own: zonky deletes its directory when it stops, and runs
 * {@code initdb} only when the directory holds no {@code postgresql.conf}; with a directory we
 * keep, a restart is {@code pg_ctl start} on the same data. {@code stop()} is zonky's
 * {@code pg_ctl stop -m fast}: open sessions are terminated and their transactions rolled back,
 * which is what clients of a crashed or failed-over database see.
 *
 * <p>Settings: {@code fsync} stays on (zonky passes {@code -F}, which hides the cost of a commit);
 * {@code max_prepared_transactions} is above 0 so that the MVCC lab can hold a prepared
 * transaction; 300 connections leave room for pool experiments; {@code wal_level=logical} so that
 * the outbox lab's CDC relay (Debezium, {@code pgoutput}) can open a logical replication slot. It
 * is a server start setting (no reload), and it costs the other labs next to nothing: pgbench's
 * simple-update transaction, one client, fsync on, averaged 0.67 ms per commit under
 * {@code logical} and 0.68 ms under {@code replica} (three alternating 15 s rounds each; the
 * rounds spread over 0.60–0.73 ms).
 */
final class EmbeddedPostgresServer implements FaultControl {

    private static final String LOOPBACK = "127.0.0.1";
    private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(30);
    private static final int LAUNCH_ATTEMPTS = 3;

    private final Path dataDirectory;
    private final int port;
    private EmbeddedPostgres server;

    private EmbeddedPostgresServer(Path dataDirectory, int port) {
        this.dataDirectory = dataDirectory;
        this.port = port;
    }

    /**
     * Initializes a data directory and starts the server. The port is free when picked but another
     * process may take it before the postmaster binds; a failed first start then retries on a
     * newly picked port, since no client knows the old one yet.
     */
    static EmbeddedPostgresServer launch() {
        RuntimeException last = null;
        for (int attempt = 0; attempt < LAUNCH_ATTEMPTS; attempt++) {
            EmbeddedPostgresServer candidate = new EmbeddedPostgresServer(TempDirectories.create("labs-postgres-"), FreePorts.pick());
            try {
                candidate.server = candidate.startOnce();
                return candidate;
            } catch (IOException | RuntimeException e) {
                candidate.destroy();
                last = e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
            }
        }
        throw last;
    }

    /**
     * One {@code pg_ctl start}. zonky locks {@code epg-lock} in the data directory and does not let
     * go when the start fails, so a retry in this JVM would find the file locked by itself: the
     * stale lock file is removed first (a new file is a new lock).
     */
    private EmbeddedPostgres startOnce() throws IOException {
        Files.deleteIfExists(dataDirectory.resolve("epg-lock"));
        return EmbeddedPostgres.builder()
                .setDataDirectory(dataDirectory)
                .setCleanDataDirectory(false)
                .setPort(port)
                .setServerConfig("listen_addresses", LOOPBACK)
                .setServerConfig("fsync", "on")
                .setServerConfig("max_connections", "300")
                .setServerConfig("max_prepared_transactions", "20")
                .setServerConfig("wal_level", "logical")
                .setRegisterShutdownHook(false)
                .setPGStartupWait(RESTART_TIMEOUT)
                .start();
    }

    String host() {
        return LOOPBACK;
    }

    int port() {
        return port;
    }

    @Override
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not stop PostgreSQL on port " + port, e);
        } finally {
            server = null;
        }
    }

    /**
     * Starts the postmaster again on the same port and data. Clients already hold the address, so
     * the port cannot change: the port of a just-stopped server can be busy for a moment, and the
     * start is retried until {@link #RESTART_TIMEOUT}.
     */
    @Override
    public synchronized void start() {
        if (server != null) {
            return;
        }
        server = Restarts.retry("PostgreSQL on port " + port, RESTART_TIMEOUT, this::startOnce);
    }

    @Override
    public synchronized boolean running() {
        return server != null;
    }

    /** Stops the server and deletes its data: the end of the run. */
    void destroy() {
        try {
            stop();
        } finally {
            TempDirectories.delete(dataDirectory);
        }
    }
}
