/**
 * JUnit 5 support: {@link dev.backendlabs.shared.junit.Lab} on a test class hands its tests their
 * backends, namespace, scale and report; {@link dev.backendlabs.shared.junit.Experiment} marks the
 * measured experiments.
 */
package dev.backendlabs.shared.junit;
