package dev.backendlabs.shared.backend;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LabNamespaceTest {

    private final LabNamespace namespace = new LabNamespace("rate-limiter");

    @Test
    void derivesDatabaseKeyPrefixTopicAndGroupFromTheLabName() {
        assertThat(namespace.database()).isEqualTo("rate_limiter");
        assertThat(namespace.redisKey("bucket", "{user-1}")).isEqualTo("rate-limiter:bucket:{user-1}");
        assertThat(namespace.redisKey("bucket")).startsWith(namespace.redisPrefix());
        assertThat(namespace.topic("orders")).isEqualTo("rate-limiter.orders");
        assertThat(namespace.consumerGroup("relay")).isEqualTo("rate-limiter.relay");
    }

    @Test
    void oneJvmRunsOneLabAndASecondLabNameFailsLoudly() {
        String mine = LabNamespace.claim("shared").lab();
        assertThat(LabNamespace.claim(mine).lab()).isEqualTo("shared");
        assertThatThrownBy(() -> LabNamespace.claim("rate-limiter"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already runs lab 'shared'")
                .hasMessageContaining("'rate-limiter'");
    }

    @Test
    void rejectsLabNamesThatCannotNameADatabase() {
        for (String bad : new String[] {null, "", "Rate", "1lab", "lab name", "lab;drop"}) {
            assertThatThrownBy(() -> new LabNamespace(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Invalid lab name");
        }
    }

    @Test
    void rejectsKeyPartsThatEscapeThePrefix() {
        assertThatThrownBy(() -> namespace.redisKey("a b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> namespace.redisKey("x:y")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> namespace.redisKey()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> namespace.topic("../other")).isInstanceOf(IllegalArgumentException.class);
    }
}
