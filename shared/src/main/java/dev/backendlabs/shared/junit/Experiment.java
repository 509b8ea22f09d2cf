package dev.backendlabs.shared.junit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test that is also a measured experiment: tagged {@code experiment}, run by default at the
 * quick scale, and at the full scale with {@code -Dlabs.scale=full}. Select or exclude them with
 * {@code -Dgroups=experiment} / {@code -DexcludedGroups=experiment}.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Test
@Tag("experiment")
public @interface Experiment {
}
