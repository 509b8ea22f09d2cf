package dev.backendlabs.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.backendlabs.shared.report.Metric;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a lab README says, checked against what the repository holds: the template's headings, the
 * reference run's numbers, the code it names and the code it shows. Each method returns the
 * problems it found, in words a contributor can act on; an empty list means no drift.
 */
final class ReadmeDrift {

    static final List<String> HEADINGS = List.of("## Run it", "## The failure", "## The pattern", "## Results",
            "## What the tests prove", "## Break it", "## In production", "## Further reading");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PLACEHOLDER = Pattern.compile(
            "^<[A-Z][^>]*>?$|: <[a-z][^>]*>|~N s|RESULTS-[A-Z]|No reference run yet|__[A-Za-z]+__");
    private static final Pattern METRIC = Pattern.compile("`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`");
    private static final Pattern CLASS_METHOD = Pattern.compile("`((?:[A-Z][A-Za-z0-9]*\\.)+)([a-z][A-Za-z0-9]*)(?:\\([^`]*\\))?`");
    private static final Pattern EXCERPT = Pattern.compile("<!-- excerpt: ([^#\\s]+)#([A-Za-z0-9_-]+) -->\\s*\\n```[a-z]*\\n(.*?)\\n```",
            Pattern.DOTALL);

    private final Path root;
    private final Path lab;
    private final String readme;

    ReadmeDrift(Path root, Path lab) throws IOException {
        this.root = root;
        this.lab = lab;
        this.readme = Files.readString(lab.resolve("README.md"));
    }

    List<String> headings() {
        List<String> problems = new ArrayList<>();
        List<String> found = readme.lines().filter(line -> line.startsWith("## ")).map(String::strip).toList();
        List<String> template = found.stream().filter(HEADINGS::contains).toList();
        if (!template.equals(HEADINGS)) {
            problems.add("README headings must include, in this order, " + HEADINGS + "; found " + found);
        }
        if (!readme.startsWith("# ") || !readme.lines().findFirst().orElse("").contains(":")) {
            problems.add("README must start with '# <Pattern>: <the claim the lab proves>'");
        }
        return problems;
    }

    /**
     * A published lab's README keeps none of the template's placeholders: an angle-bracketed prose
     * instruction, the {@code ~N s} run time, a {@code RESULTS-} marker or the "no reference run yet" text
     * (code blocks and inline code may hold angle brackets of their own).
     */
    List<String> placeholders() {
        List<String> problems = new ArrayList<>();
        boolean code = false;
        for (String line : readme.lines().toList()) {
            if (line.startsWith("```")) {
                code = !code;
            } else if (!code && PLACEHOLDER.matcher(line.replaceAll("`[^`]*`", "``")).find()) {
                problems.add("template placeholder left in: " + line);
            }
        }
        return problems;
    }

    /** Every metric a row of the Results section names has, in that row, the value the reference run recorded. */
    List<String> resultsMatchTheReferenceRun() throws IOException {
        List<String> problems = new ArrayList<>();
        JsonNode metrics = reference().path("metrics");
        for (String row : section("## Results").lines().filter(line -> line.startsWith("|")).toList()) {
            String digits = row.replaceAll("(?<=\\d),(?=\\d{3})", "");
            Matcher named = METRIC.matcher(row);
            while (named.find()) {
                String name = named.group(1);
                JsonNode metric = metrics.path(name);
                if (!metric.has("value")) {
                    problems.add("Results names `" + name + "`, which the reference run did not record");
                    continue;
                }
                String value = Metric.format(metric.path("value").asDouble());
                if (!Pattern.compile("(?<![\\d.])" + Pattern.quote(value) + "(?![\\d])").matcher(digits).find()) {
                    problems.add("Results row for `" + name + "` does not show the reference value " + value + ": " + row);
                }
            }
        }
        return problems;
    }

    /** The reference run is a whole run that passed, and every goal's metric is in it and in the README's Results. */
    List<String> referenceRunAndGoals() throws IOException {
        List<String> problems = new ArrayList<>();
        JsonNode reference = reference();
        if (reference.has("tests")) {
            if (!reference.path("complete").asBoolean(false)) {
                problems.add("docs/reference-results.json is from a partial run: publish a run of the whole lab");
            }
            reference.path("tests").fields().forEachRemaining(test -> {
                if (!test.getValue().asText().equals("passed")) {
                    problems.add("docs/reference-results.json: test " + test.getKey() + " " + test.getValue().asText());
                }
            });
        }
        String results = section("## Results");
        for (LabResults.Goal goal : LabResults.goals(lab.resolve("docs/goals.json"))) {
            if (!reference.path("metrics").has(goal.metric())) {
                problems.add("docs/goals.json has a goal for `" + goal.metric() + "`, which the reference run did not record");
            }
            if (!results.contains("`" + goal.metric() + "`")) {
                problems.add("Results does not show `" + goal.metric() + "`, which has a goal in docs/goals.json");
            }
        }
        return problems;
    }

    /** Every {@code `Class.method`} the README names is declared in that class's source. */
    List<String> namedMethodsExist() throws IOException {
        List<String> problems = new ArrayList<>();
        Matcher named = CLASS_METHOD.matcher(readme);
        while (named.find()) {
            String[] types = named.group(1).split("\\.");
            String method = named.group(2);
            Optional<String> source = sourceOf(types[0]);
            String type = types[types.length - 1];
            if (source.isEmpty()) {
                if (!platformDeclares(types[0], method)) {
                    problems.add("README names `" + named.group(1) + method + "`, but there is no class " + types[0]);
                }
            } else if (!declares(source.get(), type, method)) {
                problems.add("README names `" + named.group(1) + method + "`, but " + type + " declares no " + method);
            }
        }
        return problems;
    }

    /** Every marked excerpt is, line for line, the marked region of its source file. */
    List<String> excerptsMatchTheirSource() throws IOException {
        List<String> problems = new ArrayList<>();
        Matcher excerpt = EXCERPT.matcher(readme);
        while (excerpt.find()) {
            Path file = lab.resolve(excerpt.group(1));
            if (!Files.isRegularFile(file)) {
                problems.add("Excerpt of " + excerpt.group(1) + ": no such file in the lab");
                continue;
            }
            Optional<String> region = region(Files.readString(file), excerpt.group(2));
            if (region.isEmpty()) {
                problems.add("Excerpt of " + excerpt.group(1) + "#" + excerpt.group(2) + ": the file marks no such region");
            } else if (!normalize(region.get()).equals(normalize(excerpt.group(3)))) {
                problems.add("Excerpt of " + excerpt.group(1) + "#" + excerpt.group(2) + " differs from the source:\n--- README\n"
                        + normalize(excerpt.group(3)) + "\n--- source\n" + normalize(region.get()));
            }
        }
        return problems;
    }

    private JsonNode reference() throws IOException {
        return JSON.readTree(lab.resolve("docs/reference-results.json").toFile());
    }

    /** The text of a {@code ## } section, up to the next one. */
    private String section(String heading) {
        int start = readme.indexOf("\n" + heading + "\n");
        if (start < 0) {
            return "";
        }
        int end = readme.indexOf("\n## ", start + heading.length() + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    /** The lines between {@code region name} and {@code endregion} comments ({@code //}, {@code --} or {@code #}). */
    static Optional<String> region(String source, String name) {
        Matcher region = Pattern.compile("(?m)^[ \\t]*(?://|--|#) region " + Pattern.quote(name)
                + "[ \\t]*\\n(.*?)\\n[ \\t]*(?://|--|#) endregion", Pattern.DOTALL).matcher(source);
        return region.find() ? Optional.of(region.group(1)) : Optional.empty();
    }

    /** Indentation common to every line removed, trailing blanks dropped. */
    static String normalize(String code) {
        List<String> lines = code.lines().map(String::stripTrailing).toList();
        int indent = lines.stream().filter(line -> !line.isBlank()).mapToInt(line -> line.length() - line.stripLeading().length())
                .min().orElse(0);
        List<String> unindented = lines.stream().map(line -> line.length() >= indent ? line.substring(indent) : line.strip()).toList();
        return String.join("\n", unindented).strip();
    }

    private Optional<String> sourceOf(String type) throws IOException {
        try (Stream<Path> files = Stream.of(lab.resolve("src"), root.resolve("shared/src"), root.resolve("benchmarks/src"))
                .filter(Files::isDirectory).flatMap(ReadmeDrift::walk)) {
            Optional<Path> file = files.filter(path -> path.getFileName().toString().equals(type + ".java")).findFirst();
            return file.isPresent() ? Optional.of(Files.readString(file.get())) : Optional.empty();
        }
    }

    private static Stream<Path> walk(Path directory) {
        try {
            return Files.walk(directory);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A class of the JDK the README names (say {@code MessageDigest.isEqual}) exists and has the method. */
    private static boolean platformDeclares(String type, String method) {
        for (String pkg : List.of("java.lang.", "java.util.", "java.util.concurrent.", "java.security.", "java.sql.", "java.time.",
                "java.net.", "java.nio.", "java.io.")) {
            try {
                return Stream.of(Class.forName(pkg + type).getMethods()).anyMatch(candidate -> candidate.getName().equals(method));
            } catch (ClassNotFoundException e) {
                // try the next package
            }
        }
        return false;
    }

    /** A method declaration (return type, then the name), or a component of a record named {@code type}. */
    private static boolean declares(String source, String type, String method) {
        boolean declared = Pattern.compile("[\\w>\\]]\\s+" + Pattern.quote(method) + "\\s*\\(").matcher(source).find();
        Matcher record = Pattern.compile("record\\s+" + Pattern.quote(type) + "\\s*(?:<[^>]*>)?\\s*\\(([^)]*)\\)").matcher(source);
        return declared || record.find() && Pattern.compile("\\b" + Pattern.quote(method) + "\\b").matcher(record.group(1)).find();
    }
}
