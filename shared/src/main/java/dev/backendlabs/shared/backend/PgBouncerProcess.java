package dev.backendlabs.shared.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * A real {@code pgbouncer} process on a fixed loopback port that survives {@link #stop()} and
 * {@link #start()}, with a generated configuration in a temporary folder that holds its log too.
 *
 * <p><b>Root.</b> PgBouncer refuses to run as root ("PgBouncer should not run as root"), and CI
 * runs as root. As root on Linux the process is started through {@code unshare -U}: in a new user
 * namespace without mappings it runs as the overflow user ({@code nobody}), which satisfies the
 * check, while the kernel still sees the files of its folder as its own — the trick zonky already
 * uses for PostgreSQL's {@code initdb}.
 *
 * <p><b>Stop</b> is {@code SIGKILL}: the process is gone at once, its sockets closed by the
 * kernel, as after a crash. PgBouncer keeps nothing worth a clean shutdown, and its reaction to
 * {@code SIGTERM} changed across versions (1.23 made it wait for clients to disconnect).
 */
final class PgBouncerProcess implements FaultControl {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(15);
    private static final int LAUNCH_ATTEMPTS = 3;

    private final List<String> command;
    private final Path directory;
    private final Path log;
    private final int port;
    private Process process;

    private PgBouncerProcess(List<String> command, Path directory, int port) {
        this.command = command;
        this.directory = directory;
        this.log = directory.resolve("pgbouncer.log");
        this.port = port;
    }

    /**
     * Writes the configuration for a freshly picked port and starts the process; a start that
     * fails (another process took the port first) tries a new port, since no client knows the old
     * one yet.
     *
     * @param config the configuration for a port, its auth file at the path it is given
     */
    static PgBouncerProcess launch(Path binary, BiFunction<Integer, Path, PgBouncerConfig> config) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < LAUNCH_ATTEMPTS; attempt++) {
            Path directory = TempDirectories.create("labs-pgbouncer-");
            int port = FreePorts.pick();
            PgBouncerConfig settings = config.apply(port, directory.resolve("users.txt"));
            PgBouncerProcess candidate = new PgBouncerProcess(command(binary, directory.resolve("pgbouncer.ini")), directory, port);
            try {
                Files.writeString(directory.resolve("users.txt"), settings.authFileContent(), StandardCharsets.UTF_8);
                Files.writeString(directory.resolve("pgbouncer.ini"), settings.ini(), StandardCharsets.UTF_8);
                candidate.startOnce();
                return candidate;
            } catch (IOException e) {
                candidate.destroy();
                last = new UncheckedIOException(e);
            } catch (RuntimeException e) {
                candidate.destroy();
                last = e;
            }
        }
        throw last;
    }

    /** {@code pgbouncer <ini>}, through {@code unshare -U} when this JVM runs as root on Linux. */
    static List<String> command(Path binary, Path ini) {
        List<String> command = new ArrayList<>();
        if (runsAsRootOnLinux()) {
            command.add("unshare");
            command.add("-U");
        }
        command.add(binary.toString());
        command.add(ini.toString());
        return command;
    }

    private static boolean runsAsRootOnLinux() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return false;
        }
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    int port() {
        return port;
    }

    /** Starts the process and returns once it accepts connections; a process that exits instead fails with its log. */
    private void startOnce() throws IOException {
        process = new ProcessBuilder(command).directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!accepts()) {
            if (!process.isAlive()) {
                process = null;
                throw new IllegalStateException("pgbouncer exited (" + String.join(" ", command) + "): " + logTail());
            }
            if (System.nanoTime() - deadline > 0) {
                stop();
                throw new IllegalStateException("pgbouncer did not accept connections on port " + port + " within " + READY_TIMEOUT
                        + ": " + logTail());
            }
            pause();
        }
    }

    private boolean accepts() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for pgbouncer", e);
        }
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("pgbouncer on port " + port + " did not exit after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while stopping pgbouncer on port " + port, e);
        } finally {
            process = null;
        }
    }

    /** Starts again on the same port and configuration, retrying while the port is still busy. */
    @Override
    public synchronized void start() {
        if (process != null) {
            return;
        }
        Restarts.retry("pgbouncer on port " + port, RESTART_TIMEOUT, () -> {
            startOnce();
            return process;
        });
    }

    @Override
    public synchronized boolean running() {
        return process != null;
    }

    /** Stops the process and deletes its folder: the end of the run. */
    void destroy() {
        try {
            stop();
        } finally {
            TempDirectories.delete(directory);
        }
    }
}
