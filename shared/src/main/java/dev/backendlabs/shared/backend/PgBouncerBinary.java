package dev.backendlabs.shared.backend;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code pgbouncer} executable of the embedded mode. Unlike PostgreSQL, Redis and Kafka, no
 * Maven artifact ships it: it comes from the operating system's packages, so a machine may not
 * have it. Where it is looked for: {@code -Dlabs.pgbouncer.binary}, then the {@code PATH}, then
 * {@code /usr/sbin} and {@code /usr/local/sbin} (where Debian installs it, often not on a
 * non-root user's {@code PATH}).
 *
 * <p>A missing binary is the one case where a test is skipped instead of failed, and only outside
 * CI: {@link #assumeInstalledUnlessCi()}.
 */
public final class PgBouncerBinary {

    /** The system property that names the binary, overriding the search. */
    public static final String PROPERTY = "labs.pgbouncer.binary";
    /** The environment variable that says the run is CI's: {@code CI=true} turns a missing binary into a failure. */
    public static final String CI_VARIABLE = "CI";
    /** The one-line install commands, for messages. */
    public static final String INSTALL =
            "install it with 'sudo apt-get install -y pgbouncer' (Debian/Ubuntu) or 'brew install pgbouncer' (macOS)";

    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");
    private static final List<Path> SBIN = List.of(Path.of("/usr/sbin"), Path.of("/usr/local/sbin"));

    private PgBouncerBinary() {
    }

    /** The binary to run, if this machine has one. */
    public static Optional<Path> find() {
        String configured = System.getProperty(PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured.trim());
            return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        List<Path> folders = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String folder : path.split(java.io.File.pathSeparator)) {
                if (!folder.isBlank()) {
                    folders.add(Path.of(folder));
                }
            }
        }
        folders.addAll(SBIN);
        return folders.stream().map(folder -> folder.resolve("pgbouncer")).filter(Files::isExecutable).findFirst();
    }

    /** Why there is no binary to run: what was searched, and how to install one. */
    public static String missingReason() {
        String configured = System.getProperty(PROPERTY);
        String where = configured != null && !configured.isBlank()
                ? "-D" + PROPERTY + "=" + configured + " is not an executable file"
                : "no pgbouncer executable on the PATH, in /usr/sbin or in /usr/local/sbin (or name one with -D" + PROPERTY + ")";
        return "PgBouncer is not installed: " + where + "; " + INSTALL;
    }

    /**
     * Aborts the calling test — reported as not run, with {@link #missingReason()} — when this run
     * would start an embedded PgBouncer and the machine has no binary, outside CI. Under
     * {@code CI=true} it lets the test go on, so that the start fails it: CI installs the binary
     * ({@code .ci/run}), and a CI machine without it must fail, not pass with less tested.
     */
    public static void assumeInstalledUnlessCi() {
        notRunReason(System.getenv(CI_VARIABLE), Backends.mode()).ifPresent(Assumptions::abort);
    }

    /**
     * Why a test that needs PgBouncer should be reported as not run, or empty if it must run (and
     * fail if PgBouncer cannot start): the one case is a missing binary in {@code embedded} mode,
     * with the {@code CI} variable anything but {@code true} (any case).
     *
     * @param ci   the value of the {@code CI} environment variable, or null if it is not set
     * @param mode the concrete backend mode of the run
     */
    public static Optional<String> notRunReason(String ci, BackendMode mode) {
        boolean underCi = "true".equalsIgnoreCase(ci);
        return !underCi && mode == BackendMode.EMBEDDED && find().isEmpty() ? Optional.of(missingReason()) : Optional.empty();
    }

    /** The version {@code binary --version} prints, e.g. {@code 1.18.0}. */
    static String version(Path binary) {
        try {
            Process process = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException(binary + " --version failed: " + output.strip());
            }
            Matcher matcher = VERSION.matcher(output);
            if (!matcher.find()) {
                throw new IllegalStateException(binary + " --version printed no version: " + output.strip());
            }
            return matcher.group();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run " + binary, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + binary + " --version", e);
        }
    }

    /** Whether {@code version} is at least {@code major.minor}. */
    static boolean atLeast(String version, int major, int minor) {
        Matcher matcher = VERSION.matcher(version);
        if (!matcher.find()) {
            return false;
        }
        int actualMajor = Integer.parseInt(matcher.group(1));
        int actualMinor = Integer.parseInt(matcher.group(2));
        return actualMajor > major || actualMajor == major && actualMinor >= minor;
    }
}
