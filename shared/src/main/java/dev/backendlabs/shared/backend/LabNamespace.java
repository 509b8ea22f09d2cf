package dev.backendlabs.shared.backend;

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

    public LabNamespace {
        if (lab == null || !LAB_NAME.matcher(lab).matches()) {
            throw new IllegalArgumentException("Invalid lab name '" + lab + "': use lower-case letters, digits and '-', starting with a letter");
        }
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
