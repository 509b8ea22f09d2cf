package dev.backendlabs.shared.backend;

import java.util.Locale;
import java.util.Optional;

/**
 * Where the embedded servers can run: the bundled binaries (zonky PostgreSQL, the redis-server of
 * embedded-redis) exist for Linux and macOS on x86-64 and ARM64. Elsewhere — Windows, whose only
 * bundled Redis is a 5.0 port, or another architecture — {@code auto} turns to Docker.
 */
final class EmbeddedPlatform {

    private EmbeddedPlatform() {
    }

    /** Why embedded servers cannot run on {@code os}/{@code arch}, or empty when they can. */
    static Optional<String> unsupportedReason(String os, String arch) {
        String system = os.toLowerCase(Locale.ROOT);
        boolean knownSystem = system.contains("linux") || system.contains("mac");
        boolean knownArch = arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64") || arch.equals("arm64");
        if (knownSystem && knownArch) {
            return Optional.empty();
        }
        return Optional.of("no bundled PostgreSQL and Redis binaries for " + os + " on " + arch);
    }

    static Optional<String> unsupportedReason() {
        return unsupportedReason(System.getProperty("os.name"), System.getProperty("os.arch"));
    }
}
