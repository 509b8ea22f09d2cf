package dev.backendlabs.ratelimit;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README quotes the script; a quote that drifts from the script teaches code that does not
 * exist. Every line of every {@code ```lua} block in the README, other than a {@code ...}
 * elision, must be a line of {@code token_bucket.lua} (indentation aside).
 */
class ReadmeLuaExcerptTest {

    @Test
    void everyLineOfTheReadmesLuaExcerptsIsALineOfTheScript() throws IOException {
        Set<String> scriptLines = script().lines().map(String::strip).collect(Collectors.toSet());
        List<String> quoted = luaExcerptLines(Files.readString(Path.of("README.md")));

        assertThat(quoted).as("Lua lines quoted in the README").isNotEmpty();
        assertThat(quoted).filteredOn(line -> !scriptLines.contains(line)).as("quoted lines that are not in token_bucket.lua").isEmpty();
    }

    private static List<String> luaExcerptLines(String readme) {
        List<String> lines = new ArrayList<>();
        boolean inLua = false;
        for (String line : readme.lines().toList()) {
            if (line.strip().startsWith("```")) {
                inLua = !inLua && line.strip().equals("```lua");
            } else if (inLua && !line.isBlank() && !line.strip().equals("...")) {
                lines.add(line.strip());
            }
        }
        return lines;
    }

    private static String script() throws IOException {
        try (InputStream in = ReadmeLuaExcerptTest.class.getClassLoader().getResourceAsStream(TokenBucketRateLimiter.SCRIPT_RESOURCE)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
