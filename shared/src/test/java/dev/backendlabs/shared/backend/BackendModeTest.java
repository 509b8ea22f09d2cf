package dev.backendlabs.shared.backend;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackendModeTest {

    @Test
    void autoFallsBackToEmbeddedWhenNoDockerEngineAnswers() {
        assertThat(BackendMode.AUTO.resolve(() -> false)).isEqualTo(BackendMode.EMBEDDED);
    }

    @Test
    void autoUsesDockerWhenAnEngineAnswers() {
        assertThat(BackendMode.AUTO.resolve(() -> true)).isEqualTo(BackendMode.DOCKER);
    }

    @Test
    void explicitModesNeverAskForDocker() {
        AtomicInteger asked = new AtomicInteger();
        for (BackendMode mode : new BackendMode[] {BackendMode.DOCKER, BackendMode.EMBEDDED, BackendMode.EXTERNAL}) {
            assertThat(mode.resolve(() -> asked.incrementAndGet() > 0)).isEqualTo(mode);
        }
        assertThat(asked).hasValue(0);
    }

    @Test
    void parsesModeNamesCaseInsensitively() {
        assertThat(BackendMode.parse(" Embedded ")).isEqualTo(BackendMode.EMBEDDED);
        assertThat(BackendSettings.of(Map.of(BackendSettings.MODE, "external")).mode()).isEqualTo(BackendMode.EXTERNAL);
        assertThat(BackendSettings.of(Map.of()).mode()).isEqualTo(BackendMode.AUTO);
    }

    @Test
    void unknownModeNamesTheValidOnes() {
        assertThatThrownBy(() -> BackendMode.parse("podman"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("podman")
                .hasMessageContaining("auto, docker, embedded, external");
    }

    @Test
    void systemPropertyNamesMirrorEnvironmentVariables() {
        assertThat(BackendSettings.propertyName("LABS_PG_URL")).isEqualTo("labs.pg.url");
        assertThat(BackendSettings.propertyName(BackendSettings.MODE)).isEqualTo("labs.backend");
    }
}
