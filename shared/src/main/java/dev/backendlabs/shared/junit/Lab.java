package dev.backendlabs.shared.junit;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test class as part of a lab. Test methods and constructors can then take server
 * handles ({@code PostgresBackend}, {@code RedisBackend}, {@code KafkaBackend} or any registered
 * kind), {@code LabNamespace}, {@code LabReport} and {@code Scale} parameters; the lab's report is
 * written once, at the end of the run, with the environment it ran in and the outcome of every test.
 *
 * <pre>{@code
 * @Lab
 * class TokenBucketTest {
 *     @Test
 *     void admitsAtMostCapacity(RedisBackend redis, LabNamespace ns, LabReport report) { ... }
 * }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(LabExtension.class)
public @interface Lab {

    /**
     * The lab's folder name, e.g. {@code rate-limiter}; it names the database, key prefix and
     * topics. Empty (the default): the lab of the module being tested, which the labs' parent pom
     * passes to the test JVM as {@code -Dlabs.lab}.
     */
    String value() default "";
}
