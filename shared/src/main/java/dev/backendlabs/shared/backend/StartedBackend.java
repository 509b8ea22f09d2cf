package dev.backendlabs.shared.backend;

import java.time.Duration;

/** A backend this JVM has started or connected to, and how long that took. */
public record StartedBackend(Backend backend, Duration startup) {
}
