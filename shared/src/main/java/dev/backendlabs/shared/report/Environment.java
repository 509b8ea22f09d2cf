package dev.backendlabs.shared.report;

import dev.backendlabs.shared.backend.Backends;
import dev.backendlabs.shared.backend.StartedBackend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where a run happened, recorded in every report so that its numbers can be compared: backend
 * mode, the version of each server the run used (by name: {@code postgres}, {@code redis},
 * {@code kafka}, or any kind a lab adds), JDK, cores, OS and CPU.
 */
public record Environment(String backend, Map<String, String> servers, String java, int cores, String os, String cpu) {

    public Environment {
        servers = Collections.unmodifiableMap(new LinkedHashMap<>(servers));
    }

    /** The environment of this JVM, with the servers it has started so far. */
    public static Environment capture() {
        var started = Backends.started();
        Map<String, String> servers = new LinkedHashMap<>();
        for (StartedBackend backend : started) {
            servers.putIfAbsent(backend.backend().name(), backend.backend().version());
        }
        return new Environment(started.isEmpty() ? "none" : Backends.mode().label(), servers,
                System.getProperty("java.vendor") + " " + Runtime.version(),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                cpuModel());
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

    /** The record as {@code results.json} holds it: the servers inline, beside the backend mode. */
    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("backend", backend);
        json.putAll(servers);
        json.put("java", java);
        json.put("cores", cores);
        json.put("os", os);
        json.put("cpu", cpu);
        return json;
    }

    /** One line for Markdown and the console, e.g. {@code backend embedded · postgres 17.6 · java 25 · 2 cores}. */
    public String summary() {
        StringBuilder line = new StringBuilder("backend ").append(backend);
        servers.forEach((name, version) -> line.append(" · ").append(name).append(' ').append(version));
        return line.append(" · java ").append(java).append(" · ").append(cores).append(" cores · ").append(cpu).toString();
    }
}
