package dev.backendlabs.shared.report;

import dev.backendlabs.shared.backend.Backend;
import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.StartedBackend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a run happened, recorded in every report so that its numbers can be compared: backend
 * mode, server versions (or {@code null} for servers the run did not use), JDK, cores, OS and CPU.
 */
public record Environment(String backend, String postgres, String redis, String kafka,
                          String java, int cores, String os, String cpu) {

    /** The environment of this JVM, with the servers it has started so far. */
    public static Environment capture() {
        var started = Backends.started();
        String mode = started.isEmpty() ? "none" : Backends.mode().label();
        return new Environment(mode,
                versionOf("postgres"),
                versionOf("redis"),
                versionOf("kafka"),
                System.getProperty("java.vendor") + " " + Runtime.version(),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                cpuModel());
    }

    private static String versionOf(String server) {
        return Backends.started().stream()
                .map(StartedBackend::backend)
                .filter(backend -> backend.name().equals(server))
                .map(Backend::version)
                .findFirst()
                .orElse(null);
    }

    private static String cpuModel() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return "unknown";
        }
        try (var lines = Files.lines(cpuinfo)) {
            Optional<String> model = lines.filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .findFirst();
            return model.orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** One line for Markdown and the console, e.g. {@code backend embedded · postgres 17.6 · java 25 · 2 cores}. */
    public String summary() {
        StringBuilder line = new StringBuilder("backend ").append(backend);
        if (postgres != null) {
            line.append(" · postgres ").append(postgres);
        }
        if (redis != null) {
            line.append(" · redis ").append(redis);
        }
        if (kafka != null) {
            line.append(" · kafka ").append(kafka);
        }
        return line.append(" · java ").append(java).append(" · ").append(cores).append(" cores · ").append(cpu).toString();
    }
}
