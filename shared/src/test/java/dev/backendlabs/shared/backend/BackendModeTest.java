package dev.backendlabs.shared.backend;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackendModeTest {

    private static final Optional<String> EMBEDDED_RUNS = Optional.empty();
    private static final Optional<String> NO_BINARIES = Optional.of("no bundled binaries for Windows 11 on amd64");

    @Test
    void autoPrefersEmbeddedWithoutAskingForDockerWhereEmbeddedRuns() {
        AtomicInteger asked = new AtomicInteger();
        assertThat(BackendMode.AUTO.resolve(EMBEDDED_RUNS, () -> asked.incrementAndGet() > 0)).isEqualTo(BackendMode.EMBEDDED);
        assertThat(asked).as("Docker probes").hasValue(0);
    }

    @Test
    void autoUsesDockerOnlyWhereEmbeddedCannotRunAndAnEngineAnswers() {
        assertThat(BackendMode.AUTO.resolve(NO_BINARIES, () -> true)).isEqualTo(BackendMode.DOCKER);
        assertThat(BackendMode.AUTO.resolve(NO_BINARIES, () -> false)).isEqualTo(BackendMode.EMBEDDED);
    }

    @Test
    void explicitModesNeverAskForDocker() {
        AtomicInteger asked = new AtomicInteger();
        for (BackendMode mode : new BackendMode[] {BackendMode.DOCKER, BackendMode.EMBEDDED, BackendMode.EXTERNAL}) {
            assertThat(mode.resolve(NO_BINARIES, () -> asked.incrementAndGet() > 0)).isEqualTo(mode);
        }
        assertThat(asked).hasValue(0);
    }

    @Test
    void embeddedRunsOnLinuxAndMacOnX86AndArmOnly() {
        assertThat(EmbeddedPlatform.unsupportedReason("Linux", "amd64")).isEmpty();
        assertThat(EmbeddedPlatform.unsupportedReason("Linux", "aarch64")).isEmpty();
        assertThat(EmbeddedPlatform.unsupportedReason("Mac OS X", "aarch64")).isEmpty();
        assertThat(EmbeddedPlatform.unsupportedReason("Mac OS X", "x86_64")).isEmpty();
        assertThat(EmbeddedPlatform.unsupportedReason("Windows 11", "amd64"))
                .hasValueSatisfying(reason -> assertThat(reason).contains("Windows 11"));
        assertThat(EmbeddedPlatform.unsupportedReason("Linux", "s390x")).isPresent();
    }

    @Test
    void parsesModeNamesCaseInsensitively() {
        assertThat(BackendMode.parse(" Embedded ")).isEqualTo(BackendMode.EMBEDDED);
        assertThat(BackendSettings.of(Map.of(BackendSettings.MODE, "external")).mode()).isEqualTo(BackendMode.EXTERNAL);
        assertThat(BackendSettings.of(Map.of()).mode()).isEqualTo(BackendMode.AUTO);
    }

    @Test
    void environmentVariableCountsWhenThePropertyIsAbsent() {
        BackendSettings settings = BackendSettings.layered(property -> null, Map.of(BackendSettings.MODE, "external")::get);
        assertThat(settings.mode()).isEqualTo(BackendMode.EXTERNAL);
    }

    @Test
    void environmentVariableCountsWhenThePropertyIsBlankAsMavenPassesIt() {
        BackendSettings settings = BackendSettings.layered(Map.of("labs.backend", "")::get, Map.of(BackendSettings.MODE, "docker")::get);
        assertThat(settings.mode()).isEqualTo(BackendMode.DOCKER);
    }

    @Test
    void aNonBlankPropertyWinsOverTheEnvironment() {
        BackendSettings settings = BackendSettings.layered(Map.of("labs.backend", "embedded")::get,
                Map.of(BackendSettings.MODE, "docker")::get);
        assertThat(settings.mode()).isEqualTo(BackendMode.EMBEDDED);
        assertThat(BackendSettings.layered(property -> null, variable -> "  ").mode()).as("blank everywhere: the default")
                .isEqualTo(BackendMode.AUTO);
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

    @Test
    void credentialsNeverAppearInPrintedUrls() {
        assertThat(ExternalServers.withoutSecret("redis://app:s3cret@cache:6380")).isEqualTo("redis://***@cache:6380");
        assertThat(ExternalServers.withoutSecret("redis://127.0.0.1:6379")).isEqualTo("redis://127.0.0.1:6379");
    }
}
