/**
 * The servers of a run. {@link dev.backendlabs.shared.backend.Backends} starts PostgreSQL, Redis
 * and Kafka lazily, once per JVM, in the mode chosen by {@code -Dlabs.backend} ({@code auto},
 * {@code docker}, {@code embedded}, {@code external}); the handles give connection details, client
 * factories, isolation per lab ({@link dev.backendlabs.shared.backend.LabNamespace}) and fault
 * control (stop and start on the same port).
 */
package dev.backendlabs.shared.backend;
