package dev.backendlabs.shared.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The data directories of embedded servers: created per server, deleted when the run ends with it. */
final class TempDirectories {

    private TempDirectories() {
    }

    static Path create(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temporary directory " + prefix + "*", e);
        }
    }

    /** Deletes {@code directory} and everything in it; a leftover is only temporary data, so failures are ignored. */
    static void delete(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // The OS cleans its temporary folder if we cannot.
        }
    }
}
