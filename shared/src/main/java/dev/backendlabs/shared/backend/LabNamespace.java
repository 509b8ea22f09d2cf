package dev.backendlabs.shared.backend;

import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * Isolation of one lab on shared servers: its own PostgreSQL database, Redis key prefix and
 * Kafka topic and group names, so that labs never see each other's data.
 *
 * <p>{@code new LabNamespace("rate-limiter")} uses database {@code rate_limiter}, Redis keys
 * {@code rate-limiter:…} and topics {@code rate-limiter.…}.
 */
public record LabNamespace(String lab) {

    private static final Pattern LAB_NAME = Pattern.compile("[a-z][a-z0-9-]{0,40}");
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9._{}-]+");
    /** The system property the labs' parent pom sets to the module's lab name in every test JVM. */
    public static final String LAB_PROPERTY = "labs.lab";
    private static final AtomicReference<String> CLAIMED = new AtomicReference<>();

    public LabNamespace {
        if (lab == null || !LAB_NAME.matcher(lab).matches()) {
            throw new IllegalArgumentException("Invalid lab name '" + lab
                    + "': use lower-case letters, digits and '-', starting with a letter");
        }
    }

    /**
     * The lab of this JVM, from {@code -Dlabs.lab}, which the labs' parent pom sets to the module's
     * lab name.
     *
     * @throws IllegalStateException if the property is missing, or if this JVM already runs another lab
     */
    public static LabNamespace current() {
        String lab = System.getProperty(LAB_PROPERTY);
        if (lab == null || lab.isBlank()) {
            throw new IllegalStateException("No lab name for this JVM: run the tests through the lab's module (labs/pom.xml sets -D"
                    + LAB_PROPERTY + ") or name the lab with @Lab(\"<lab>\")");
        }
        return claim(lab);
    }

    /**
     * The namespace of {@code lab}, which becomes this JVM's lab. One JVM tests one lab: servers,
     * reports and namespaces are per JVM, so a second lab name is a mistake (a test class copied
     * from another lab), and it fails loudly instead of writing into the other lab's database.
     */
    public static LabNamespace claim(String lab) {
        LabNamespace namespace = new LabNamespace(lab);
        String first = CLAIMED.compareAndExchange(null, lab);
        if (first != null && !first.equals(lab)) {
            throw new IllegalStateException("This JVM already runs lab '" + first + "'; a test of lab '" + lab
                    + "' must run in that lab's own module");
        }
        return namespace;
    }

    /** The lab's PostgreSQL database name. */
    public String database() {
        return lab.replace('-', '_');
    }

    /** The prefix of every Redis key the lab writes, ending in {@code :}. */
    public String redisPrefix() {
        return lab + ":";
    }

    /** A Redis key inside the lab's prefix: {@code redisKey("bucket", "user-1")} is {@code rate-limiter:bucket:user-1}. */
    public String redisKey(String... parts) {
        return redisPrefix() + String.join(":", checked(parts));
    }

    /** A Kafka topic name inside the lab's namespace. */
    public String topic(String name) {
        return lab + "." + checked(name)[0];
    }

    /** A Kafka consumer group name inside the lab's namespace. */
    public String consumerGroup(String name) {
        return lab + "." + checked(name)[0];
    }

    private static String[] checked(String... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("Name at least one part");
        }
        for (String part : parts) {
            if (part == null || !PART.matcher(part).matches()) {
                throw new IllegalArgumentException("Invalid name part '" + part + "': use letters, digits and . _ - { }");
            }
        }
        return parts;
    }
}
